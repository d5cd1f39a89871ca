import Config
import Crypto
import Foundation
import Hummingbird
import Prometheus

/// Matches a request path against the route patterns (`:name` matches one segment).
enum RoutePattern {
    static func matches(_ pattern: String, _ path: String) -> Bool {
        let p = pattern.split(separator: "/", omittingEmptySubsequences: true)
        let s = path.split(separator: "/", omittingEmptySubsequences: true)
        guard p.count == s.count else { return false }
        return zip(p, s).allSatisfy { $0.hasPrefix(":") || $0 == $1 }
    }

    static func route(of path: String, in patterns: [String]) -> String? {
        patterns.first { matches($0, path) }
    }
}

/// A method other than GET or HEAD on a known path is 405 with `Allow`, not 404.
struct MethodMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: [String]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.method != .get, request.method != .head, RoutePattern.route(of: request.uri.path, in: routes) != nil {
            var response = try APIRoutes.json(["error": "\(request.method.rawValue) is not allowed on \(request.uri.path); use GET or HEAD"],
                                              status: .methodNotAllowed)
            response.headers[.allow] = "GET, HEAD"
            return response
        }
        return try await next(request, context)
    }
}

/// With `api.tokenEnv`/`api.tokenFile` set: `Authorization: Bearer <token>`, compared in constant time,
/// on every route but /healthz (and /metrics unless `api.protectMetrics`). Read per request, so a
/// reload (SIGHUP) that changes the token takes effect at once.
struct TokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let current: CurrentConfig
    let routes: [APIRoutes.Route]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let api = current.config.api
        guard let token = api.token else { return try await next(request, context) }
        let access = routes.first { RoutePattern.matches($0.path, request.uri.path) }?.access ?? .protected
        switch access {
        case .open: return try await next(request, context)
        case .metrics where !api.protectMetrics: return try await next(request, context)
        default: break
        }
        let header = request.headers[.authorization] ?? ""
        let presented = header.hasPrefix("Bearer ") ? String(header.dropFirst(7)) : ""
        guard Self.same(presented, token) else {
            var response = try APIRoutes.json(["error": header.isEmpty ? "this endpoint needs Authorization: Bearer <api token>" : "wrong API token"],
                                              status: .unauthorized)
            response.headers[.wwwAuthenticate] = "Bearer realm=\"finsent\""
            return response
        }
        return try await next(request, context)
    }

    /// Constant time in the token's content: both sides are hashed, then the digests compared without early exit.
    static func same(_ presented: String, _ token: String) -> Bool {
        let a = SHA256.hash(data: Data(presented.utf8)), b = SHA256.hash(data: Data(token.utf8))
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// `finsent_http_requests_total{route,method,status}` and `finsent_http_request_duration_seconds{route}`.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let registry: PrometheusCollectorRegistry
    let routes: [String]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        // Unknown paths share one label, so a scanner cannot grow the series without bound.
        let route = RoutePattern.route(of: request.uri.path, in: routes) ?? "other"
        let method = [.get, .head, .post, .put, .delete, .options, .patch].contains(request.method) ? request.method.rawValue : "other"
        func record(_ status: Int) {
            registry.makeCounter(descriptor: Metric.httpRequests.descriptor,
                                 labels: [("route", route), ("method", method), ("status", String(status))]).increment()
            registry.makeValueHistogram(descriptor: Metric.httpSeconds.descriptor, labels: [("route", route)], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5])
                .record((ContinuousClock.now - started).seconds)
        }
        do {
            let response = try await next(request, context)
            record(response.status.code)
            return response
        } catch let error as HTTPError {
            record(error.status.code)
            throw error
        } catch {
            record(500)
            throw error
        }
    }
}
