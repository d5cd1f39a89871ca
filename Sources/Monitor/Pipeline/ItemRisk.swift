import Config
import Transformer

/// What the model says about one item, reduced to the numbers alerts are built on.
///
/// - sentiment = P(positive) − P(negative), in [−1, 1]
/// - severity  = Σ over topics of P(topic) × severity(topic) (config `risk.topicSeverity`);
///               `risk.defaultSeverity` when the model has no topic head
/// - risk      = P(negative) × severity × the source's weight (`feeds[].weight`), in [0, 1]
public struct ItemScore: Sendable, Equatable {
    public var sentiment: Double
    public var risk: Double
    public var label: String
    public var topic: String?
    public var negative: Double
    /// {"sentiment": {"negative": p, …}, "topic": {…}} for the scores.heads column.
    public var heads: [String: [String: Double]]
    /// The words that pushed the text towards its label (`label`), strongest first: filler dropped,
    /// each word once, at most 8 (`Explanation.evidence`).
    public var explanation: [(word: String, weight: Double)]

    public static func == (a: ItemScore, b: ItemScore) -> Bool {
        a.sentiment == b.sentiment && a.risk == b.risk && a.label == b.label && a.topic == b.topic && a.heads == b.heads
    }

    public init(_ classification: Classification, settings: RiskSettings, sourceWeight: Double) {
        var heads: [String: [String: Double]] = [:]
        for head in classification.heads {
            // Stored at four decimals, the precision every report and payload shows: a Float widened
            // to Double prints 17 digits, which made this column 41% of an item's bytes (888 → 557).
            heads[head.name] = Dictionary(uniqueKeysWithValues: zip(head.labels, head.probabilities.map { JSONText.rounded(Double($0)) }))
        }
        let sentimentHead = classification[head: "sentiment"] ?? classification.heads[0]
        let negative = Double(sentimentHead.probability(of: "negative"))
        let positive = Double(sentimentHead.probability(of: "positive"))
        var severity = settings.defaultSeverity
        if let topicHead = classification[head: "topic"] {
            severity = zip(topicHead.labels, topicHead.probabilities).reduce(0) { sum, pair in
                sum + Double(pair.1) * (settings.topicSeverity[pair.0] ?? settings.defaultSeverity)
            }
            topic = topicHead.label
        } else {
            topic = nil
        }
        self.sentiment = positive - negative
        self.negative = negative
        self.risk = min(1, max(0, negative * severity * sourceWeight))
        self.label = sentimentHead.label
        self.heads = heads
        self.explanation = (classification.explanation?.evidence ?? []).prefix(8).map { ($0.word, Double($0.weight)) }
    }
}
