import Synchronization

/// Counters the pipeline keeps for logs, `monitorctl stats` and /metrics.
public final class PipelineStats: Sendable {
    public struct Snapshot: Sendable {
        public var itemsScored = 0
        public var batches = 0
        /// Seconds spent in inference and in whole batches (inference + storing).
        public var inferenceSeconds = 0.0
        public var batchSeconds = 0.0
    }

    private let state = Mutex(Snapshot())

    public init() {}

    public func recordBatch(size: Int, inference: Duration, total: Duration) {
        state.withLock {
            $0.itemsScored += size
            $0.batches += 1
            $0.inferenceSeconds += inference.seconds
            $0.batchSeconds += total.seconds
        }
    }

    public var snapshot: Snapshot { state.withLock { $0 } }
}
