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

    /// The `--format json` document.
    struct Document: Encodable {
        struct Latency: Encodable {
            @OrNull var p50: Double?
            @OrNull var p95: Double?
            @OrNull var max: Double?
        }
        @OrNull var modelVersion: String?
        var items: Int
        /// Items per hour over the last 24 hours, oldest first.
        var itemsPerHour: [Int]
        var scoringLatencySeconds: Latency
        var queueDepth: Int
        var alertsFiring: Int
        var deliveriesPending: Int
        var deliveriesFailed: Int
        var databaseBytes: Int
    }

    func run() async throws {
        let (config, store) = try await options.openStore()
        let counts = try await store.pipelineCounts(at: Date(), modelVersion: configuredModelVersion(config))
        let latencies = counts.scoringLatenciesMs
        func percentile(_ p: Double) -> Double? {
            latencies.isEmpty ? nil : Double(latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]) / 1000
        }
        let stats = Document(
            modelVersion: counts.modelVersion, items: counts.items, itemsPerHour: counts.itemsPerHour,
            scoringLatencySeconds: .init(p50: percentile(0.5), p95: percentile(0.95), max: percentile(1.0)),
            queueDepth: counts.queueDepth, alertsFiring: counts.alertsFiring, deliveriesPending: counts.deliveriesPending,
            deliveriesFailed: counts.deliveriesFailed, databaseBytes: try await store.gauges().bytes)
        if format == .json {
            print(try JSONText.encode(stats))
            return
        }
        let hours = stats.itemsPerHour
        let last24 = hours.reduce(0, +)
        let peak = hours.max() ?? 0
        func seconds(_ v: Double?) -> String { v.map { String(format: "%.2f s", $0) } ?? "—" }
        let latency = stats.scoringLatencySeconds
        print("items:            \(stats.items) (\(last24) in the last 24 h)")
        if peak > 0 {
            print("items per hour:   \(Sparkline.render(hours.map { Double($0) / Double(peak) * 0.999 }))  (oldest → now, peak \(peak)/h)")
        } else {
            print("items per hour:   — (none in the last 24 h)")
        }
        print("scoring latency:  p50 \(seconds(latency.p50)), p95 \(seconds(latency.p95)), max \(seconds(latency.max)) (fetch → score, 24 h)")
        print("queue depth:      \(stats.queueDepth) items awaiting \(stats.modelVersion ?? "a score")")
        print("alerts firing:    \(stats.alertsFiring)")
        print("deliveries:       \(stats.deliveriesPending) pending, \(stats.deliveriesFailed) failed or disabled")
        print("database:         \(ByteCountFormatter.string(fromByteCount: Int64(stats.databaseBytes), countStyle: .file)) (\(config.database))")
    }
}
