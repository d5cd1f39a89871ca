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

    /// `distractors`: unrelated finance texts mixed in, each a story of its own, at times spread evenly over
    /// the set's span (the set alone has few near misses; a live feed has thousands).
    public init(file: String, classifier: TextClassifier, distractors: [String] = []) throws {
        let set = try JSONDecoder().decode(LabelledSet.self, from: Data(contentsOf: URL(fileURLWithPath: file)))
        let formatter = ISO8601DateFormatter()
        var dated = try set.items.enumerated().map { index, item in
            guard let date = formatter.date(from: item.published) else {
                throw ConfigError(file: file, message: "items[\(index)].published is not an ISO 8601 time: \(item.published)")
            }
            return (index, item, date.millis)
        }
        if let first = dated.map(\.2).min(), let last = dated.map(\.2).max(), !distractors.isEmpty {
            let step = max(1, (last - first) / Int64(distractors.count))
            for (k, text) in distractors.enumerated() {
                let item = LabelledSet.Item(story: "distractor-\(k)", source: "distractor", published: "", title: text, summary: "")
                dated.append((set.items.count + k, item, first + Int64(k) * step))
            }
        }
        dated.sort { ($0.2, $0.0) < ($1.2, $1.0) }
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

    /// Unrelated texts for `init(distractors:)`: `count` lines of the shared training data (Twitter Financial
    /// News Topic tweets and PhraseBank sentences, shuffled with a fixed seed), without URLs and without copies
    /// (the same words once; the sentiment tweets are left out, as they repeat the topic set's); empty when
    /// `../shared/data` is not beside the checkout. Near copies remain, so a few merges among them are right.
    public static func distractors(count: Int, sharedData: String) -> [String] {
        var texts: [String] = []
        var seen = Set<String>()
        for name in ["twitter_fin_topic_train.jsonl", "phrasebank_train.jsonl"] {
            guard let data = FileManager.default.contents(atPath: sharedData + "/" + name) else { continue }
            for line in data.split(separator: UInt8(ascii: "\n")) {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any], let text = object["text"] as? String
                else { continue }
                let clean = ScoringService.withoutURLs(text)
                let words = String(clean.lowercased().unicodeScalars.filter { $0.properties.isAlphabetic || $0 == " " })
                if seen.insert(words).inserted { texts.append(clean) }
            }
        }
        // A fixed shuffle (a linear congruential generator), the same on every machine.
        var state: UInt64 = 20261206
        for i in stride(from: texts.count - 1, to: 0, by: -1) {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            texts.swapAt(i, Int((state >> 33) % UInt64(i + 1)))
        }
        return Array(texts.prefix(count))
    }

    /// Clusters the set (or the items of the stories in `only`) with `settings`; returns the score and each input's story id.
    public func run(_ settings: StorySettings, only: Set<String>? = nil) -> (score: ClusteringScore, stories: [Int64]) {
        var index = StoryIndex(settings: settings)
        let kept = inputs.indices.filter { only?.contains(labels[$0]) ?? true }
        let stories = kept.map { index.assign(inputs[$0]).storyID }
        // B-cubed over the labelled items; distractors count where they were merged into their clusters.
        return (ClusteringScore(predicted: stories, truth: kept.map { labels[$0] }, counted: kept.map { !labels[$0].hasPrefix("distractor-") }),
                stories)
    }

    /// The grid `sweep` and `crossValidate` search: embedding weight 0 … 1 by 0.1, threshold 0.15 … 0.9 by 0.05.
    public static let grid: [StorySettings] = stride(from: Float(0), through: 1.0001, by: 0.1).flatMap { weight in
        stride(from: Float(0.15), through: 0.9001, by: 0.05).map { StorySettings(threshold: $0, embeddingWeight: weight) }
    }

    /// Two-fold cross-validation over stories (alternate labels in sorted order): settings are chosen on
    /// one half (the best B-cubed F1 with precision ≥ 0.95) and scored on the other.
    public func crossValidate() -> [(chosen: StorySettings, tuned: ClusteringScore, held: ClusteringScore)] {
        let sorted = Set(labels).filter { !$0.hasPrefix("distractor-") }.sorted()
        let distractors = Set(labels.filter { $0.hasPrefix("distractor-") })
        let halves = [Set(sorted.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)).union(distractors),
                      Set(sorted.enumerated().filter { $0.offset % 2 == 1 }.map(\.element)).union(distractors)]
        return [(0, 1), (1, 0)].map { tune, hold in
            let scored = Self.grid.map { ($0, run($0, only: halves[tune]).score) }
            let best = scored.filter { $0.1.bcubedPrecision >= 0.95 }.max { $0.1.bcubedF1 < $1.1.bcubedF1 } ?? scored[0]
            return (best.0, best.1, run(best.0, only: halves[hold]).score)
        }
    }

    /// How many distractor texts were put in a story with another item.
    public func mergedDistractors(stories: [Int64]) -> Int {
        var sizes: [Int64: Int] = [:]
        for story in stories { sizes[story, default: 0] += 1 }
        return labels.indices.filter { labels[$0].hasPrefix("distractor-") && sizes[stories[$0]]! > 1 }.count
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
