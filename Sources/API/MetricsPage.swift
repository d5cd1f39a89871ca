import Config
import Foundation
import Prometheus
import Reports
import Store
import Synchronization

/// `/metrics`: the registry's counters and histograms, and gauges read from the database at scrape
/// time (queue, alerts, deliveries, size, each configured feed, each watched entity up to
/// `api.metricsEntities`). The text comes from swift-prometheus (exposition format 0.0.4).
final class MetricsPage: Sendable {
    let registry: PrometheusCollectorRegistry
    private let feedUp: GaugeFamily
    private let feedLastSuccess: GaugeFamily
    private let entityRisk: GaugeFamily
    private let entitySentiment: GaugeFamily
    private let entityItems: GaugeFamily
    /// The entity report is read at most this often, however often Prometheus scrapes.
    private let entityRefresh: TimeInterval = 10
    private let entitiesReadAt = Mutex<Date?>(nil)

    init(registry: PrometheusCollectorRegistry, version: String, modelVersion: String) {
        self.registry = registry
        feedUp = GaugeFamily(registry, Metric.feedUp, label: "feed")
        feedLastSuccess = GaugeFamily(registry, Metric.feedLastSuccess, label: "feed")
        entityRisk = GaugeFamily(registry, Metric.entityRisk, label: "symbol")
        entitySentiment = GaugeFamily(registry, Metric.entitySentiment, label: "symbol")
        entityItems = GaugeFamily(registry, Metric.entityItems, label: "symbol")
        registry.makeGauge(descriptor: Metric.buildInfo.descriptor, labels: [("version", version), ("model", modelVersion)]).set(to: 1.0)
    }

    func text(_ deps: APIRoutes.Dependencies) async throws -> String {
        let config = deps.current.config
        let gauges = try await deps.store.gauges()
        registry.makeGauge(descriptor: Metric.queueDepth.descriptor).set(to: Double(deps.backlog.count))
        for state in AlertState.allCases {
            registry.makeGauge(descriptor: Metric.alerts.descriptor, labels: [("state", state.rawValue)]).set(to: Double(gauges.alertsByState[state] ?? 0))
        }
        for status in DeliveryStatus.allCases {
            registry.makeGauge(descriptor: Metric.deliveries.descriptor, labels: [("status", status.rawValue)])
                .set(to: Double(gauges.deliveriesByStatus[status] ?? 0))
        }
        registry.makeGauge(descriptor: Metric.databaseBytes.descriptor).set(to: Double(gauges.bytes))

        let configured = Set(config.feeds.map(\.id))
        var up: [String: Double] = [:], success: [String: Double] = [:]
        for feed in try await deps.store.feeds() where configured.contains(feed.id) {
            switch feed.health(configured: true) {
            case .healthy: up[feed.id] = 1
            case .backingOff, .unhealthy: up[feed.id] = 0
            case .new, .removed: break
            }
            if let at = feed.lastSuccessAt { success[feed.id] = at.timeIntervalSince1970 }
        }
        feedUp.update(up)
        feedLastSuccess.update(success)
        try await updateEntities(deps, config: config)
        return registry.emitToString()
    }

    /// Per-entity gauges over the dashboard's window: the watchlist's first `api.metricsEntities` symbols.
    private func updateEntities(_ deps: APIRoutes.Dependencies, config: MonitorConfig) async throws {
        let now = Date()
        let due = entitiesReadAt.withLock { last -> Bool in
            guard last.map({ now.timeIntervalSince($0) >= entityRefresh }) ?? true else { return false }
            last = now
            return true
        }
        guard due else { return }
        let symbols = Array(config.watchlist.map(\.symbol).prefix(config.api.metricsEntities))
        var risk: [String: Double] = [:], sentiment: [String: Double] = [:], items: [String: Double] = [:]
        if !symbols.isEmpty {
            var query = RiskReport.Query(since: now.addingTimeInterval(-86_400), until: now)
            query.entities = symbols
            query.top = symbols.count
            let report = try await RiskReport.build(query, config: config, modelVersion: deps.modelVersion, store: deps.store)
            for e in report.entities {
                items[e.symbol] = Double(e.items)
                if let r = e.riskIndex { risk[e.symbol] = r }
                if let s = e.meanSentiment { sentiment[e.symbol] = s }
            }
        }
        entityRisk.update(risk)
        entitySentiment.update(sentiment)
        entityItems.update(items)
    }
}

/// One gauge per label value; values no longer reported are unregistered, so a feed or entity
/// removed from the configuration leaves no stale series.
final class GaugeFamily: Sendable {
    let registry: PrometheusCollectorRegistry
    let metric: MetricName
    let label: String
    private let gauges = Mutex<[String: Gauge]>([:])

    init(_ registry: PrometheusCollectorRegistry, _ metric: MetricName, label: String) {
        self.registry = registry
        self.metric = metric
        self.label = label
    }

    func update(_ values: [String: Double]) {
        gauges.withLock { gauges in
            for (key, gauge) in gauges where values[key] == nil {
                registry.unregisterGauge(gauge)
                gauges[key] = nil
            }
            for (key, value) in values {
                let gauge = gauges[key] ?? registry.makeGauge(descriptor: metric.descriptor, labels: [(label, key)])
                gauges[key] = gauge
                gauge.set(to: value)
            }
        }
    }
}
