import Config
import Foundation
import Store

/// A mention of an entity in an item's text.
public struct Mention: Sendable, Equatable, Hashable {
    public typealias Kind = MentionKind
    public var symbol: String
    public var kind: Kind
    /// The text that matched (`$AAPL`, `Apple`).
    public var matched: String
}

/// Finds watchlist entities and cashtags in text.
///
/// Names and aliases match case-sensitively on word boundaries ("Apple" is not in "pineapple"
/// or "apple pie"); the longest name wins where names overlap. Cashtags (`$AAPL`, `$BRK.B`)
/// count for any symbol, on the watchlist or not; "$5" and "$5bn" are amounts, not cashtags.
/// "(NASDAQ: CTSO)"-style exchange tags count as cashtags too.
public struct EntityTagger: Sendable {
    let names: NameTrie
    static let exchanges = ["NASDAQ", "NYSE", "NYSEAMERICAN", "AMEX", "LSE", "TSX", "OTC", "NYSEARCA", "BATS"]

    public init(watchlist: [WatchlistEntry]) {
        var names = NameTrie()
        for entry in watchlist {
            for name in entry.names + entry.aliases where !name.isEmpty { names.insert(Array(name.unicodeScalars), symbol: entry.symbol) }
        }
        self.names = names
    }

    public func mentions(in text: String) -> [Mention] {
        let s = Array(text.unicodeScalars)
        var found: [String: Mention] = [:]
        func isWordScalar(_ c: Unicode.Scalar) -> Bool { c.properties.isAlphabetic || c.properties.numericType != nil || c == "_" }
        var i = 0
        while i < s.count {
            let c = s[i]
            let boundaryBefore = i == 0 || !isWordScalar(s[i - 1])
            if c == "$", boundaryBefore || s[i - 1] == "(" , i + 1 < s.count, ("A"..."Z").contains(s[i + 1]) || ("a"..."z").contains(s[i + 1]) {
                var j = i + 1
                while j < s.count, j - i <= 11, s[j].properties.isAlphabetic || ("0"..."9").contains(s[j]) || (s[j] == "." && j + 1 < s.count && s[j + 1].properties.isAlphabetic) {
                    j += 1
                }
                let symbol = String(String.UnicodeScalarView(s[(i + 1)..<j])).uppercased()
                if j - i - 1 <= 10, j == s.count || !isWordScalar(s[j]), symbol.first!.isLetter, symbol.allSatisfy({ $0.isASCII }) {
                    found[symbol] = found[symbol] ?? Mention(symbol: symbol, kind: .cashtag, matched: String(String.UnicodeScalarView(s[i..<j])))
                    i = j
                    continue
                }
            }
            // The longest name starting here that ends on a word boundary (or ends in a non-word character, "Apple Inc.").
            if boundaryBefore, let (end, symbol) = names.longestMatch(in: s, from: i, where: { end in
                end == s.count || !isWordScalar(s[end]) || !isWordScalar(s[end - 1])
            }) {
                if found[symbol] == nil {
                    found[symbol] = Mention(symbol: symbol, kind: .name, matched: String(String.UnicodeScalarView(s[i..<end])))
                }
                i = end
                continue
            }
            i += 1
        }
        // "(NASDAQ: CTSO)", "NYSE:JPM"
        for exchange in Self.exchanges {
            var rest = Substring(text)
            while let r = rest.range(of: exchange + ":") {
                let after = rest[r.upperBound...].drop { $0 == " " }
                let symbol = after.prefix { $0.isUppercase || $0.isNumber || $0 == "." }
                if (1...10).contains(symbol.count), symbol.first!.isLetter, !symbol.hasSuffix(".") {
                    let s = String(symbol)
                    if found[s] == nil { found[s] = Mention(symbol: s, kind: .cashtag, matched: "\(exchange): \(s)") }
                }
                rest = rest[r.upperBound...]
            }
        }
        return found.values.sorted { $0.symbol < $1.symbol }
    }
}
