import Config
import Feeds
import Foundation

/// When to poll a feed next: the pure part of polling politely.
public enum FeedSchedule {
    /// Spread polls of feeds with the same interval: ±10%.
    static func jitter(_ d: Duration, _ random: Double) -> Duration { d * (0.9 + 0.2 * random) }

    /// After a usable answer (200 or 304): the interval with jitter, but never sooner than the
    /// publisher asks (RSS `<ttl>`, `Cache-Control: max-age`), those capped at `ceiling`.
    public static func afterSuccess(interval: Duration, ttlSeconds: Int?, maxAgeSeconds: Int?, ceiling: Duration,
                                    random: Double = .random(in: 0..<1)) -> Duration {
        let floor = [ttlSeconds, maxAgeSeconds].compactMap { $0 }.map { Duration.seconds(max(0, $0)) }.max() ?? .zero
        return max(jitter(interval, random), min(floor, max(ceiling, interval)))
    }

    /// After the `streak`-th failure in a row: exponential backoff from the interval, capped at
    /// `maxBackoff`, with jitter; never sooner than a server's `Retry-After` (capped at a day).
    public static func afterFailure(interval: Duration, streak: Int, maxBackoff: Duration, retryAfter: Duration?,
                                    random: Double = .random(in: 0..<1)) -> Duration {
        let cap = max(maxBackoff, interval)
        let doublings = min(max(streak - 1, 0), 30)
        let backoff = min(interval * (1 << doublings), cap)
        let delay = min(jitter(backoff, random), cap)
        guard let retryAfter else { return delay }
        return max(delay, min(retryAfter, .seconds(86_400)))
    }

    /// `Retry-After`: delay-seconds or an HTTP date.
    public static func retryAfter(_ header: String?, now: Date = Date()) -> Duration? {
        guard let text = header?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        if let seconds = Int(text) { return .seconds(max(0, seconds)) }
        guard let date = HTTPDate.parse(text) else { return nil }
        return .milliseconds(max(0, Int64((date.timeIntervalSince(now) * 1000).rounded(.up))))
    }

    /// `max-age` from Cache-Control (ignored with `no-cache`/`no-store`).
    public static func maxAge(_ header: String?) -> Int? {
        guard let header else { return nil }
        var age: Int?
        for directive in header.lowercased().split(separator: ",") {
            let parts = directive.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts[0] == "no-cache" || parts[0] == "no-store" { return nil }
            if parts[0] == "max-age", parts.count == 2 { age = Int(parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))) }
        }
        return age
    }
}

/// HTTP dates (RFC 9110: IMF-fixdate, and the obsolete RFC 850 and asctime forms).
enum HTTPDate {
    static func parse(_ text: String) -> Date? {
        if let date = FeedDate.parse(text) { return date }
        // asctime: "Sun Nov  6 08:49:37 1994"
        let words = text.split(separator: " ")
        if words.count == 5 {
            return FeedDate.parse("\(words[2]) \(words[1]) \(words[4]) \(words[3]) GMT")
        }
        // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
        return FeedDate.parse(text.replacingOccurrences(of: "-", with: " "))
    }
}
