import Foundation

/// The lexical side of a headline, as story clustering reads it: wire markers removed, content words
/// stemmed lightly, amounts and percentages written one way ("$12 billion", "$12bn" and "12B" are
/// one number), so that an outlet's rewrite and the wire's UPDATE 2 share their keys.
public enum StoryText {
    /// The headline without wire-service markers: "UPDATE 2-", "BRIEF-", "EXCLUSIVE-", "BREAKING:"
    /// before it, "- sources", "| Reuters" after it.
    public static func headline(_ title: String) -> String {
        var text = Substring(title.trimmingCharacters(in: .whitespacesAndNewlines))
        var changed = true
        while changed {
            changed = false
            let head = text.prefix(12).uppercased()  // the longest marker is 11 characters
            for marker in leadingMarkers where head.hasPrefix(marker) && text.count > marker.count {
                var rest = text.dropFirst(marker.count)
                // "UPDATE 2-", "WRAPUP 1-": a number, then the dash.
                rest = rest.drop { $0 == " " || $0.isNumber }
                guard let first = rest.first, first == "-" || first == ":" else { continue }
                text = rest.dropFirst().drop { $0 == " " }
                changed = true
                break
            }
        }
        let tail = text.suffix(14).lowercased()
        for suffix in trailingMarkers where tail.hasSuffix(suffix) && text.count > suffix.count {
            text = text.dropLast(suffix.count)
            break
        }
        return text.trimmingCharacters(in: .whitespaces)
    }

    static let leadingMarkers = ["UPDATE", "WRAPUP", "BRIEF", "EXCLUSIVE", "BREAKING", "CORRECTED", "REFILE", "RPT", "INSIGHT",
                                 "ANALYSIS", "FACTBOX", "JUST IN", "ALERT"]
    static let trailingMarkers = [" - sources", " - source", " -sources", " - reuters", " | reuters", " - bloomberg", " - report",
                                  " - wsj", " - ft", " - cnbc"]

    /// The keys of a headline: stemmed content words, and numbers as `#value` (`#12000000000`, `#38`,
    /// `#0.92`, `#25bp`; a percentage is its number), with the institutions it names (`FED`, `ECB`, `OPEC`).
    public static func keys(_ headline: String) -> (keys: [String], institutions: [String]) {
        var keys: [String] = [], found: [String] = []
        let (words, lowered) = tokens(headline)
        keys.reserveCapacity(words.count)
        var index = 0
        while index < words.count {
            let word = words[index]
            if let (symbol, length) = institution(at: index, in: words) {
                found.append(symbol)
                keys.append(contentsOf: lowered[index..<index + length].map(stem))
                index += length
                continue
            }
            if let number = number(word, next: index + 1 < words.count ? lowered[index + 1] : nil) {
                keys.append("#" + number.value)
                index += number.consumed
                continue
            }
            let lower = lowered[index]
            index += 1
            guard lower.utf8.count >= 2, !stopWords.contains(lower) else { continue }
            keys.append(stem(lower))
        }
        return (keys, found)
    }

