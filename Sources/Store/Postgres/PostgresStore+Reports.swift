import Foundation
import PostgresNIO

extension PostgresStore: ReportStore {
    public func latestModelVersion() async throws -> String? {
        try await rows("SELECT model_version FROM scores ORDER BY scored_at DESC LIMIT 1").first?.decode(String.self)
    }

    public func mentionedSymbols(from: Date, to: Date) async throws -> [String] {
        try await rows("""
            SELECT DISTINCT m.symbol FROM mentions m JOIN items i ON i.id = m.item_id
            WHERE i.published_at > \(from.millis) AND i.published_at <= \(to.millis)
            """).map { try $0.decode(String.self) }
    }

    public func pipelineCounts(at now: Date, modelVersion: String?) async throws -> PipelineCounts {
        let now = now.millis
        let day: Int64 = 24 * 3_600_000
        var version = modelVersion
        if version == nil { version = try await latestModelVersion() }
        var perHour = [Int](repeating: 0, count: 24)
        for row in try await rows("""
            SELECT (\(now) - fetched_at) / 3600000 AS h, count(*) AS n FROM items WHERE fetched_at > \(now - day) GROUP BY h
            """) {
            let (h, n) = try row.decode((Int, Int).self)
            if (0..<24).contains(h) { perHour[23 - h] = n }
        }
        let latencies = try await rows("""
            SELECT s.scored_at - i.fetched_at FROM scores s JOIN items i ON i.id = s.item_id
            WHERE s.scored_at > \(now - day) AND s.model_version = \(version ?? "") ORDER BY 1
            """).map { try $0.decode(Int64.self) }
        let counts = try await rows("""
            SELECT (SELECT count(*) FROM items),
                   (SELECT count(*) FROM alerts WHERE state = 'firing'),
                   (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'),
                   (SELECT count(*) FROM webhook_deliveries WHERE status IN ('failed', 'disabled'))
            """).first?.decode((Int, Int, Int, Int).self) ?? (0, 0, 0, 0)
        return PipelineCounts(modelVersion: version, items: counts.0, itemsPerHour: perHour, scoringLatenciesMs: latencies,
                              queueDepth: try await countUnscored(modelVersion: version ?? "", publishedSince: nil),
                              alertsFiring: counts.1, deliveriesPending: counts.2, deliveriesFailed: counts.3)
    }

    public func gauges() async throws -> StoreGauges {
        var alerts: [AlertState: Int] = [:], deliveries: [DeliveryStatus: Int] = [:]
        for row in try await rows("SELECT state, count(*) FROM alerts GROUP BY state") {
            let (state, n) = try row.decode((String, Int).self)
            if let state = AlertState(rawValue: state) { alerts[state] = n }
        }
        for row in try await rows("SELECT status, count(*) FROM webhook_deliveries GROUP BY status") {
            let (status, n) = try row.decode((String, Int).self)
            if let status = DeliveryStatus(rawValue: status) { deliveries[status] = n }
        }
        return StoreGauges(alertsByState: alerts, deliveriesByStatus: deliveries, bytes: try await databaseBytes())
    }

    func databaseBytes() async throws -> Int {
        try await rows("SELECT pg_database_size(current_database())").first?.decode(Int.self) ?? 0
    }
}
