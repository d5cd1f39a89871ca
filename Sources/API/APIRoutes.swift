import Config
import Foundation
import Hummingbird
import Logging
import Reports
import Store

/// monitord's HTTP API on `api.listen`: /healthz, /metrics, /v1/risk, /v1/alerts and the dashboard at /.
public enum APIRoutes {
    public struct Dependencies: Sendable {
        let current: CurrentConfig
        let store: any MonitorStore
        let stats: PipelineStats
        let backlog: ScoringBacklog
        let modelVersion: String
        let instanceID: String
        let started: Date

        public init(current: CurrentConfig, store: any MonitorStore, stats: PipelineStats, backlog: ScoringBacklog, modelVersion: String,
                    instanceID: String) {
            self.instanceID = instanceID
            self.current = current
            self.store = store
            self.stats = stats
            self.backlog = backlog
            self.modelVersion = modelVersion
            started = Date()
        }
    }

    /// The application as a ServiceLifecycle service.
    public static func application(_ deps: Dependencies, host: String, port: Int, logger: Logger) -> some ApplicationProtocol {
        let router = Router()
        router.get("/healthz") { _, _ in try await health(deps) }
        router.get("/metrics") { _, _ in try await metrics(deps) }
        router.get("/v1/risk") { request, _ in try await risk(deps, request) }
        router.get("/v1/alerts") { _, _ in try await alerts(deps) }
        router.get("/") { _, _ in try await Dashboard.page(deps) }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "monitord"),
                           logger: logger)
    }

    static func json(_ object: Any, status: HTTPResponse.Status = .ok) throws -> Response {
        text(try JSONText.encode(object), type: "application/json; charset=utf-8", status: status)
    }

    static func text(_ text: String, type: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    // MARK: - /healthz

    /// 200 when the database answers and the scorer has a heartbeat in the last 30 s; 503 otherwise.
    static func health(_ deps: Dependencies) async throws -> Response {
        let databaseOK = await deps.store.ping()
        let feeds = (try? await deps.store.feeds()) ?? []
        let configured = Set(deps.current.config.feeds.map(\.id))
        var healthy = 0, backingOff = 0, unhealthy: [String] = []
        for feed in feeds where configured.contains(feed.id) {
            switch feed.health(configured: true) {
            case .unhealthy: unhealthy.append(feed.id)
            case .backingOff: backingOff += 1
            default: healthy += 1
            }
        }
        let heartbeat = deps.stats.snapshot.scorerHeartbeat ?? deps.started
        let pipelineAlive = Date().timeIntervalSince(heartbeat) < 30
        let ok = databaseOK && pipelineAlive
        return try json([
            "status": ok ? "ok" : "unavailable", "database": databaseOK, "instance": deps.instanceID,
            "backend": deps.current.config.database.backend,
            "pipeline": ["alive": pipelineAlive, "lastHeartbeat": JSONText.timestamp(heartbeat),
                         "backlog": deps.backlog.count, "modelVersion": deps.modelVersion] as [String: Any],
            "feeds": ["configured": configured.count, "healthy": healthy, "backingOff": backingOff, "unhealthy": unhealthy.sorted()] as [String: Any],
        ], status: ok ? .ok : .serviceUnavailable)
    }

    // MARK: - /v1/risk and /v1/alerts

    static func risk(_ deps: Dependencies, _ request: Request) async throws -> Response {
        let q = request.uri.queryParameters
        let now = Date()
        func time(_ key: String, _ fallback: Date) -> Date? {
            q[Substring(key)].map { DurationText.pointInTime(String($0), now: now) } ?? fallback
        }
        guard let since = time("since", now.addingTimeInterval(-86_400)), let until = time("until", now), since < until else {
            return try json(["error": "since/until: durations back from now (24h) or RFC 3339 times, since before until"], status: .badRequest)
        }
        var query = RiskReport.Query(since: since, until: until)
        query.entities = q[values: "entity"].map(String.init)
        if let top = q["top"] {
            guard let n = Int(top), n > 0 else { return try json(["error": "top: a positive integer"], status: .badRequest) }
            query.top = n
        }
        if let sort = q["sort"] {
            guard let s = RiskReport.Sort(rawValue: String(sort)) else {
                return try json(["error": "sort: one of risk, burst, volume, sentiment"], status: .badRequest)
            }
            query.sort = s
        }
        if let window = q["window"] {
            guard let d = DurationText.parse(String(window)), d > .zero else { return try json(["error": "window: a duration like 1h"], status: .badRequest) }
            query.window = d
        }
        let config = deps.current.config
        let finalQuery = query
        let report = try await RiskReport.build(finalQuery, config: config, modelVersion: deps.modelVersion, store: deps.store)
        return try json(report.json)
    }

    static func alerts(_ deps: Dependencies) async throws -> Response {
        let now = Date()
        let alerts = try await deps.store.alerts(activeOrResolvedAfter: now.addingTimeInterval(-86_400), limit: 200)
        let silences = try await deps.store.activeSilences(at: now)
        func time(_ date: Date?) -> Any { date.map { JSONText.timestamp($0) } ?? NSNull() }
        return try json([
            "alerts": alerts.map { entry -> [String: Any] in
                let a = entry.alert
                return [
                    "fingerprint": a.fingerprint, "kind": a.kind.rawValue, "rule": a.ruleID, "entity": a.entity, "state": a.state.rawValue,
                    "severity": a.severity?.rawValue ?? NSNull(), "value": a.value ?? NSNull(), "startedAt": time(a.startedAt),
                    "firedAt": time(a.firedAt), "resolvedAt": time(a.resolvedAt),
                    "details": entry.details.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } ?? NSNull(),
                ]
            },
            "silences": silences.map { ["id": $0.id, "matcher": $0.matcher, "comment": $0.comment, "until": time($0.untilAt)] as [String: Any] },
        ])
    }

    // MARK: - /metrics

    /// Prometheus text exposition format 0.0.4.
    static func metrics(_ deps: Dependencies) async throws -> Response {
        let s = deps.stats.snapshot
        let gauges = try await deps.store.gauges()
        var out = ""
        func help(_ name: String, _ type: String, _ text: String) { out += "# HELP \(name) \(text)\n# TYPE \(name) \(type)\n" }
        func label(_ v: String) -> String { v.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n") }
        help("finsent_feed_polls_total", "counter", "Feed polls since start, by feed and outcome (ok, not_modified, error).")
        for (feed, outcomes) in s.polls.sorted(by: { $0.key < $1.key }) {
            for (outcome, n) in outcomes.sorted(by: { $0.key < $1.key }) { out += "finsent_feed_polls_total{feed=\"\(label(feed))\",outcome=\"\(outcome)\"} \(n)\n" }
        }
        help("finsent_feed_fetch_errors_total", "counter", "Failed polls since start, by kind (timeout, dns, connect, tls, too_large, redirect, parse, http_4xx, http_5xx, ...).")
        for (kind, n) in s.fetchErrors.sorted(by: { $0.key < $1.key }) { out += "finsent_feed_fetch_errors_total{kind=\"\(label(kind))\"} \(n)\n" }
        help("finsent_feed_items_total", "counter", "Items fetched since the feed was added, by feed and kind (new, duplicate).")
        for (feed, new, duplicate) in gauges.feedItems {
            out += "finsent_feed_items_total{feed=\"\(label(feed))\",kind=\"new\"} \(new)\n"
            out += "finsent_feed_items_total{feed=\"\(label(feed))\",kind=\"duplicate\"} \(duplicate)\n"
        }
        help("finsent_items_scored_total", "counter", "Items scored since start.")
        out += "finsent_items_scored_total \(s.itemsScored)\n"
        func histogram(_ name: String, _ text: String, _ h: PipelineStats.Histogram) {
            help(name, "histogram", text)
            for (bound, n) in zip(h.buckets, h.counts) { out += "\(name)_bucket{le=\"\(bound)\"} \(n)\n" }
            out += "\(name)_bucket{le=\"+Inf\"} \(h.count)\n\(name)_sum \(h.sum)\n\(name)_count \(h.count)\n"
        }
        histogram("finsent_scoring_batch_seconds", "Time to score and store one batch.", s.batchSeconds)
        histogram("finsent_scoring_batch_size", "Items per scoring batch.", s.batchSizes)
        help("finsent_scoring_queue_depth", "gauge", "Items stored but not yet scored.")
        out += "finsent_scoring_queue_depth \(deps.backlog.count)\n"
        help("finsent_alerts", "gauge", "Alerts by state.")
        for state in AlertState.allCases { out += "finsent_alerts{state=\"\(state.rawValue)\"} \(gauges.alertsByState[state] ?? 0)\n" }
        help("finsent_webhook_deliveries", "gauge", "Webhook deliveries by outcome.")
        for status in DeliveryStatus.allCases {
            out += "finsent_webhook_deliveries{status=\"\(status.rawValue)\"} \(gauges.deliveriesByStatus[status] ?? 0)\n"
        }
        help("finsent_database_bytes", "gauge", "Size of the SQLite database and its WAL.")
        out += "finsent_database_bytes \(gauges.bytes)\n"
        return text(out, type: "text/plain; version=0.0.4; charset=utf-8")
    }
}
