import Foundation

/// Turns feed text (often HTML, often escaped once too often) into plain text.
public enum HTMLText {
    static let entities: [Substring: Unicode.Scalar] = {
        let words = htmlEntityTable.split(whereSeparator: \.isWhitespace)
        var table: [Substring: Unicode.Scalar] = [:]
        for i in stride(from: 0, to: words.count - 1, by: 2) {
            if let code = UInt32(words[i + 1], radix: 16), let scalar = Unicode.Scalar(code) { table[words[i]] = scalar }
        }
        return table
    }()

    /// Decodes `&name;`, `&#NNN;` and `&#xHHH;`. Unknown names and stray `&` stay as written;
    /// references to NUL, surrogates or out-of-range code points become U+FFFD, and references to
    /// C1 controls (128–159) mean the Windows-1252 character, as the HTML standard says.
    public static func decodeEntities(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count)
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            guard let semi = after.prefix(32).firstIndex(of: ";") else {
                out += "&"
                rest = after
                continue
            }
            let name = after[..<semi]
            var scalar: Unicode.Scalar?
            if name.hasPrefix("#x") || name.hasPrefix("#X") {
                scalar = UInt32(name.dropFirst(2), radix: 16).map { Unicode.Scalar($0) ?? "\u{FFFD}" }
                if scalar == "\0" { scalar = "\u{FFFD}" }
            } else if name.hasPrefix("#") {
                scalar = UInt32(name.dropFirst(), radix: 10).map { Unicode.Scalar($0) ?? "\u{FFFD}" }
                if scalar == "\0" { scalar = "\u{FFFD}" }
            } else {
                scalar = entities[name]
            }
            if let code = scalar?.value, (0x80...0x9F).contains(code) {  // "&#146;" means Windows-1252's ’ (as in HTML)
                scalar = Unicode.Scalar(TextDecoding.cp1252High[Int(code) - 0x80])
            }
            if let scalar {
                out.unicodeScalars.append(scalar)
                rest = after[after.index(after: semi)...]
            } else {
                out += "&"
                rest = after
            }
        }
        out += rest
        return out
    }

    /// Plain text from HTML: tags removed (with `<script>`/`<style>` content and comments),
    /// block boundaries kept as spaces, entities decoded, white space collapsed and trimmed.
    /// A `<` not followed by a letter, `/`, `!` or `?` is text ("S&P < 4000").
    public static func plainText(_ html: String) -> String {
        guard html.contains("<") || html.contains("&") else { return collapseWhitespace(html) }
        var out = ""
        let s = Array(html.unicodeScalars)
        var i = 0
        var textStart = 0
        func flush(_ end: Int) {
            if end > textStart { out.unicodeScalars.append(contentsOf: s[textStart..<end]) }
        }
        while i < s.count {
            guard s[i] == "<", i + 1 < s.count else { i += 1; continue }
            let next = s[i + 1]
            guard next.properties.isAlphabetic || next == "/" || next == "!" || next == "?" else { i += 1; continue }
            flush(i)
            if next == "!", i + 3 < s.count, s[i + 2] == "-", s[i + 3] == "-" {
                i = indexAfter(s, "-->", from: i + 4) ?? s.count
            } else {
                // tag name, to skip the content of script/style
                var j = i + 1
                let closing = s[j] == "/"
                if closing { j += 1 }
                var name = ""
                while j < s.count, s[j].properties.isAlphabetic || ("0"..."9").contains(s[j]) {
                    name.unicodeScalars.append(s[j]); j += 1
                }
                name = name.lowercased()
                var quote: Unicode.Scalar?
                while j < s.count {
                    if let q = quote { if s[j] == q { quote = nil } }
                    else if s[j] == "\"" || s[j] == "'" { quote = s[j] }
                    else if s[j] == ">" { break }
                    j += 1
                }
                i = min(j + 1, s.count)
                let inline = inlineTags.contains(name)
                if !closing, name == "script" || name == "style", s[safe: i - 1] == ">", s[safe: i - 2] != "/" {
                    i = indexAfter(s, "</\(name)", from: i).flatMap { end in indexAfter(s, ">", from: end) } ?? s.count
                }
                if !inline { out += " " }
            }
            textStart = i
        }
        flush(s.count)
        return collapseWhitespace(decodeEntities(out))
    }

    /// Tags that do not separate words (`#<span>stocks</span>` is "#stocks").
    static let inlineTags: Set<String> = ["a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "font", "i", "kbd",
                                          "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var"]

    /// Runs of white space (including no-break spaces and line breaks) become one space; ends trimmed.
    public static func collapseWhitespace(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace || scalar == "\u{200B}" || scalar.value < 0x20 || scalar.value == 0x7F {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.unicodeScalars.append(" "); pendingSpace = false }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func indexAfter(_ s: [Unicode.Scalar], _ literal: String, from start: Int) -> Int? {
        let needle = Array(literal.lowercased().unicodeScalars)
        guard !needle.isEmpty, start + needle.count <= s.count else { return nil }
        var i = start
        while i + needle.count <= s.count {
            var match = true
            for k in 0..<needle.count {
                let c = s[i + k]
                let lower = ("A"..."Z").contains(c) ? Unicode.Scalar(c.value + 32)! : c
                if lower != needle[k] { match = false; break }
            }
            if match { return i + needle.count }
            i += 1
        }
        return nil
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
