import Config

/// The words of alert evidence, found by a method too costly for every scored item (occlusion,
/// README "Explanations"): asked only for the few items an alert's message carries.
public protocol EvidenceExplainer: Sendable {
    /// For each item that can be read, the words that pushed its text towards `label` (nil: the label
    /// it was given), strongest first.
    func words(for items: [Int64], towards label: String?) async throws -> [Int64: EvidenceWords]
}

/// What an evidence item's `words` explain.
public struct EvidenceWords: Sendable, Equatable {
    /// The label the words pushed towards.
    public var label: String
    public var words: [String]

    public init(label: String, words: [String]) {
        self.label = label
        self.words = words
    }
}

extension RuleMetric {
    /// The label whose words explain this metric: risk and the negative share are read from
    /// P(negative), so their evidence shows what made a text negative; the others show the label given.
    public var explainedLabel: String? {
        switch self {
        case .risk, .negativeShare, .itemRisk: "negative"
        case .sentiment, .burst, .volume: nil
        }
    }
}
