import Synchronization

/// Wakes a waiting service when there is work (new items to score, new scores to evaluate,
/// new messages to send).
public final class PipelineSignal: Sendable {
    private let waiters = Mutex<[CheckedContinuation<Void, Never>]>([])
    private let pending = Atomic<Bool>(false)

    public init() {}

    /// Wakes every waiter (or the next one to wait).
    public func notify() {
        let woken = waiters.withLock { list in
            defer { list = [] }
            return list
        }
        if woken.isEmpty { pending.store(true, ordering: .relaxed) }
        for continuation in woken { continuation.resume() }
    }

    /// Returns on `notify()` or after `timeout`, whichever is first.
    public func wait(timeout: Duration) async {
        if pending.exchange(false, ordering: .relaxed) { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                await withCheckedContinuation { continuation in
                    waiters.withLock { $0.append(continuation) }
                }
            }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
            // The waiter may still be parked: release it so the group can finish.
            notifyIfParked()
            await group.waitForAll()
        }
    }

    private func notifyIfParked() {
        let woken = waiters.withLock { list in
            defer { list = [] }
            return list
        }
        for continuation in woken { continuation.resume() }
    }
}
