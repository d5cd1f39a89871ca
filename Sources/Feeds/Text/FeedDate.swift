import Foundation

/// Dates as feeds write them: RFC 822/1123 with named or numeric zones (and the usual
/// sloppiness: no weekday, two-digit years, no seconds, full month names), RFC 3339, and
/// ISO 8601 without a zone (read as UTC). Nil when the text is none of these.
public enum FeedDate {
    public static func parse(_ text: String) -> Date? {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let first = t.unicodeScalars.first else { return nil }
        if ("0"..."9").contains(first), t.count >= 8, t.unicodeScalars.dropFirst(4).first == "-" { return iso8601(t) }
        return rfc822(t) ?? iso8601(t)
    }

    static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let zones: [String: Int] = [
        "GMT": 0, "UT": 0, "UTC": 0, "Z": 0, "WET": 0, "BST": 60, "CET": 60, "CEST": 120, "MET": 60, "MEST": 120, "EET": 120,
        "EEST": 180, "EST": -300, "EDT": -240, "CST": -360, "CDT": -300, "MST": -420, "MDT": -360, "PST": -480, "PDT": -420,
        "AKST": -540, "AKDT": -480, "HST": -600, "JST": 540, "KST": 540, "HKT": 480, "SGT": 480, "AEST": 600, "AEDT": 660,
        "NZST": 720, "NZDT": 780, "IST": 330,
    ]

    /// `[Day,] DD Mon YYYY HH:MM[:SS] [zone]`, fields separated by spaces or commas.
    static func rfc822(_ t: String) -> Date? {
        var words = t.replacingOccurrences(of: ",", with: " ").split(separator: " ").map(String.init)
        if let first = words.first, Int(first) == nil, first.count >= 3,
           !months.contains(where: { first.lowercased().hasPrefix($0) }) { words.removeFirst() }  // weekday
        guard words.count >= 3 else { return nil }
        var dayText = words[0], monthText = words[1]
        if Int(dayText) == nil { swap(&dayText, &monthText) }  // "Jan 05 2024"
        guard let day = Int(dayText), (1...31).contains(day),
              let month = months.firstIndex(where: { monthText.lowercased().hasPrefix($0) }),
              var year = Int(words[2])
        else { return nil }
        if year < 100 { year += year < 50 ? 2000 : 1900 }
        var hour = 0, minute = 0, second = 0, offset = 0
        if words.count >= 4 {
            let clock = words[3].split(separator: ":")
            guard clock.count >= 2, let h = Int(clock[0]), let m = Int(clock[1]), (0...23).contains(h), (0...59).contains(m)
            else { return nil }
            hour = h; minute = m
            if clock.count >= 3 {
                guard let s = Int(clock[2].prefix(2)), (0...60).contains(s) else { return nil }
                second = min(s, 59)
            }
            var zoneIndex = 4
            if words.count >= 5, ["AM", "PM"].contains(words[4].uppercased()), (1...12).contains(hour) {  // "02:02:33 PM"
                hour = hour % 12 + (words[4].uppercased() == "PM" ? 12 : 0)
                zoneIndex = 5
            }
            if words.count > zoneIndex {
                guard let z = zoneOffset(words[zoneIndex]) else { return nil }
                offset = z
            }
        }
        return date(year: year, month: month + 1, day: day, hour: hour, minute: minute, second: second, fraction: 0, offsetMinutes: offset)
    }

    static func zoneOffset(_ text: String) -> Int? {
        if let named = zones[text.uppercased()] { return named }
        let scalars = Array(text.unicodeScalars)
        guard let sign = scalars.first, sign == "+" || sign == "-" else { return nil }
        let parts = String(String.UnicodeScalarView(scalars.dropFirst())).split(separator: ":", omittingEmptySubsequences: false)
        let minutes: Int
        if parts.count == 2, parts[0].count == 2, (1...2).contains(parts[1].count), let h = Int(parts[0]), let m = Int(parts[1]) {
            minutes = h * 60 + m  // "+05:30", and "+00:0" from a sloppy writer
        } else if parts.count == 1, parts[0].count == 4 || parts[0].count == 2, let value = Int(parts[0]) {
            minutes = parts[0].count == 4 ? (value / 100) * 60 + value % 100 : value * 60
        } else {
            return nil
        }
        return sign == "-" ? -minutes : minutes
    }

    /// `YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]][Z|±HH:MM|±HHMM]`; no zone means UTC.
    public static func iso8601(_ t: String) -> Date? {
        let s = Array(t.utf8)
        var i = 0
        func number(_ width: Int) -> Int? {
            guard i + width <= s.count else { return nil }
            var v = 0
            for k in 0..<width {
                let c = s[i + k]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            i += width
            return v
        }
        func expect(_ c: Character) -> Bool {
            guard i < s.count, s[i] == c.asciiValue! else { return false }
            i += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2),
              (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var hour = 0, minute = 0, second = 0, fraction = 0.0, offset = 0
        if i < s.count, s[i] == UInt8(ascii: "T") || s[i] == UInt8(ascii: "t") || s[i] == UInt8(ascii: " ") {
            i += 1
            guard let h = number(2), expect(":"), let m = number(2), h <= 23, m <= 59 else { return nil }
            hour = h; minute = m
            if expect(":") {
                guard let sec = number(2), sec <= 60 else { return nil }
                second = min(sec, 59)
                if i < s.count, s[i] == UInt8(ascii: ".") || s[i] == UInt8(ascii: ",") {
                    i += 1
                    var scale = 0.1
                    while i < s.count, s[i] >= 48, s[i] <= 57 { fraction += Double(s[i] - 48) * scale; scale /= 10; i += 1 }
                }
            }
            while i < s.count, s[i] == UInt8(ascii: " ") { i += 1 }
            if i < s.count {
                let zone = String(decoding: s[i...], as: UTF8.self)
                guard let z = zoneOffset(zone) else { return nil }
                offset = z
                i = s.count
            }
        }
        guard i == s.count else { return nil }
        return date(year: year, month: month, day: day, hour: hour, minute: minute, second: second, fraction: fraction, offsetMinutes: offset)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func date(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, fraction: Double, offsetMinutes: Int) -> Date? {
        guard (1000...9999).contains(year) else { return nil }
        let days = daysFromCivil(year, month, day)
        let seconds = days * 86400 + hour * 3600 + minute * 60 + second - offsetMinutes * 60
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// RFC 3339 in UTC with seconds (`2026-11-25T14:03:00Z`), as `feed parse` prints it.
    public static func rfc3339(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        var days = seconds / 86400, rest = seconds % 86400
        if rest < 0 { rest += 86400; days -= 1 }
        // civil from days (Hinnant)
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(y)-\(two(m))-\(two(d))T\(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60))Z"
    }
}
