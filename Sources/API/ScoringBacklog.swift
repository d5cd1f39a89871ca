import Synchronization

/// Items stored but not yet scored (approximate): the poller adds what it stores, the scorer sets
/// what remains after each batch, and polls wait while it is above `maxBacklog` (back-pressure).
public final class ScoringBacklog: Sendable {
    private let value = Atomic<Int>(0)

    public init() {}

    public var count: Int { value.load(ordering: .relaxed) }

    public func add(_ n: Int) { value.add(n, ordering: .relaxed) }

    public func set(_ n: Int) { value.store(n, ordering: .relaxed) }
}
