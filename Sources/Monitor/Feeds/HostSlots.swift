import Foundation

/// At most `limit` polls per host at a time, waited for *before* a feed is leased: a lease then
/// covers the transfer and the write only, never time spent queued behind other feeds of the same
/// host, so a busy host cannot make leases run out mid-poll (and another instance poll the feed too).
actor HostSlots {
    let limit: Int
    private var inUse: [String: Int] = [:]
    private var waiting: [String: [(id: UUID, continuation: CheckedContinuation<Void, any Error>)]] = [:]

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Waits for a slot on `host`; throws CancellationError when the task is cancelled while waiting.
    func acquire(_ host: String) async throws {
        if inUse[host, default: 0] < limit {
            inUse[host, default: 0] += 1
            return
        }
        let id = UUID()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                } else {
                    waiting[host, default: []].append((id, continuation))
                }
            }
        } onCancel: {
            Task { await self.cancel(id, host: host) }
        }
    }

    /// Hands the slot to the next waiter, or frees it.
    func release(_ host: String) {
        if var queue = waiting[host], !queue.isEmpty {
            let next = queue.removeFirst()
            waiting[host] = queue
            next.continuation.resume()
        } else {
            inUse[host, default: 1] -= 1
        }
    }

    private func cancel(_ id: UUID, host: String) {
        guard let index = waiting[host]?.firstIndex(where: { $0.id == id }) else { return }
        let waiter = waiting[host]!.remove(at: index)
        waiter.continuation.resume(throwing: CancellationError())
    }
}
