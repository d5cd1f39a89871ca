/// Token strings and their ids.
public struct Vocabulary: Sendable {
    /// The token of each id (empty for ids no token has).
    public let tokens: [String]
    /// The id of each token.
    public let ids: [String: Int32]

    /// Creates a vocabulary from a token-to-id map (as in `tokenizer.json`).
    public init(ids: [String: Int32]) {
        self.ids = ids
        var tokens = [String](repeating: "", count: Int(ids.values.max() ?? -1) + 1)
        for (token, id) in ids where id >= 0 { tokens[Int(id)] = token }
        self.tokens = tokens
    }

    /// Creates a vocabulary from `vocab.txt` text: one token per line, the id is
    /// the line number from 0. As in Hugging Face, trailing white space is trimmed
    /// and a token listed twice keeps its last line.
    public init(vocabText: String) {
        var ids: [String: Int32] = [:]
        var index: Int32 = 0
        for line in vocabText.split(separator: "\n", omittingEmptySubsequences: false) {
            var token = Substring(line)
            while let last = token.unicodeScalars.last, last.properties.isWhitespace {
                token = token.dropLast()
            }
            ids[String(token)] = index
            index += 1
        }
        // A final newline ends the last line; it does not start an empty token.
        if vocabText.hasSuffix("\n"), ids[""] == index - 1 { ids[""] = nil }
        self.init(ids: ids)
    }

    /// The number of ids.
    public var count: Int { tokens.count }

    /// The token for an id, or nil when out of range.
    public func token(for id: Int32) -> String? {
        id >= 0 && Int(id) < tokens.count ? tokens[Int(id)] : nil
    }
}
