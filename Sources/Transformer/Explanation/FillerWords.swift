/// Which words an explanation shows. Stop words, punctuation and bare symbols carry no meaning
/// a reader can act on ("as", "a", "to", "$", "%", "-"), so they are never shown; tickers
/// ("$AAPL"), numbers with their unit ("38%", "$12bn"), negations ("not", "no", "never",
/// "didn't") and direction words ("up", "down", "below") always are.
public enum FillerWords {
    /// Whether a word (as written in the text) is shown in explanations.
    public static func isShown(_ word: String) -> Bool {
        isShown(trimmed: trimmed(word))
    }

    /// `isShown` of a word already trimmed (`trimmed`).
    static func isShown(trimmed: String) -> Bool {
        guard trimmed.unicodeScalars.contains(where: { $0.properties.isAlphabetic || $0.properties.numericType != nil }) else {
            return false
        }
        return !stopWords.contains(trimmed.lowercased())
    }

    /// The word without the punctuation around it: quotes, brackets, and sentence punctuation
    /// at either end; a leading `$`, `#`, `@`, `+`/`-` before a digit and a trailing `%` stay.
    public static func trimmed(_ word: String) -> String {
        var scalars = Substring(word).unicodeScalars[...]
        while let first = scalars.first, isTrimmedAtStart(first, next: scalars.dropFirst().first) { scalars.removeFirst() }
        while let last = scalars.last, isTrimmedAtEnd(last) { scalars.removeLast() }
        return String(String.UnicodeScalarView(scalars))
    }

    private static func isTrimmedAtStart(_ scalar: Unicode.Scalar, next: Unicode.Scalar?) -> Bool {
        if "$#@".unicodeScalars.contains(scalar) { return false }
        if "+-−".unicodeScalars.contains(scalar), let next, next.properties.numericType != nil { return false }
        return isPunctuationOrSymbol(scalar)
    }

    private static func isTrimmedAtEnd(_ scalar: Unicode.Scalar) -> Bool {
        scalar != "%" && isPunctuationOrSymbol(scalar)
    }

    private static func isPunctuationOrSymbol(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation, .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            return true
        default:
            return false
        }
    }

    /// English function words (NLTK's list) without negations and direction words, plus feed
    /// filler ("rt", "via", "amp"). Compared lower-cased, after trimming.
    static let stopWords: Set<String> = [
        "a", "about", "after", "again", "all", "am", "an", "and", "any", "are", "as", "at", "be", "because",
        "been", "before", "being", "between", "both", "but", "by", "can", "could", "did", "do", "does", "doing",
        "during", "each", "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers",
        "herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it", "it's", "its", "itself",
        "just", "me", "my", "myself", "now", "of", "on", "once", "only", "or", "other", "our", "ours",
        "ourselves", "own", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their",
        "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "to",
        "too", "until", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom",
        "why", "will", "with", "would", "you", "your", "yours", "yourself", "yourselves", "s", "t", "'s",
        "rt", "via", "amp", "says", "said", "say",
    ]
}
