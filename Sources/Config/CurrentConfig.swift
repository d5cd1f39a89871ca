import Synchronization

/// The configuration in force, replaced whole when a reload succeeds. Services read it at the
/// start of each unit of work; those that must react to a reload wait for one with
/// `waitForReplacement(after:)` (the reload service announces each, nothing polls).
public final class CurrentConfig: Sendable {
    private struct State {
        var config: MonitorConfig
        var generation = 0
        var waiters: [Int: CheckedContinuation<Int, Never>] = [:]
        var nextWaiter = 0
    }

    private let state: Mutex<State>

    public init(_ config: MonitorConfig) {
        state = Mutex(State(config: config))
    }

    /// The configuration now in force.
    public var config: MonitorConfig { state.withLock { $0.config } }

    /// The configuration with its generation (0 at start, one more per successful reload).
    public var configAndGeneration: (MonitorConfig, Int) { state.withLock { ($0.config, $0.generation) } }

    /// Replaces the configuration and wakes every waiter; returns the one it replaced.
    @discardableResult
    public func replace(with config: MonitorConfig) -> MonitorConfig {
        let (old, woken, generation) = state.withLock { state in
            let old = state.config
            state.config = config
            state.generation += 1
            defer { state.waiters = [:] }
            return (old, Array(state.waiters.values), state.generation)
        }
        for continuation in woken { continuation.resume(returning: generation) }
        return old
    }

    /// Returns the generation once it is past `generation` (at once if it already is), or on cancellation.
    public func waitForReplacement(after generation: Int) async -> Int {
        let id = state.withLock { state -> Int in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow: Int? = state.withLock { state in
                    if state.generation > generation || Task.isCancelled { return state.generation }
                    state.waiters[id] = continuation
                    return nil
                }
                if let resumeNow { continuation.resume(returning: resumeNow) }
            }
        } onCancel: {
            let (continuation, generation) = state.withLock { state in (state.waiters.removeValue(forKey: id), state.generation) }
            continuation?.resume(returning: generation)
        }
    }
}
