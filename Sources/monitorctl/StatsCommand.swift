import ArgumentParser
import Foundation
import GRDB
import Monitor

/// `monitorctl stats`: throughput and backlog from the database (read-only).
struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Items per hour, scoring latency, queue depth, alerts, deliveries and database size.")

    @OptionGroup var options: ConfigOptions
    @Option(help: "table or json") var format: FeedsCommand.OutputFormat = .table

    func run() throws {
        let (config, database) = try options.openForReading()
        let now = Date().millis
        let configured = configuredModelVersion(config)
        let stats = try database.read { db -> [String: Any] in
            let version = try configured ?? String.fetchOne(db, sql: "SELECT model_version FROM scores ORDER BY scored_at DESC LIMIT 1")
            let perHour = try Row.fetchAll(db, sql: """
                SELECT (? - fetched_at) / 3600000 AS h, count(*) AS n FROM items WHERE fetched_at > ? GROUP BY h
                """, arguments: [now, now - 24 * 3_600_000]).reduce(into: [Int](repeating: 0, count: 24)) { hours, row in
                    let h: Int = row["h"]
                    if (0..<24).contains(h) { hours[23 - h] = row["n"] }
                }
            let latencies = try Int64.fetchAll(db, sql: """
                SELECT s.scored_at - i.fetched_at FROM scores s JOIN items i ON i.id = s.item_id
                WHERE s.scored_at > ? AND s.model_version = ? ORDER BY 1
                """, arguments: [now - 24 * 3_600_000, version ?? ""])
            func percentile(_ p: Double) -> Any { latencies.isEmpty ? NSNull() : Double(latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]) / 1000 }
            let queue = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM items i WHERE NOT EXISTS (SELECT 1 FROM scores s WHERE s.item_id = i.id AND s.model_version = ?)
                """, arguments: [version ?? ""]) ?? 0
            return [
                "modelVersion": version ?? NSNull(),
                "items": try Int.fetchOne(db, sql: "SELECT count(*) FROM items") ?? 0,
                "itemsPerHour": perHour,
                "scoringLatencySeconds": ["p50": percentile(0.5), "p95": percentile(0.95), "max": percentile(1.0)],
                "queueDepth": queue,
                "alertsFiring": try Int.fetchOne(db, sql: "SELECT count(*) FROM alerts WHERE state = 'firing'") ?? 0,
                "deliveriesPending": try Int.fetchOne(db, sql: "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'") ?? 0,
                "deliveriesFailed": try Int.fetchOne(db, sql: "SELECT count(*) FROM webhook_deliveries WHERE status IN ('failed', 'disabled')") ?? 0,
            ]
        }
        let bytes = ["", "-wal"].compactMap { try? FileManager.default.attributesOfItem(atPath: config.database + $0)[.size] as? Int }.reduce(0, +)
        var all = stats
        all["databaseBytes"] = bytes
        if format == .json {
            print(try JSONText.encode(all))
            return
        }
        let hours = stats["itemsPerHour"] as? [Int] ?? []
        let peak = max(hours.max() ?? 0, 1)
        let latency = stats["scoringLatencySeconds"] as? [String: Any] ?? [:]
        func seconds(_ v: Any?) -> String { (v as? Double).map { String(format: "%.2f s", $0) } ?? "-" }
        print("items:            \(stats["items"] ?? 0) (\(hours.reduce(0, +)) in the last 24 h)")
        print("items per hour:   \(Sparkline.render(hours.map { Double($0) / Double(peak) * 0.999 }))  (oldest → now, peak \(peak)/h)")
        print("scoring latency:  p50 \(seconds(latency["p50"])), p95 \(seconds(latency["p95"])), max \(seconds(latency["max"])) (fetch → score, 24 h)")
        print("queue depth:      \(stats["queueDepth"] ?? 0) items awaiting \(stats["modelVersion"] as? String ?? "a score")")
        print("alerts firing:    \(stats["alertsFiring"] ?? 0)")
        print("deliveries:       \(stats["deliveriesPending"] ?? 0) pending, \(stats["deliveriesFailed"] ?? 0) failed or disabled")
        print("database:         \(ByteCountFormatter.string(fromByteCount: Int64(bytes), countStyle: .file)) (\(config.database))")
    }
}
