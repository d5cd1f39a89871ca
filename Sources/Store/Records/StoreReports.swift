import Foundation

/// Counts behind `monitorctl stats` (the last 24 hours, from the database).
public struct PipelineCounts: Sendable, Equatable {
    public var modelVersion: String?
    public var items: Int
    /// Items fetched per hour, oldest first, the last entry the current hour (24 entries).
    public var itemsPerHour: [Int]
    /// Fetch → score latencies of the last 24 hours, in milliseconds, ascending.
    public var scoringLatenciesMs: [Int64]
    public var queueDepth: Int
    public var alertsFiring: Int
    public var deliveriesPending: Int
    /// Failed or disabled.
    public var deliveriesFailed: Int

    public init(modelVersion: String?, items: Int, itemsPerHour: [Int], scoringLatenciesMs: [Int64], queueDepth: Int,
                alertsFiring: Int, deliveriesPending: Int, deliveriesFailed: Int) {
        self.modelVersion = modelVersion
        self.items = items
        self.itemsPerHour = itemsPerHour
        self.scoringLatenciesMs = scoringLatenciesMs
        self.queueDepth = queueDepth
        self.alertsFiring = alertsFiring
        self.deliveriesPending = deliveriesPending
        self.deliveriesFailed = deliveriesFailed
    }
}

/// Gauges for `/metrics`.
public struct StoreGauges: Sendable {
    public var alertsByState: [AlertState: Int]
    public var deliveriesByStatus: [DeliveryStatus: Int]
    public var bytes: Int

    public init(alertsByState: [AlertState: Int], deliveriesByStatus: [DeliveryStatus: Int],
                bytes: Int) {
        self.alertsByState = alertsByState
        self.deliveriesByStatus = deliveriesByStatus
        self.bytes = bytes
    }
}

/// What `monitorctl db` shows.
public struct StoreInfo: Sendable {
    /// "sqlite" or "postgresql".
    public var backend: String
    /// The database file (SQLite) or the server and database name.
    public var location: String
    public var bytes: Int
    public var applied: [AppliedMigration]
    /// Rows per table, in schema order.
    public var rowCounts: [(table: String, rows: Int)]

    /// The tables of the schema (both backends), parents before the tables that refer to them.
    public static let tables = ["feeds", "items", "scores", "entities", "mentions", "stories", "story_items", "alerts", "alert_events", "silences",
                                "webhook_deliveries", "delivery_attempts", "webhook_endpoints", "retention_runs",
                                "cluster_instances", "cluster_roles"]
}

/// How long each kind of data is kept; nil keeps it for ever.
public struct RetentionPolicy: Sendable, Equatable {
    /// Items (with their scores, mentions and raw JSON) older than this, by publication and fetch time.
    public var items: Duration?
    /// Resolved alerts and alert events older than this (each alert's latest event stays).
    public var alertHistory: Duration?
    /// Finished webhook deliveries (delivered, failed, disabled) and their attempts older than this; pending ones are never removed.
    public var deliveryLog: Duration?

    public init(items: Duration? = nil, alertHistory: Duration? = nil, deliveryLog: Duration? = nil) {
        self.items = items
        self.alertHistory = alertHistory
        self.deliveryLog = deliveryLog
    }

    /// True when nothing is ever removed.
    public var keepsEverything: Bool { items == nil && alertHistory == nil && deliveryLog == nil }
}

/// Rows that retention removes (or would remove).
public struct RetentionCounts: Sendable, Equatable, Codable {
    public var items = 0
    public var alerts = 0
    public var alertEvents = 0
    public var deliveries = 0

    public init(items: Int = 0, alerts: Int = 0, alertEvents: Int = 0, deliveries: Int = 0) {
        self.items = items
        self.alerts = alerts
        self.alertEvents = alertEvents
        self.deliveries = deliveries
    }

    public var total: Int { items + alerts + alertEvents + deliveries }

    public static func + (a: RetentionCounts, b: RetentionCounts) -> RetentionCounts {
        RetentionCounts(items: a.items + b.items, alerts: a.alerts + b.alerts, alertEvents: a.alertEvents + b.alertEvents,
                        deliveries: a.deliveries + b.deliveries)
    }
}

/// One completed retention pass, as recorded in `retention_runs`.
public struct RetentionRun: Sendable, Equatable {
    public var startedAt: Date
    public var finishedAt: Date
    public var removed: RetentionCounts
    public init(startedAt: Date, finishedAt: Date, removed: RetentionCounts) {
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.removed = removed
    }
}
