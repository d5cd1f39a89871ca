import Foundation
import Synchronization

/// Counters the daemon keeps for /metrics and /healthz: polls per feed and outcome, fetch
/// errors by kind, items new and duplicate, scoring batches (latency and size histograms).
public final class PipelineStats: Sendable {
    public static let latencyBuckets: [Double] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    public static let sizeBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256]

    public struct Histogram: Sendable {
        public var buckets: [Double]
        public var counts: [Int]
        public var sum = 0.0
        public var count = 0
        init(_ buckets: [Double]) {
            self.buckets = buckets
            counts = Array(repeating: 0, count: buckets.count)
        }
        mutating func observe(_ value: Double) {
            for (i, bound) in buckets.enumerated() where value <= bound { counts[i] += 1 }
            sum += value
            count += 1
        }
    }

    public struct Snapshot: Sendable {
        public var polls: [String: [String: Int]] = [:]
        public var fetchErrors: [String: Int] = [:]
        public var itemsNew: [String: Int] = [:]
        public var itemsDuplicate: [String: Int] = [:]
        public var itemsScored = 0
        public var batchSeconds = Histogram(PipelineStats.latencyBuckets)
        public var batchSizes = Histogram(PipelineStats.sizeBuckets)
        /// When the scorer last finished a batch or found nothing to do (its heartbeat).
        public var scorerHeartbeat: Date?
    }

    private let state = Mutex(Snapshot())

    public init() {}

    public func recordPoll(feed: String, outcome: String, errorKind: String? = nil, new: Int = 0, duplicates: Int = 0) {
        state.withLock {
            $0.polls[feed, default: [:]][outcome, default: 0] += 1
            if let errorKind { $0.fetchErrors[errorKind, default: 0] += 1 }
            $0.itemsNew[feed, default: 0] += new
            $0.itemsDuplicate[feed, default: 0] += duplicates
        }
    }

    public func recordBatch(size: Int, total: Duration) {
        state.withLock {
            $0.itemsScored += size
            $0.batchSeconds.observe(total.seconds)
            $0.batchSizes.observe(Double(size))
            $0.scorerHeartbeat = Date()
        }
    }

    public func heartbeat() { state.withLock { $0.scorerHeartbeat = Date() } }

    public var snapshot: Snapshot { state.withLock { $0 } }
}
