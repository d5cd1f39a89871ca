/// Transfers waiting for a slot, in a first-in-first-out queue per host: finding the next one that
/// may start costs one look per host, however many thousands wait on a host that is at its limit.
struct TransferQueue {
    private struct HostQueue {
        var transfers: [Transfer] = []
        var head = 0
        var isEmpty: Bool { head == transfers.count }

        mutating func popFirst() -> Transfer {
            defer {
                head += 1
                if head > 1024, head * 2 > transfers.count {  // drop the taken prefix now and then
                    transfers.removeFirst(head)
                    head = 0
                }
            }
            return transfers[head]
        }
    }

    private var hosts: [String: HostQueue] = [:]
    /// Hosts with waiting transfers, in the order their oldest waiting transfer arrived.
    private var order: [String] = []

    mutating func append(_ transfer: Transfer) {
        if hosts[transfer.hostKey] == nil {
            hosts[transfer.hostKey] = HostQueue()
            order.append(transfer.hostKey)
        }
        hosts[transfer.hostKey]!.transfers.append(transfer)
    }

    /// True when some host that `hostMayStart` accepts has a transfer waiting.
    func contains(where hostMayStart: (String) -> Bool) -> Bool { order.contains(where: hostMayStart) }

    /// Removes and returns the oldest waiting transfer of the first host (in arrival order) that `hostMayStart` accepts.
    mutating func popFirst(where hostMayStart: (String) -> Bool) -> Transfer? {
        guard let index = order.firstIndex(where: hostMayStart) else { return nil }
        let host = order[index]
        let transfer = hosts[host]!.popFirst()
        if hosts[host]!.isEmpty {
            hosts[host] = nil
            order.remove(at: index)
        } else {
            // The host goes behind the others, so that hosts share the global limit in turn.
            order.remove(at: index)
            order.append(host)
        }
        return transfer
    }

    /// Every waiting transfer (shutdown fails them).
    var all: [Transfer] { order.flatMap { host in hosts[host].map { Array($0.transfers[$0.head...]) } ?? [] } }
}
