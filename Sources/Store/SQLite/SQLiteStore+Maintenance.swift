import Foundation
import GRDB

extension SQLiteStore: MaintenanceStore {
    /// The tables `monitorctl db` counts, in schema order.
    static let tables = ["feeds", "items", "scores", "entities", "mentions", "alerts", "alert_events", "silences",
                         "webhook_deliveries", "delivery_attempts", "webhook_endpoints", "retention_runs"]

    public func ping() async -> Bool {
        (try? await pool.read { try Int.fetchOne($0, sql: "SELECT 1") }) == 1
    }

    public func info() async throws -> StoreInfo {
        let bytes = bytesOnDisk
        let (applied, counts) = try await pool.read { db in
            (try Migrator.applied(in: db),
             try Self.tables.map { (table: $0, rows: try Int.fetchOne(db, sql: "SELECT count(*) FROM \($0)") ?? 0) })
        }
        return StoreInfo(location: path, bytes: bytes, applied: applied, rowCounts: counts)
    }

    /// The cut-off times of a policy at `now`, in milliseconds (nil: kept for ever).
    struct Cutoffs: Sendable {
        var items: Int64?, alertHistory: Int64?, deliveryLog: Int64?
        init(_ policy: RetentionPolicy, now: Date) {
            items = policy.items.map { now.millis - $0.millis }
            alertHistory = policy.alertHistory.map { now.millis - $0.millis }
            deliveryLog = policy.deliveryLog.map { now.millis - $0.millis }
        }
    }

    // The conditions that make a row expired, shared by the preview and the deletion.
    static let expiredItems = "published_at < ?1 AND fetched_at < ?1"
    static let expiredAlerts = "state = 'resolved' AND updated_at < ?1"
    // Each alert keeps its latest event: listings and the dashboard show its details.
    static let expiredEvents = "at < ?1 AND id NOT IN (SELECT max(id) FROM alert_events GROUP BY alert_id)"
    static let expiredDeliveries = "status != 'pending' AND created_at < ?1"

    public func retentionPreview(_ policy: RetentionPolicy, at now: Date) async throws -> RetentionCounts {
        let cut = Cutoffs(policy, now: now)
        return try await pool.read { db in
            func count(_ table: String, _ condition: String, _ cutoff: Int64?) throws -> Int {
                guard let cutoff else { return 0 }
                return try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table) WHERE \(condition)", arguments: [cutoff]) ?? 0
            }
            return RetentionCounts(items: try count("items", Self.expiredItems, cut.items),
                                   alerts: try count("alerts", Self.expiredAlerts, cut.alertHistory),
                                   alertEvents: try count("alert_events", Self.expiredEvents, cut.alertHistory),
                                   deliveries: try count("webhook_deliveries", Self.expiredDeliveries, cut.deliveryLog))
        }
    }

    public func deleteExpired(_ policy: RetentionPolicy, at now: Date, limit: Int) async throws -> RetentionCounts {
        let cut = Cutoffs(policy, now: now)
        return try await pool.write { db in
            // Deleting by rowid in a bounded sub-select keeps each transaction short, so ingest waits
            // milliseconds, not the whole purge. Scores, mentions, events and attempts go by ON DELETE CASCADE.
            func delete(_ table: String, _ condition: String, _ cutoff: Int64?) throws -> Int {
                guard let cutoff else { return 0 }
                try db.execute(sql: "DELETE FROM \(table) WHERE id IN (SELECT id FROM \(table) WHERE \(condition) LIMIT ?2)",
                               arguments: [cutoff, limit])
                return db.changesCount
            }
            let alerts = try delete("alerts", Self.expiredAlerts, cut.alertHistory)
            return RetentionCounts(items: try delete("items", Self.expiredItems, cut.items),
                                   alerts: alerts,
                                   alertEvents: try delete("alert_events", Self.expiredEvents, cut.alertHistory),
                                   deliveries: try delete("webhook_deliveries", Self.expiredDeliveries, cut.deliveryLog))
        }
    }

    public func recordRetentionRun(_ run: RetentionRun) async throws {
        try await pool.write { db in
            try db.execute(sql: """
                INSERT INTO retention_runs (started_at, finished_at, items, alerts, alert_events, deliveries) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [run.startedAt.millis, run.finishedAt.millis, run.removed.items, run.removed.alerts,
                                 run.removed.alertEvents, run.removed.deliveries])
            try db.execute(sql: "DELETE FROM retention_runs WHERE id <= (SELECT max(id) - 100 FROM retention_runs)")
        }
    }

    public func lastRetentionRun() async throws -> RetentionRun? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM retention_runs ORDER BY id DESC LIMIT 1").map { row in
                RetentionRun(startedAt: Date(millis: row["started_at"]), finishedAt: Date(millis: row["finished_at"]),
                             removed: RetentionCounts(items: row["items"], alerts: row["alerts"], alertEvents: row["alert_events"],
                                                      deliveries: row["deliveries"]))
            }
        }
    }
}
