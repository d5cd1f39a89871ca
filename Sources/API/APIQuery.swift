import Config
import Foundation
import Hummingbird
import HummingbirdCore
import Reports

/// The query strings of the API, checked: the query a route runs, or the message of its 400.
/// Pure (no store, no clock but the `now` given), so it is fuzzed on its own (`scripts/fuzz.sh api-query`).
public enum APIQuery {
    /// A 400's message.
    public struct Refusal: Error, Equatable, Sendable {
        public let message: String
    }

    /// The parameters a route takes; `nil` when all are known, else the refusal naming the unknown ones.
    public static func unknownParameters(_ uri: URI, allowed: Set<String>) -> Refusal? {
        let unknown = Set(uri.queryParameters.map { String($0.key) }).subtracting(allowed).sorted()
        guard !unknown.isEmpty else { return nil }
        let takes = allowed.isEmpty ? "no query parameters" : "only " + allowed.sorted().joined(separator: ", ")
        return Refusal(message: "unknown query parameter\(unknown.count == 1 ? "" : "s") \(unknown.joined(separator: ", ")); \(uri.path) takes \(takes)")
    }

    /// `/v1/risk`: `since`/`until` (durations back from now or RFC 3339 times), `entity` (repeated), `top`, `sort`, `window`.
    public static func risk(_ uri: URI, now: Date) -> Result<RiskReport.Query, Refusal> {
        let q = uri.queryParameters
        func time(_ key: String, _ fallback: Date) -> Date? {
            q[Substring(key)].map { DurationText.pointInTime(String($0), now: now) } ?? fallback
        }
        guard let since = time("since", now.addingTimeInterval(-86_400)), let until = time("until", now), since < until else {
            return .failure(Refusal(message: "since/until: durations back from now (24h) or RFC 3339 times, since before until"))
        }
        var query = RiskReport.Query(since: since, until: until)
        query.entities = q[values: "entity"].map(String.init)
        if let top = q["top"] {
            guard let n = Int(top), n > 0 else { return .failure(Refusal(message: "top: a positive integer")) }
            query.top = n
        }
        if let sort = q["sort"] {
            guard let s = RiskReport.Sort(rawValue: String(sort)) else {
                return .failure(Refusal(message: "sort: one of risk, burst, volume, sentiment"))
            }
            query.sort = s
        }
        if let window = q["window"] {
            guard let d = DurationText.parse(String(window)), d > .zero else { return .failure(Refusal(message: "window: a duration like 1h")) }
            query.window = d
        }
        return .success(query)
    }

    /// `since`: a duration back from now or an RFC 3339 time before now; 24h ago when absent.
    public static func since(_ uri: URI, now: Date) -> Result<Date, Refusal> {
        guard let text = uri.queryParameters["since"] else { return .success(now.addingTimeInterval(-86_400)) }
        guard let time = DurationText.pointInTime(String(text), now: now), time < now else {
            return .failure(Refusal(message: "since: a duration back from now (24h) or an RFC 3339 time"))
        }
        return .success(time)
    }

    /// `/v1/stories`: `since` (default 24h), `entity`, `limit` (1–1000, default 100).
    public static func stories(_ uri: URI, now: Date) -> Result<(since: Date, symbol: String?, limit: Int), Refusal> {
        let q = uri.queryParameters
        let since: Date
        switch self.since(uri, now: now) {
        case let .success(s): since = s
        case let .failure(refusal): return .failure(refusal)
        }
        var limit = 100
        if let text = q["limit"] {
            guard let n = Int(text), (1...1000).contains(n) else { return .failure(Refusal(message: "limit: an integer from 1 to 1000")) }
            limit = n
        }
        let symbol = q["entity"].map { String($0).uppercased() }
        if let symbol, symbol.isEmpty || symbol.count > 32 {
            return .failure(Refusal(message: "entity: a ticker symbol"))
        }
        return .success((since, symbol, limit))
    }

    /// `/v1/alerts`: `since`, a duration (default 24h).
    public static func alertsWindow(_ uri: URI) -> Result<Duration, Refusal> {
        guard let since = uri.queryParameters["since"] else { return .success(.seconds(86_400)) }
        guard let d = DurationText.parse(String(since)), d > .zero else { return .failure(Refusal(message: "since: a duration like 24h")) }
        return .success(d)
    }
}
