import Foundation
import GRDB

extension SQLiteStore: ReportStore {
    public func latestModelVersion() async throws -> String? {
        try await pool.read { db in try Self.latestModelVersion(db) }
    }

    static func latestModelVersion(_ db: Database) throws -> String? {
        try String.fetchOne(db, sql: "SELECT model_version FROM scores ORDER BY scored_at DESC LIMIT 1")
    }

    public func mentionedSymbols(from: Date, to: Date) async throws -> [String] {
        try await pool.read { db in
            try String.fetchAll(db, sql: """
                SELECT DISTINCT m.symbol FROM mentions m JOIN items i ON i.id = m.item_id
                WHERE i.published_at > ? AND i.published_at <= ?
                """, arguments: [from.millis, to.millis])
        }
    }

    public func pipelineCounts(at now: Date, modelVersion: String?) async throws -> PipelineCounts {
        let now = now.millis
        let day: Int64 = 24 * 3_600_000
        return try await pool.read { db in
            let version = try modelVersion ?? Self.latestModelVersion(db)
            let perHour = try Row.fetchAll(db, sql: """
                SELECT (? - fetched_at) / 3600000 AS h, count(*) AS n FROM items WHERE fetched_at > ? GROUP BY h
                """, arguments: [now, now - day]).reduce(into: [Int](repeating: 0, count: 24)) { hours, row in
                    let h: Int = row["h"]
                    if (0..<24).contains(h) { hours[23 - h] = row["n"] }
                }
            let latencies = try Int64.fetchAll(db, sql: """
                SELECT s.scored_at - i.fetched_at FROM scores s JOIN items i ON i.id = s.item_id
                WHERE s.scored_at > ? AND s.model_version = ? ORDER BY 1
                """, arguments: [now - day, version ?? ""])
            return PipelineCounts(
                modelVersion: version,
                items: try Int.fetchOne(db, sql: "SELECT count(*) FROM items") ?? 0,
                itemsPerHour: perHour, scoringLatenciesMs: latencies,
                queueDepth: try Self.countUnscored(modelVersion: version ?? "", publishedSince: nil, db: db),
                alertsFiring: try Int.fetchOne(db, sql: "SELECT count(*) FROM alerts WHERE state = 'firing'") ?? 0,
                deliveriesPending: try Int.fetchOne(db, sql: "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'") ?? 0,
                deliveriesFailed: try Int.fetchOne(db, sql: "SELECT count(*) FROM webhook_deliveries WHERE status IN ('failed', 'disabled')") ?? 0)
        }
    }

    public func gauges() async throws -> StoreGauges {
        let bytes = bytesOnDisk
        return try await pool.read { db in
            var alerts: [AlertState: Int] = [:], deliveries: [DeliveryStatus: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, count(*) AS n FROM alerts GROUP BY state") {
                if let state = AlertState(rawValue: row["state"]) { alerts[state] = row["n"] }
            }
            for row in try Row.fetchAll(db, sql: "SELECT status, count(*) AS n FROM webhook_deliveries GROUP BY status") {
                if let status = DeliveryStatus(rawValue: row["status"]) { deliveries[status] = row["n"] }
            }
            return StoreGauges(alertsByState: alerts, deliveriesByStatus: deliveries, bytes: bytes)
        }
    }
}
