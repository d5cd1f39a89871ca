import Config
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import Reports
import Store

/// monitord's HTTP API on `api.listen`: /healthz, /metrics, /v1/risk, /v1/alerts, /v1/stories, the dashboard at / and
/// a page per entity at /entity/SYMBOL. GET and HEAD only (405 otherwise); unknown query parameters are
/// refused (400); with `api.tokenEnv`/`api.tokenFile` everything but /healthz (and /metrics unless
/// `api.protectMetrics`) needs the bearer token.
public enum APIRoutes {
    public struct Dependencies: Sendable {
        let current: CurrentConfig
        let store: any MonitorStore
        let stats: PipelineStats
        let backlog: ScoringBacklog
        let modelVersion: String
        let instanceID: String
        let started: Date
        let metrics: MetricsPage

        public init(current: CurrentConfig, store: any MonitorStore, stats: PipelineStats, backlog: ScoringBacklog, modelVersion: String,
                    instanceID: String) {
            self.instanceID = instanceID
            self.current = current
            self.store = store
            self.stats = stats
            self.backlog = backlog
            self.modelVersion = modelVersion
            started = Date()
            metrics = MetricsPage(registry: stats.registry, version: FinSentVersion.string, modelVersion: modelVersion)
        }
    }

    /// Who may read a route.
    enum Access { case open, metrics, protected }

    /// A route: its path (a trailing `:symbol` segment matches one path segment), the query parameters it takes, who may read it.
    struct Route: Sendable {
        let path: String
        let parameters: Set<String>
        let access: Access
        let handler: @Sendable (Request, BasicRequestContext) async throws -> Response
    }

    static func routes(_ deps: Dependencies) -> [Route] {
        [
            Route(path: "/healthz", parameters: [], access: .open) { _, _ in try await health(deps) },
            Route(path: "/metrics", parameters: [], access: .metrics) { _, _ in
                text(try await deps.metrics.text(deps), type: "text/plain; version=0.0.4; charset=utf-8")
            },
            Route(path: "/v1/risk", parameters: ["since", "until", "entity", "top", "sort", "window"], access: .protected) { request, _ in
                try await risk(deps, request)
            },
            Route(path: "/v1/alerts", parameters: ["since"], access: .protected) { request, _ in try await alerts(deps, request) },
            Route(path: "/v1/stories", parameters: ["since", "entity", "limit"], access: .protected) { request, _ in
                try await stories(deps, request)
            },
            Route(path: "/", parameters: [], access: .protected) { _, _ in try await Dashboard.page(deps) },
            Route(path: "/entity/:symbol", parameters: ["since"], access: .protected) { request, context in
                try await EntityPage.page(deps, symbol: context.parameters.get("symbol") ?? "", request: request)
            },
        ]
    }

    /// The application as a ServiceLifecycle service; `onRunning` is called once the port is bound.
    public static func application(_ deps: Dependencies, host: String, port: Int, logger: Logger,
                                   onRunning: @escaping @Sendable () async -> Void = {}) -> some ApplicationProtocol {
        let routes = routes(deps)
        let router = Router(options: .autoGenerateHeadEndpoints)
        router.add(middleware: RequestMetricsMiddleware(registry: deps.stats.registry, routes: routes.map(\.path)))
        router.add(middleware: MethodMiddleware(routes: routes.map(\.path)))
        router.add(middleware: TokenMiddleware(current: deps.current, routes: routes))
        for route in routes {
            router.get(RouterPath(route.path)) { request, context in
                if let refusal = try unknownParameters(request, allowed: route.parameters) { return refusal }
                return try await route.handler(request, context)
            }
        }
        // Hostile clients: a stalled connection is closed after api.idleTimeout, at most api.maxConnections are
        // served at once (more wait in the backlog), a request head over 32 KB or 100 headers is refused (4xx).
        let settings = deps.current.config.api
        var http1 = HTTP1Channel.Configuration(idleTimeout: .nanoseconds(Int64(settings.idleTimeout.seconds * 1e9)))
        http1.httpDecoder = .init(maxHeaderFieldSize: 16 * 1024, maxHeaderListSize: 32 * 1024, maxHeaderFieldCount: 100)
        return Application(router: router, server: .http1(configuration: http1),
                           configuration: .init(address: .hostname(host, port: port), serverName: "monitord",
                                                availableConnectionsDelegate: MaximumAvailableConnections(settings.maxConnections)),
                           onServerRunning: { _ in await onRunning() }, logger: logger)
    }