    /// The words and number-like runs of a text ("$12", "3,000", "4.25%", "25bp"), as written and with
    /// ASCII lower-cased; cashtags lose their "$", and "Acme's" is "Acme" (then "s"). Read as UTF-8 bytes:
    /// story features are made for every item scored, and String's per-character work was most of their cost.
    static func tokens(_ text: String) -> (words: [String], lowered: [String]) {
        var words: [String] = [], lowered: [String] = []
        var bytes = Array(text.utf8)
        let n = bytes.count
        @inline(__always) func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
        @inline(__always) func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 97 && (b | 0x20) <= 122 }
        // U+2010 … U+203F (dashes, curly quotes, ellipsis) separate words; other non-ASCII letters belong to them.
        @inline(__always) func isPunctuation(_ i: Int) -> Bool {
            bytes[i] == 0xE2 && i + 2 < n && bytes[i + 1] == 0x80 && bytes[i + 2] >= 0x90
        }
        @inline(__always) func isWordByte(_ i: Int) -> Bool {
            let b = bytes[i]
            return isDigit(b) || isLetter(b) || (b >= 0x80 && !isPunctuation(i))
        }
        var i = 0
        while i < n {
            if isPunctuation(i) { i += 3; continue }
            let start = i
            if bytes[i] == UInt8(ascii: "$"), i + 1 < n, isDigit(bytes[i + 1]) {
                i += 1
            } else if !isWordByte(i) {
                i += 1
                continue
            }
            while i < n {
                let b = bytes[i]
                if isPunctuation(i) { break }
                if isWordByte(i) { i += 1; continue }
                if (b == UInt8(ascii: ",") || b == UInt8(ascii: ".")), isDigit(bytes[i - 1]), i + 1 < n, isDigit(bytes[i + 1]) { i += 1; continue }
                if b == UInt8(ascii: "%"), isDigit(bytes[i - 1]) { i += 1 }
                break
            }
            guard i > start else { i += 1; continue }
            words.append(String(decoding: bytes[start..<i], as: UTF8.self))
            for k in start..<i where bytes[k] >= 65 && bytes[k] <= 90 { bytes[k] |= 0x20 }
            lowered.append(String(decoding: bytes[start..<i], as: UTF8.self))
        }
        return (words, lowered)
    }

    /// Central banks and cartels: entities of macro news that no watchlist names. "Fed holds rates" and
    /// "Bank of England holds rates" are different events however alike the words.
    static let institutions: [(words: [String], symbol: String)] = [
        (["Federal", "Reserve"], "FED"), (["Fed"], "FED"), (["FOMC"], "FED"), (["Powell"], "FED"),
        (["European", "Central", "Bank"], "ECB"), (["ECB"], "ECB"), (["Lagarde"], "ECB"),
        (["Bank", "of", "England"], "BOE"), (["BOE"], "BOE"), (["BoE"], "BOE"),
        (["Bank", "of", "Japan"], "BOJ"), (["BOJ"], "BOJ"), (["BoJ"], "BOJ"),
        (["People", "Bank", "of", "China"], "PBOC"), (["PBOC"], "PBOC"), (["PBoC"], "PBOC"),
        (["Swiss", "National", "Bank"], "SNB"), (["SNB"], "SNB"),
        (["Bank", "of", "Canada"], "BOC"), (["Reserve", "Bank", "of", "Australia"], "RBA"), (["RBA"], "RBA"),
        (["OPEC"], "OPEC"),
    ]
    static let institutionStarts: Set<String> = Set(institutions.map { $0.words[0] })

    static func institution(at index: Int, in words: [String]) -> (symbol: String, length: Int)? {
        guard institutionStarts.contains(words[index]) else { return nil }
        for entry in institutions where index + entry.words.count <= words.count {
            if words[index..<index + entry.words.count].elementsEqual(entry.words) { return (entry.symbol, entry.words.count) }
        }
        return nil
    }

    /// A number at `word` (with the scale word after it, when there is one) in one canonical form.
    static func number(_ word: String, next: String?) -> (value: String, consumed: Int)? {
        var text = Substring(word)
        if text.hasPrefix("$") { text = text.dropFirst() }
        guard let first = text.first, first.isNumber else { return nil }
        if text.hasSuffix("%") {
            return (canonical(Double(text.dropLast().replacingOccurrences(of: ",", with: "")) ?? 0), 1)
        }
        let digits = text.prefix { $0.isNumber || $0 == "." || $0 == "," }
        guard var value = Double(digits.replacingOccurrences(of: ",", with: "")) else { return nil }
        var unit = text.dropFirst(digits.count).lowercased()
        var consumed = 1
        if unit.isEmpty, let next {
            let word = next.lowercased()
            if scales[word] != nil || word == "basis" || word == "percent" { unit = word; consumed = 2 }
        }
        if unit == "percent" { return (canonical(value), consumed) }
        if unit == "basis" || unit == "bp" || unit == "bps" { return (canonical(value) + "bp", consumed) }
        if let scale = scales[unit] {
            value *= scale
        } else if !unit.isEmpty {
            return (canonical(value) + unit, consumed)  // "10k" handled above; "Q3", "4th" stay as they are
        }
        return (canonical(value), consumed)
    }

    static let scales: [String: Double] = [
        "k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "mln": 1e6, "million": 1e6, "b": 1e9, "bn": 1e9, "bln": 1e9,
        "billion": 1e9, "t": 1e12, "tn": 1e12, "trillion": 1e12,
    ]

    static func canonical(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(format: "%g", value)
    }

    /// A light suffix stripper: "cuts"/"cut", "plunged"/"plunges"/"plunge", "raising"/"raise" meet.
    static func stem(_ word: String) -> String {
        var w = Substring(word)
        if w.count > 4, w.hasSuffix("ies") { w = w.dropLast(3) + "y" }
        else if w.count > 3, w.hasSuffix("s"), !w.hasSuffix("ss"), !w.hasSuffix("us"), !w.hasSuffix("is") { w = w.dropLast() }
        if w.count > 5, w.hasSuffix("ing") { w = w.dropLast(3) }
        else if w.count > 4, w.hasSuffix("ed") { w = w.dropLast(2) }
        if w.count > 3, w.hasSuffix("e") { w = w.dropLast() }
        return String(w)
    }

    /// Words that say nothing about which event a headline reports.
    static let stopWords: Set<String> = [
        "a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "for", "from", "by", "with", "as", "is", "are", "was",
        "were", "be", "been", "has", "have", "had", "it", "its", "this", "that", "these", "those", "after", "before", "over",
        "under", "into", "out", "up", "down", "about", "amid", "than", "more", "most", "less", "new", "says", "said", "say", "will",
        "would", "could", "may", "might", "can", "not", "no", "per", "via", "vs", "inc", "corp", "co", "ltd", "plc", "company",
        "shares", "share", "stock", "stocks", "reuters", "bloomberg", "update", "report", "reports", "us", "u", "s", "we", "i",
        "you", "he", "she", "they", "what", "who", "why", "how", "just", "now", "today", "here", "there", "so", "if", "all",
        "some", "big", "huge", "breaking", "news", "first", "also", "still", "his", "her", "their", "our", "my", "your",
    ]
}
