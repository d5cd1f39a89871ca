import Config
import Foundation
import Stories
import Store
import Transformer

/// Story clustering measured on a labelled set (`Tests/MonitorTests/Fixtures/stories-labelled.json`):
/// the items go through the daemon's path (the model's text, its mean-pooled embedding, the entity
/// tagger with the set's watchlist) in publication order, and the clusters are compared with the labels.
public struct StoryEvaluation {
    public struct LabelledSet: Decodable, Sendable {
        public struct Entity: Decodable, Sendable { public var symbol: String; public var names: [String] }
        public struct Item: Decodable, Sendable {
            public var story: String
            public var source: String
            public var published: String
            public var title: String
            public var summary: String
        }
        public var watchlist: [Entity]
        public var items: [Item]
    }

    /// The set's items in publication order (ties keep file order), as the assigner sees them.
    public let inputs: [StoryInput]
    /// Each input's labelled story.
    public let labels: [String]
    /// Each input's title.
    public let titles: [String]
    /// Each input's sentiment label from the model (for the representative-item measurement).
    public let sentiments: [String]

    public init(file: String, classifier: TextClassifier) throws {
        let set = try JSONDecoder().decode(LabelledSet.self, from: Data(contentsOf: URL(fileURLWithPath: file)))
        let formatter = ISO8601DateFormatter()
        let dated = try set.items.enumerated().map { index, item in
            guard let date = formatter.date(from: item.published) else {
                throw ConfigError(file: file, message: "items[\(index)].published is not an ISO 8601 time: \(item.published)")
            }
            return (index, item, date.millis)
        }.sorted { ($0.2, $0.0) < ($1.2, $1.0) }
        let tagger = EntityTagger(watchlist: set.watchlist.map { WatchlistEntry(symbol: $0.symbol, names: $0.names, aliases: []) })
        let texts = dated.map { ScoringService.text(title: $0.1.title, summary: $0.1.summary) }
        let results = classifier.classify(texts, batchSize: 32)
        inputs = dated.indices.map { k in
            let (index, item, published) = dated[k]
            let mentions = tagger.mentions(in: texts[k]).map { (symbol: $0.symbol, matched: $0.matched) }
            return StoryInput(itemID: Int64(index + 1), feedID: item.source, publishedAt: published,
                              features: StoryFeatures(title: item.title, mentions: mentions, embedding: results[k].embedding))
        }
        labels = dated.map(\.1.story)
        titles = dated.map(\.1.title)
        sentiments = results.map { $0[head: "sentiment"]?.label ?? "" }
    }

    /// Clusters the set (or the items of the stories in `only`) with `settings`; returns the score and each input's story id.
    public func run(_ settings: StorySettings, only: Set<String>? = nil) -> (score: ClusteringScore, stories: [Int64]) {
        var index = StoryIndex(settings: settings)
        let kept = inputs.indices.filter { only?.contains(labels[$0]) ?? true }
        let stories = kept.map { index.assign(inputs[$0]).storyID }
        return (ClusteringScore(predicted: stories, truth: kept.map { labels[$0] }), stories)
    }

    /// The grid `sweep` and `crossValidate` search: embedding weight 0 … 1 by 0.1, threshold 0.15 … 0.9 by 0.05.
    public static let grid: [StorySettings] = stride(from: Float(0), through: 1.0001, by: 0.1).flatMap { weight in
        stride(from: Float(0.15), through: 0.9001, by: 0.05).map { StorySettings(threshold: $0, embeddingWeight: weight) }
    }

    /// Two-fold cross-validation over stories (alternate labels in sorted order): settings are chosen on
    /// one half (the best B-cubed F1 with precision ≥ 0.95) and scored on the other.
    public func crossValidate() -> [(chosen: StorySettings, tuned: ClusteringScore, held: ClusteringScore)] {
        let sorted = Set(labels).sorted()
        let halves = [Set(sorted.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)),
                      Set(sorted.enumerated().filter { $0.offset % 2 == 1 }.map(\.element))]
        return [(0, 1), (1, 0)].map { tune, hold in
            let scored = Self.grid.map { ($0, run($0, only: halves[tune]).score) }
            let best = scored.filter { $0.1.bcubedPrecision >= 0.95 }.max { $0.1.bcubedF1 < $1.1.bcubedF1 } ?? scored[0]
            return (best.0, best.1, run(best.0, only: halves[hold]).score)
        }
    }

    /// In stories of two or more items (as clustered), how often the representative (first) item's
    /// sentiment label is the story's majority label: what a story's sentiment from its first item gets right.
    public func representativeAgreement(stories: [Int64]) -> (agree: Int, of: Int) {
        var members: [Int64: [Int]] = [:]
        for (k, story) in stories.enumerated() { members[story, default: []].append(k) }
        var agree = 0, total = 0
        for list in members.values where list.count > 1 {
            var counts: [String: Int] = [:]
            for k in list { counts[sentiments[k], default: 0] += 1 }
            let top = counts.values.max() ?? 0
            total += 1
            if counts[sentiments[list[0]]] == top { agree += 1 }
        }
        return (agree, total)
    }
}