    /// 400 naming the query parameters a route does not take (a typo must not silently widen a query).
    static func unknownParameters(_ request: Request, allowed: Set<String>) throws -> Response? {
        try APIQuery.unknownParameters(request.uri, allowed: allowed).map { try json(["error": $0.message], status: .badRequest) }
    }

    static func json(_ object: Any, status: HTTPResponse.Status = .ok) throws -> Response {
        text(try JSONText.encode(object), type: "application/json; charset=utf-8", status: status)
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        text(try JSONText.encode(value), type: "application/json; charset=utf-8", status: status)
    }

    static func text(_ text: String, type: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    // MARK: - /healthz

    /// 200 while serving (`ok` or `degraded`, with the reasons); 503 when `unhealthy`.
    static func health(_ deps: Dependencies) async throws -> Response {
        let databaseOK = await deps.store.ping()
        let feeds = (try? await deps.store.feeds()) ?? []
        let config = deps.current.config
        let report = HealthReport(databaseOK: databaseOK, heartbeat: deps.stats.scorerHeartbeat ?? deps.started, feeds: feeds,
                                  config: config, started: deps.started, now: Date(), storageFailure: deps.stats.storage.failure)
        return try json([
            "status": report.status.rawValue, "reasons": report.reasons, "database": databaseOK, "instance": deps.instanceID,
            "databaseWritable": deps.stats.storage.failure == nil,
            "backend": config.database.backend,
            "pipeline": ["alive": report.pipelineAlive, "lastHeartbeat": JSONText.timestamp(report.lastHeartbeat),
                         "backlog": deps.backlog.count, "modelVersion": deps.modelVersion] as [String: Any],
            "feeds": ["configured": report.configured, "healthy": report.healthy, "backingOff": report.backingOff.count,
                      "failing": report.backingOff, "unhealthy": report.unhealthy, "stale": report.stale] as [String: Any],
        ], status: report.status == .unhealthy ? HTTPResponse.Status.serviceUnavailable : .ok)
    }

    // MARK: - /v1/risk and /v1/alerts

    static func risk(_ deps: Dependencies, _ request: Request) async throws -> Response {
        let query: RiskReport.Query
        switch APIQuery.risk(request.uri, now: Date()) {
        case let .success(q): query = q
        case let .failure(refusal): return try json(["error": refusal.message], status: .badRequest)
        }
        let report = try await RiskReport.build(query, config: deps.current.config, modelVersion: deps.modelVersion, store: deps.store)
        return try json(report.document)
    }

    /// Stories with an item in `since` (default 24h; a duration or an RFC 3339 time), of one `entity` when given,
    /// at most `limit` (default 100, at most 1000), newest last item first: `StoryListDocument`.
    static func stories(_ deps: Dependencies, _ request: Request) async throws -> Response {
        switch APIQuery.stories(request.uri, now: Date()) {
        case let .failure(refusal): return try json(["error": refusal.message], status: .badRequest)
        case let .success((since, symbol, limit)):
            let stories = try await deps.store.stories(StoryQuery(modelVersion: deps.modelVersion, since: since, symbol: symbol, limit: limit))
            return try json(StoryListDocument(modelVersion: deps.modelVersion, stories: stories))
        }
    }

    /// Active alerts and those resolved within `since` (default 24h), and the active silences.
    static func alerts(_ deps: Dependencies, _ request: Request) async throws -> Response {
        let window: Duration
        switch APIQuery.alertsWindow(request.uri) {
        case let .success(d): window = d
        case let .failure(refusal): return try json(["error": refusal.message], status: .badRequest)
        }
        let now = Date()
        let alerts = try await deps.store.alerts(activeOrResolvedAfter: now.addingTimeInterval(-window.seconds), limit: 1000)
        let silences = try await deps.store.activeSilences(at: now)
        return try json(AlertListDocument(alerts: alerts, silences: silences))
    }
}
