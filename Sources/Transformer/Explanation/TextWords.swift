import WordPiece

/// A text's words as a reader sees them: runs of characters between white space ("$AAPL",
/// "38%", "$12bn", "plunge,"). Explanations rank these, not word pieces: a ticker or a number
/// with its unit is one word, and removing a word removes all of its tokens.
struct TextWords {
    /// Each word's scalar range in the text, in order.
    let ranges: [Range<Int>]
    /// For each token of the encoding, the index of its word (-1 for [CLS] and [SEP]).
    let wordOfToken: [Int]
    /// Each word as shown: surrounding punctuation trimmed ("plunge," → "plunge", "(NYSE:" → "NYSE").
    let shown: [String]
    /// Whether each word is shown to a reader (`FillerWords`), decided once per word.
    let isShown: [Bool]

    init(text: String, encoding: Encoding) {
        let scalars = Array(text.unicodeScalars)
        var ranges: [Range<Int>] = []
        var start: Int?
        for (index, scalar) in scalars.enumerated() {
            if scalar.properties.isWhitespace {
                if let first = start { ranges.append(first..<index); start = nil }
            } else if start == nil {
                start = index
            }
        }
        if let first = start { ranges.append(first..<scalars.count) }
        self.ranges = ranges
        // Tokens come in text order, so one pass over both lists assigns them.
        var wordOfToken = [Int](repeating: -1, count: encoding.count)
        var word = 0
        for token in 0..<encoding.count where encoding.ends[token] > encoding.starts[token] {
            let position = Int(encoding.starts[token])
            while word < ranges.count, ranges[word].upperBound <= position { word += 1 }
            if word < ranges.count, ranges[word].contains(position) { wordOfToken[token] = word }
        }
        self.wordOfToken = wordOfToken
        shown = ranges.map { FillerWords.trimmed(String(String.UnicodeScalarView(scalars[$0]))) }
        isShown = shown.map(FillerWords.isShown(trimmed:))
    }

    var count: Int { ranges.count }

    /// The token sequence without the tokens of the words in `removed` ([CLS] and [SEP] kept).
    func ids(_ ids: [Int32], without removed: Set<Int>) -> [Int32] {
        var kept: [Int32] = []
        kept.reserveCapacity(ids.count)
        for (token, id) in ids.enumerated() where !removed.contains(wordOfToken[token]) { kept.append(id) }
        return kept
    }

    /// The words the encoding reached (a text cut at the model's length has words after its last token).
    var encodedWords: Set<Int> { Set(wordOfToken.filter { $0 >= 0 }) }
}
