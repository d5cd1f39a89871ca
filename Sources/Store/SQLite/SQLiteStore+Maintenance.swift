import Foundation
import GRDB

extension SQLiteStore: MaintenanceStore {

    public func ping() async -> Bool {
        (try? await pool.read { try Int.fetchOne($0, sql: "SELECT 1") }) == 1
    }

    public func close() async {}

    public func info() async throws -> StoreInfo {
        let bytes = bytesOnDisk
        let (applied, counts) = try await pool.read { db in
            (try Migrator.applied(in: db),
             try StoreInfo.tables.map { (table: $0, rows: try Int.fetchOne(db, sql: "SELECT count(*) FROM \($0)") ?? 0) })
        }
        return StoreInfo(backend: "sqlite", location: path, bytes: bytes, applied: applied, rowCounts: counts)
    }

    public func retentionPreview(_ policy: RetentionPolicy, at now: Date) async throws -> RetentionCounts {
        let cut = RetentionCutoffs(policy, now: now)
        return try await pool.read { db in
            func count(_ table: String, _ condition: String, _ cutoff: Int64?) throws -> Int {
                guard let cutoff else { return 0 }
                return try Int.fetchOne(db, sql: SQLText.sqlite("SELECT count(*) FROM \(table) WHERE \(condition)"), arguments: [cutoff]) ?? 0
            }
            return RetentionCounts(items: try count("items", SQLText.expiredItems, cut.items),
                                   alerts: try count("alerts", SQLText.expiredAlerts, cut.alertHistory),
                                   alertEvents: try count("alert_events", SQLText.expiredEvents, cut.alertHistory),
                                   deliveries: try count("webhook_deliveries", SQLText.expiredDeliveries, cut.deliveryLog))
        }
    }

    public func deleteExpired(_ policy: RetentionPolicy, at now: Date, limit: Int) async throws -> RetentionCounts {
        let cut = RetentionCutoffs(policy, now: now)
        return try await pool.write { db in
            // Deleting by rowid in a bounded sub-select keeps each transaction short, so ingest waits
            // milliseconds, not the whole purge. Scores, mentions, events and attempts go by ON DELETE CASCADE.
            func delete(_ table: String, _ condition: String, _ cutoff: Int64?) throws -> Int {
                guard let cutoff else { return 0 }
                try db.execute(sql: SQLText.sqlite(SQLText.deleteExpired(table, condition)),
                               arguments: [cutoff, limit])
                return db.changesCount
            }
            let alerts = try delete("alerts", SQLText.expiredAlerts, cut.alertHistory)
            return RetentionCounts(items: try delete("items", SQLText.expiredItems, cut.items),
                                   alerts: alerts,
                                   alertEvents: try delete("alert_events", SQLText.expiredEvents, cut.alertHistory),
                                   deliveries: try delete("webhook_deliveries", SQLText.expiredDeliveries, cut.deliveryLog))
        }
    }

    public func recordRetentionRun(_ run: RetentionRun) async throws {
        try await pool.write { db in
            try db.execute(sql: """
                INSERT INTO retention_runs (started_at, finished_at, items, alerts, alert_events, deliveries) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [run.startedAt.millis, run.finishedAt.millis, run.removed.items, run.removed.alerts,
                                 run.removed.alertEvents, run.removed.deliveries])
            try db.execute(sql: SQLText.trimRetentionRuns)
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
