import ArgumentParser
import Foundation
import Config
import Monitor
import Store

/// `monitorctl stats`: throughput and backlog from the database (read-only).
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Items per hour, scoring latency, queue depth, alerts, deliveries and database size.")

    @OptionGroup var options: ConfigOptions
    @Option(help: "table or json") var format: FeedsCommand.OutputFormat = .table

    func run() async throws {
        let (config, store) = try await options.openStore()
        let counts = try await store.pipelineCounts(at: Date(), modelVersion: configuredModelVersion(config))
        let latencies = counts.scoringLatenciesMs
        func percentile(_ p: Double) -> Any { latencies.isEmpty ? NSNull() : Double(latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]) / 1000 }
        let stats: [String: Any] = [
            "modelVersion": counts.modelVersion ?? NSNull(),
            "items": counts.items,
            "itemsPerHour": counts.itemsPerHour,
            "scoringLatencySeconds": ["p50": percentile(0.5), "p95": percentile(0.95), "max": percentile(1.0)],
            "queueDepth": counts.queueDepth,
            "alertsFiring": counts.alertsFiring,
            "deliveriesPending": counts.deliveriesPending,
            "deliveriesFailed": counts.deliveriesFailed,
        ]
        let bytes = try await store.gauges().bytes
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
