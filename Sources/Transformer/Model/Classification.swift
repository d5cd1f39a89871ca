/// What one head says about one text.
public struct HeadPrediction: Sendable, Equatable {
    public let name: String
    public let labels: [String]
    /// Raw logits, before temperature scaling.
    public let logits: [Float]
    /// softmax(logits / temperature).
    public let probabilities: [Float]

    /// The most probable label's position in `labels`.
    public var index: Int { probabilities.indices.max { probabilities[$0] < probabilities[$1] } ?? 0 }

    /// The most probable label.
    public var label: String { labels[index] }

    /// The probability of a label, 0 when the head has no such label.
    public func probability(of label: String) -> Float {
        labels.firstIndex(of: label).map { probabilities[$0] } ?? 0
    }
}

/// Every head's prediction for one text, and optionally the words behind it.
public struct Classification: Sendable, Equatable {
    public let heads: [HeadPrediction]
    /// Why the explained head gave its label, when an explanation was asked for.
    public let explanation: Explanation?
    /// The mean of the text's last-layer token states (what a `mean`-pooled head reads): story
    /// clustering compares texts with it, so no second model pass is needed.
    public let embedding: [Float]

    public init(heads: [HeadPrediction], explanation: Explanation?, embedding: [Float]) {
        self.heads = heads
        self.explanation = explanation
        self.embedding = embedding
    }

    public subscript(head name: String) -> HeadPrediction? { heads.first { $0.name == name } }
}
