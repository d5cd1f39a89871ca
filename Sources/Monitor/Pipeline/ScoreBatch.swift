import Config
import Foundation
import Store
import Transformer

/// Turns a batch's classifications into store records: the item score (README, "Risk"), then
/// entity tagging as its own step, with the entity rows the mentions need. Built once per
/// configuration generation (the tagger's tables are not rebuilt per batch).
public struct ScoreBatch: Sendable {
    let tagger: EntityTagger
    let risk: RiskSettings
    let weights: [String: Double]
    let watch: Set<String>
    let names: [String: String]

    public init(config: MonitorConfig) {
        tagger = EntityTagger(watchlist: config.watchlist)
        risk = config.risk
        weights = Dictionary(config.feeds.map { ($0.id, $0.weight) }) { a, _ in a }
        watch = Set(config.watchlist.map(\.symbol))
        names = Dictionary(config.watchlist.map { ($0.symbol, $0.names.first ?? $0.symbol) }) { a, _ in a }
    }

    /// One ScoreBatch per configuration generation.
    public struct Cache: Sendable {
        var generation = -1
        var current: ScoreBatch?
        public init() {}
        public mutating func batch(for config: MonitorConfig, generation: Int) -> ScoreBatch {
            if let current, generation == self.generation { return current }
            let made = ScoreBatch(config: config)
            current = made
            self.generation = generation
            return made
        }
    }

    /// The records of `items` (in order) given the texts the model read and its results.
    public func records(for items: [UnscoredItem], texts: [String], results: [Classification], modelVersion: String,
                        at now: Date) throws -> [ScoredItem] {
        try zip(zip(items, texts), results).map { pair, result in
            let (item, text) = pair
            let score = ItemScore(result, settings: risk, sourceWeight: weights[item.feedID] ?? 1)
            let words = score.explanation.map { ["word": $0.word, "weight": JSONText.rounded($0.weight)] as [String: Any] }
            let record = ScoreRecord(itemID: item.id, modelVersion: modelVersion, heads: try JSONText.encode(score.heads),
                                     sentiment: score.sentiment, risk: score.risk, label: score.label, topic: score.topic,
                                     explanation: try JSONText.encode(words), scoredAt: now)
            let mentions = tagger.mentions(in: text)
            return ScoredItem(
                score: record,
                mentions: mentions.map { MentionRecord(itemID: item.id, symbol: $0.symbol, kind: $0.kind, matched: $0.matched) },
                entities: mentions.map { EntityRecord(symbol: $0.symbol, name: names[$0.symbol], onWatchlist: watch.contains($0.symbol),
                                                      firstSeenAt: now) })
        }
    }
}
