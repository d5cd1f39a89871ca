import Foundation
import PostgresNIO

extension PostgresStore: MaintenanceStore {
    public func ping() async -> Bool {
        (try? await rows("SELECT 1").first?.decode(Int.self)) == 1
    }

    public func info() async throws -> StoreInfo {
        let applied = try await client.withConnection { connection in
            try await PostgresMigrator.applied(connection, logger: logger)
        }
        var counts: [(table: String, rows: Int)] = []
        for table in StoreInfo.tables {
            counts.append((table, try await rows(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)")).first?.decode(Int.self) ?? 0))
        }
        return StoreInfo(backend: "postgresql", location: location.description, bytes: try await databaseBytes(), applied: applied,
                         rowCounts: counts)
    }

    public func retentionPreview(_ policy: RetentionPolicy, at now: Date) async throws -> RetentionCounts {
        let cut = RetentionCutoffs(policy, now: now)
        func count(_ table: String, _ condition: String, _ cutoff: Int64?) async throws -> Int {
            guard let cutoff else { return 0 }
            var binds = PostgresBindings()
            binds.append(cutoff)
            return try await rows(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table) WHERE \(condition)", binds: binds))
                .first?.decode(Int.self) ?? 0
        }
        return RetentionCounts(items: try await count("items", SQLText.expiredItems, cut.items),
                               alerts: try await count("alerts", SQLText.expiredAlerts, cut.alertHistory),
                               alertEvents: try await count("alert_events", SQLText.expiredEvents, cut.alertHistory),
                               deliveries: try await count("webhook_deliveries", SQLText.expiredDeliveries, cut.deliveryLog))
    }

    public func deleteExpired(_ policy: RetentionPolicy, at now: Date, limit: Int) async throws -> RetentionCounts {
        let cut = RetentionCutoffs(policy, now: now)
        let logger = self.logger
        return try await transaction { connection in
            func delete(_ table: String, _ condition: String, _ cutoff: Int64?) async throws -> Int {
                guard let cutoff else { return 0 }
                var binds = PostgresBindings()
                binds.append(cutoff)
                binds.append(limit)
                return try await connection.rows(PostgresQuery(unsafeSQL: SQLText.deleteExpired(table, condition) + " RETURNING 1", binds: binds),
                                                 logger: logger).count
            }
            let alerts = try await delete("alerts", SQLText.expiredAlerts, cut.alertHistory)
            return RetentionCounts(items: try await delete("items", SQLText.expiredItems, cut.items),
                                   alerts: alerts,
                                   alertEvents: try await delete("alert_events", SQLText.expiredEvents, cut.alertHistory),
                                   deliveries: try await delete("webhook_deliveries", SQLText.expiredDeliveries, cut.deliveryLog))
        }
    }

    public func recordRetentionRun(_ run: RetentionRun) async throws {
        try await transaction { connection in
            _ = try await connection.rows("""
                INSERT INTO retention_runs (started_at, finished_at, items, alerts, alert_events, deliveries)
                VALUES (\(run.startedAt.millis), \(run.finishedAt.millis), \(run.removed.items), \(run.removed.alerts),
                        \(run.removed.alertEvents), \(run.removed.deliveries))
                """, logger: logger)
            _ = try await connection.rows(PostgresQuery(unsafeSQL: SQLText.trimRetentionRuns), logger: logger)
        }
    }

    public func lastRetentionRun() async throws -> RetentionRun? {
        try await rows("SELECT started_at, finished_at, items, alerts, alert_events, deliveries FROM retention_runs ORDER BY id DESC LIMIT 1")
            .first.map { row in
                let (started, finished, items, alerts, events, deliveries) = try row.decode((Int64, Int64, Int, Int, Int, Int).self)
                return RetentionRun(startedAt: Date(millis: started), finishedAt: Date(millis: finished),
                                    removed: RetentionCounts(items: items, alerts: alerts, alertEvents: events, deliveries: deliveries))
            }
    }
}
