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
            for marker in leadingMarkers {
                guard text.count > marker.count, text.uppercased().hasPrefix(marker) else { continue }
                var rest = text.dropFirst(marker.count)
                // "UPDATE 2-", "WRAPUP 1-": a number, then the dash.
                rest = rest.drop { $0 == " " || $0.isNumber }
                guard let first = rest.first, first == "-" || first == ":" else { continue }
                text = rest.dropFirst().drop { $0 == " " }
                changed = true
            }
        }
        let lowered = text.lowercased()
        for suffix in trailingMarkers where lowered.hasSuffix(suffix) && text.count > suffix.count {
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
        let words = wordsAndNumbers(headline)
        var index = 0
        while index < words.count {
            let word = words[index]
            if let (symbol, length) = institution(at: index, in: words) {
                found.append(symbol)
                keys.append(contentsOf: words[index..<index + length].map { stem($0.lowercased()) })
                index += length
                continue
            }
            if let number = number(word, next: index + 1 < words.count ? words[index + 1] : nil) {
                keys.append("#" + number.value)
                index += number.consumed
                continue
            }
            index += 1
            let lowered = word.lowercased()
            guard lowered.count >= 2, !stopWords.contains(lowered) else { continue }
            keys.append(stem(lowered))
        }
        return (keys, found)
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

    /// Words and number-like runs ("$12", "3,000", "4.25%", "$0.92", "25bp", "2M"); cashtags lose their "$".
    static func wordsAndNumbers(_ text: String) -> [String] {
        var out: [String] = []
        var current = ""
        let scalars = Array(text.unicodeScalars)
        func flush() {
            // Trailing punctuation of a number ("3,000," or "4.1%.") is not part of it.
            while let last = current.unicodeScalars.last, last == "," || last == "." { current.unicodeScalars.removeLast() }
            if !current.isEmpty { out.append(current) }
            current = ""
        }
        for (i, c) in scalars.enumerated() {
            let next = i + 1 < scalars.count ? scalars[i + 1] : " "
            if c.properties.isAlphabetic || ("0"..."9").contains(c) {
                current.unicodeScalars.append(c)
            } else if (c == "," || c == ".") && !current.isEmpty && current.unicodeScalars.last.map({ ("0"..."9").contains($0) }) == true
                        && ("0"..."9").contains(next) {
                current.unicodeScalars.append(c)  // 3,000 and 4.25
            } else if c == "%" && !current.isEmpty {
                current.unicodeScalars.append(c)
                flush()
            } else if c == "$" && current.isEmpty && ("0"..."9").contains(next) {
                current.unicodeScalars.append(c)
            } else if c == "'" || c == "’" {
                // "Acme's" is "Acme": the possessive goes with the apostrophe.
                if next == "s" || next == "S" {
                    let after = i + 2 < scalars.count ? scalars[i + 2] : " "
                    if !after.properties.isAlphabetic { flush() ; continue }
                }
                flush()
            } else {
                flush()
            }
        }
        flush()
        // The "s" after an apostrophe is left alone as a word of one letter, dropped later.
        return out
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
