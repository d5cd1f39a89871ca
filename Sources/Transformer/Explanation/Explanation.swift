/// How an explanation weighs words (README, "Explanations", has the measured comparison).
public enum ExplanationMethod: String, Sendable, CaseIterable {
    /// The attention each word receives in the last layer, averaged over heads and over every
    /// position (a mean-pooled head reads them all; [CLS]'s row for a head on [CLS] or the pooler).
    /// What the model looked at rather than what moved the score, and never negative, but free:
    /// the pass computes it anyway. Used for every scored item.
    case attention
    /// Greedy occlusion: each word removed on its own gives every word a signed contribution, then
    /// up to five shown words are chosen one at a time, each the one whose removal (with the words
    /// chosen before) lowers the label's probability most. Every round is one batch of all removals;
    /// it costs about 5 × the words' count of forward passes, so it is used where few texts need it
    /// (`monitorctl explain`, alert evidence).
    case occlusion
}

/// A word of the input and how much it drove one label.
public struct WordWeight: Sendable, Equatable {
    /// The word as written, without the punctuation around it ("plunge," → "plunge").
    public let word: String
    /// The word's signed contribution (see `Explanation.words` for the unit of each method).
    public let weight: Float
    /// Where the word is in the text, in Unicode scalars (punctuation around it included).
    public let scalarRange: Range<Int>
    /// Whether the word is shown to a reader: not a stop word, punctuation or a bare symbol (`FillerWords`).
    public let isShown: Bool

    public init(word: String, weight: Float, scalarRange: Range<Int>, isShown: Bool) {
        self.word = word
        self.weight = weight
        self.scalarRange = scalarRange
        self.isShown = isShown
    }
}

/// Why one head gave one label to a text.
public struct Explanation: Sendable, Equatable {
    public let method: ExplanationMethod
    /// The head and label explained: by default the label the head gave (the label shown).
    public let head: String
    public let label: String
    /// Every word of the text in rank order. Units:
    /// - occlusion: the chosen words first, in the order chosen, each weighted by how much further the
    ///   label's probability fell when it was removed too (their weights add up to the fall with all of
    ///   them removed); then every other word by the fall when it alone is removed (−1…1, negative:
    ///   the word held the label back);
    /// - attention: each word's share of the attention (the weights of one text add up to 1).
    public let words: [WordWeight]

    public init(method: ExplanationMethod, head: String, label: String, words: [WordWeight]) {
        self.method = method
        self.head = head
        self.label = label
        self.words = words
    }

    /// The words that pushed towards the label and that a reader can act on: shown words with a
    /// positive contribution, strongest first, each word once (case-insensitive).
    public var evidence: [WordWeight] {
        var seen = Set<String>()
        return words.filter { $0.isShown && $0.weight > 0 && seen.insert($0.word.lowercased()).inserted }
    }

    /// Shown words that pushed away from the label, strongest first.
    public var against: [WordWeight] {
        var seen = Set<String>()
        return words.reversed().filter { $0.isShown && $0.weight < 0 && seen.insert($0.word.lowercased()).inserted }
    }
}
