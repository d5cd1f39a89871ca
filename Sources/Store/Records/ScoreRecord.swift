import Foundation

/// One row of `scores`: an item's score from one model version.
public struct ScoreRecord: Sendable, Codable, Equatable {
    public var itemID: Int64
    public var modelVersion: String
    /// JSON {"sentiment": {"negative": p, …}, "topic": {…}}.
    public var heads: String
    /// P(positive) − P(negative).
    public var sentiment: Double
    /// Item risk in [0, 1].
    public var risk: Double
    public var label: String
    public var topic: String?
    /// JSON [{"word": …, "weight": …}].
    public var explanation: String?
    public var scoredAt: Date

    enum CodingKeys: String, CodingKey {
        case itemID = "item_id", modelVersion = "model_version", heads, sentiment, risk, label, topic, explanation
        case scoredAt = "scored_at"
    }

    public init(itemID: Int64, modelVersion: String, heads: String, sentiment: Double, risk: Double, label: String, topic: String?,
                explanation: String?, scoredAt: Date) {
        self.itemID = itemID
        self.modelVersion = modelVersion
        self.heads = heads
        self.sentiment = sentiment
        self.risk = risk
        self.label = label
        self.topic = topic
        self.explanation = explanation
        self.scoredAt = scoredAt
    }
}

/// One row of `entities`: a watchlist symbol or any cashtag seen.
public struct EntityRecord: Sendable, Codable, Equatable {
    public var symbol: String
    public var name: String?
    public var onWatchlist: Bool
    public var firstSeenAt: Date

    enum CodingKeys: String, CodingKey {
        case symbol, name, onWatchlist = "on_watchlist", firstSeenAt = "first_seen_at"
    }

    public init(symbol: String, name: String?, onWatchlist: Bool, firstSeenAt: Date) {
        self.symbol = symbol
        self.name = name
        self.onWatchlist = onWatchlist
        self.firstSeenAt = firstSeenAt
    }
}

/// One row of `mentions`: an entity found in an item's text.
public struct MentionRecord: Sendable, Codable, Equatable {
    public var itemID: Int64
    public var symbol: String
    public var kind: MentionKind
    /// The text that matched (`$AAPL`, `Apple`).
    public var matched: String

    enum CodingKeys: String, CodingKey {
        case itemID = "item_id", symbol, kind, matched
    }

    public init(itemID: Int64, symbol: String, kind: MentionKind, matched: String) {
        self.itemID = itemID
        self.symbol = symbol
        self.kind = kind
        self.matched = matched
    }
}

/// One scored item of a batch: its score, and the entities it mentions (with the entity rows to upsert).
public struct ScoredItem: Sendable, Equatable {
    public var score: ScoreRecord
    public var mentions: [MentionRecord]
    public var entities: [EntityRecord]
    /// The story it joins or starts (nil: none assigned).
    public var story: StoryLink?
    public init(score: ScoreRecord, mentions: [MentionRecord], entities: [EntityRecord], story: StoryLink? = nil) {
        self.score = score
        self.mentions = mentions
        self.entities = entities
        self.story = story
    }
}

/// One item that mentions an entity, with its score: what entity metrics, evidence and reports read.
public struct EntityObservation: Sendable, Equatable {
    public var itemID: Int64
    public var title: String
    public var link: String?
    public var feedID: String
    public var publishedAt: Date
    public var sentiment: Double
    public var risk: Double
    public var label: String
    public var topic: String?
    /// JSON [{"word": …, "weight": …}].
    public var explanation: String?
    /// The story it is in, as story-counting metrics read it.
    public var story: StoryPoint

    public init(itemID: Int64, title: String, link: String?, feedID: String, publishedAt: Date, sentiment: Double, risk: Double,
                label: String, topic: String?, explanation: String?, story: StoryPoint? = nil) {
        self.itemID = itemID
        self.title = title
        self.link = link
        self.feedID = feedID
        self.publishedAt = publishedAt
        self.sentiment = sentiment
        self.risk = risk
        self.label = label
        self.topic = topic
        self.explanation = explanation
        self.story = story ?? StoryPoint(id: itemID, publishedAt: publishedAt, sentiment: sentiment, risk: risk, label: label)
    }

    public var isNegative: Bool { label == "negative" }

    /// The stored explanation's words, strongest first (`explanation` is JSON [{"word": …, "weight": …}]).
    public var words: [String] {
        guard let explanation, let list = try? JSONSerialization.jsonObject(with: Data(explanation.utf8)) as? [[String: Any]] else { return [] }
        return list.compactMap { $0["word"] as? String }
    }
}
