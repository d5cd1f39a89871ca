import Feeds
import Foundation

/// Durations as written in the configuration: `"500ms"`, `"2s"`, `"5m"`, `"1h"`,
/// `"1d"`, or combinations such as `"1h30m"`.
public enum DurationText {
    private static let units: [(suffix: String, milliseconds: Int64)] = [
        ("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000),
    ]

    /// Parses a duration string; nil when it is not one.
    public static func parse(_ text: String) -> Duration? {
        var total: Int64 = 0
        var rest = Substring(text)
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, let amount = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let unitText = rest.prefix { $0.isASCII && $0.isLetter }
            guard let unit = units.first(where: { $0.suffix == unitText }) else { return nil }
            rest = rest.dropFirst(unitText.count)
            let (product, overflow) = amount.multipliedReportingOverflow(by: unit.milliseconds)
            guard !overflow, total <= Int64.max - product else { return nil }
            total += product
        }
        return .milliseconds(total)
    }

    /// Formats a duration the way the configuration writes it (`"1h30m"`, `"250ms"`).
    public static func format(_ duration: Duration) -> String {
        var milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        if milliseconds == 0 { return "0s" }
        var text = ""
        for unit in units.reversed() where milliseconds >= unit.milliseconds {
            text += "\(milliseconds / unit.milliseconds)\(unit.suffix)"
            milliseconds %= unit.milliseconds
        }
        return text
    }
}

extension Duration {
    /// The duration in seconds as a `Double` (for APIs that take a `TimeInterval`).
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

extension DurationText {
    /// A point in time as operators write it: a duration back from `now` ("24h") or an RFC 3339 time.
    public static func pointInTime(_ text: String, now: Date) -> Date? {
        if let d = parse(text) { return now.addingTimeInterval(-d.seconds) }
        return timestamp(text)
    }

    /// An RFC 3339 time, with or without fractional seconds (`JSONText.timestamp` writes milliseconds); a date
    /// or a time without a zone is read as UTC. Read by our own parser (the one feeds' dates go through):
    /// Foundation's ISO8601DateFormatter crashed (SIGFPE inside ICU) on a long fraction with a broken zone,
    /// found by `scripts/fuzz.sh date` and kept in fuzz/regressions/date.
    public static func timestamp(_ text: String) -> Date? {
        FeedDate.iso8601(text.trimmingCharacters(in: .whitespaces))
    }
}
