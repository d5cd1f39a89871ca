import Foundation
import Prometheus
import Synchronization

/// How a poll ended, as `/metrics` labels it.
public enum PollOutcome: String, Sendable {
    case ok
    case notModified = "not_modified"
    case error
}

/// The daemon's metrics (one swift-prometheus registry per daemon) and the scorer's heartbeat for
/// `/healthz`. Counters and histograms are recorded as work happens; gauges read from the database
/// are set when `/metrics` is scraped (`MetricsPage`).
public final class PipelineStats: Sendable {
    public static let latencyBuckets: [Double] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    public static let sizeBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256]

    public let registry = PrometheusCollectorRegistry()
    private let itemsScored: Counter
    private let batchSeconds: ValueHistogram
    private let batchSizes: ValueHistogram
    /// When the scorer last finished a batch or found nothing to do.
    private let lastHeartbeat = Mutex<Date?>(nil)
    /// Whether the database takes writes (shared by every service of the daemon).
    public let storage: StorageHealth

    /// `database` names the database in messages about it.
    public init(database: String = "") {
        storage = StorageHealth(database: database)
        itemsScored = registry.makeCounter(descriptor: Metric.itemsScored.descriptor)
        batchSeconds = registry.makeValueHistogram(descriptor: Metric.batchSeconds.descriptor, buckets: Self.latencyBuckets)
        batchSizes = registry.makeValueHistogram(descriptor: Metric.batchSize.descriptor, buckets: Self.sizeBuckets)
    }

    public func recordPoll(feed: String, outcome: PollOutcome, errorKind: String? = nil, new: Int = 0, duplicates: Int = 0) {
        registry.makeCounter(descriptor: Metric.polls.descriptor, labels: [("feed", feed), ("outcome", outcome.rawValue)]).increment()
        if let errorKind { registry.makeCounter(descriptor: Metric.fetchErrors.descriptor, labels: [("kind", errorKind)]).increment() }
        if outcome == .ok {
            registry.makeCounter(descriptor: Metric.feedItems.descriptor, labels: [("feed", feed), ("kind", "new")]).increment(by: Int64(new))
            registry.makeCounter(descriptor: Metric.feedItems.descriptor, labels: [("feed", feed), ("kind", "duplicate")]).increment(by: Int64(duplicates))
        }
    }

    public func recordBatch(size: Int, total: Duration) {
        itemsScored.increment(by: Int64(size))
        batchSeconds.record(total.seconds)
        batchSizes.record(Double(size))
        heartbeat()
    }

    public func heartbeat() { lastHeartbeat.withLock { $0 = Date() } }

    public var scorerHeartbeat: Date? { lastHeartbeat.withLock { $0 } }
}

/// A series' name and help text.
struct MetricName: Sendable {
    let name: String
    let unit: String
    let help: String
    var descriptor: MetricNameDescriptor { MetricNameDescriptor(namespace: "finsent", metricName: name, unitName: unit, helpText: help) }
}

/// Every series monitord exports: name, unit and help in one place.
enum Metric {
    static func named(_ name: String, unit: String = "", _ help: String) -> MetricName {
        MetricName(name: name, unit: unit, help: help)
    }

    static let polls = named("feed_polls", unit: "total", "Feed polls since start, by feed and outcome (ok, not_modified, error).")
    static let fetchErrors = named("feed_fetch_errors", unit: "total",
                                   "Failed polls since start, by kind (timeout, dns, connect, tls, too_large, redirect, parse, http_4xx, http_5xx, ...).")
    static let feedItems = named("feed_items", unit: "total", "Items fetched since start, by feed and kind (new, duplicate).")
    static let itemsScored = named("items_scored", unit: "total", "Items scored since start.")
    static let batchSeconds = named("scoring_batch", unit: "seconds", "Time to score and store one batch.")
    static let batchSize = named("scoring_batch_size", "Items per scoring batch.")
    static let queueDepth = named("scoring_queue_depth", "Items stored but not yet scored.")
    static let alerts = named("alerts", "Alerts by state.")
    static let deliveries = named("webhook_deliveries", "Webhook deliveries by outcome.")
    static let databaseBytes = named("database", unit: "bytes", "Size of the SQLite database and its WAL (PostgreSQL: the database).")
    static let feedUp = named("feed_up", "1 when the feed's last poll succeeded, 0 while it fails (configured feeds that were polled).")
    static let feedLastSuccess = named("feed_last_success_timestamp", unit: "seconds", "When the feed last answered with a usable document (Unix time).")
    static let entityRisk = named("entity_risk_index",
                                  "The entity's risk index: time-decayed mean item risk over the last hour (the dashboard's window).")
    static let entitySentiment = named("entity_sentiment", "Mean sentiment (-1..1) of the entity's items in the last 24 hours; absent without items.")
    static let entityItems = named("entity_items", "Items mentioning the entity in the last 24 hours.")
    static let buildInfo = named("build_info", "Always 1; the labels name the version and the model.")
    static let httpRequests = named("http_requests", unit: "total", "HTTP API requests since start, by route, method and status.")
    static let httpSeconds = named("http_request_duration", unit: "seconds", "Time to answer an HTTP API request, by route.")
}
