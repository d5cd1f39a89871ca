import Foundation

/// An item's place in a story, written with its score.
public struct StoryLink: Sendable, Equatable {
    /// The story: the id of the item that started it.
    public var storyID: Int64
    /// The item's unit embedding × 127, rounded: rebuilds the window's index after a restart (nil: not kept).
    public var embedding: [Int8]?
    /// The item's publication time and feed (what the story's first/last seen and sources follow).
    public var publishedAt: Date
    public var feedID: String

    public init(storyID: Int64, embedding: [Int8]?, publishedAt: Date, feedID: String) {
        self.storyID = storyID
        self.embedding = embedding
        self.publishedAt = publishedAt
        self.feedID = feedID
    }

    /// A unit vector as stored: × 127, rounded, clamped.
    public static func quantize(_ unit: [Float]) -> [Int8] {
        unit.map { Int8(max(-127, min(127, ($0 * 127).rounded()))) }
    }

    /// A stored vector back to (nearly) unit length.
    public static func dequantize(_ stored: [Int8]) -> [Float] {
        stored.map { Float($0) / 127 }
    }
}

/// How a story counts in entity metrics when rules count stories: once, at its representative
/// (first) item's publication time, with that item's score. An item in no story is a story of its own.
public struct StoryPoint: Sendable, Equatable, Hashable {
    public var id: Int64
    public var publishedAt: Date
    public var sentiment: Double
    public var risk: Double
    /// The representative item's sentiment label.
    public var label: String

    public init(id: Int64, publishedAt: Date, sentiment: Double, risk: Double, label: String) {
        self.id = id
        self.publishedAt = publishedAt
        self.sentiment = sentiment
        self.risk = risk
        self.label = label
    }

    public var isNegative: Bool { label == "negative" }
}

/// An item of the story window, as the story index is rebuilt from it after a restart.
public struct StoryMember: Sendable {
    public var itemID: Int64
    public var storyID: Int64
    public var feedID: String
    public var publishedAt: Date
    public var title: String
    /// The entities it mentions, with the text that matched.
    public var mentions: [(symbol: String, matched: String)]
    public var embedding: [Int8]?

    public init(itemID: Int64, storyID: Int64, feedID: String, publishedAt: Date, title: String,
                mentions: [(symbol: String, matched: String)], embedding: [Int8]?) {
        self.itemID = itemID
        self.storyID = storyID
        self.feedID = feedID
        self.publishedAt = publishedAt
        self.title = title
        self.mentions = mentions
        self.embedding = embedding
    }

    /// `symbol` US `matched` RS … as `SQLText.storyMembers` aggregates them (unit and record separators, which no name contains).
    public static func decodeMentions(_ text: String?) -> [(symbol: String, matched: String)] {
        (text ?? "").split(separator: "\u{1E}").compactMap { entry in
            let parts = entry.split(separator: "\u{1F}", maxSplits: 1, omittingEmptySubsequences: false)
            return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
        }
    }
}

/// One story with its items: what `monitorctl stories`, `/v1/stories` and alert evidence show.
public struct StoryRecord: Sendable, Equatable {
    public struct Item: Sendable, Equatable {
        public var itemID: Int64
        public var title: String
        public var link: String?
        public var source: String
        public var published: Date

        public init(itemID: Int64, title: String, link: String?, source: String, published: Date) {
            self.itemID = itemID
            self.title = title
            self.link = link
            self.source = source
            self.published = published
        }
    }

    /// The id of the item that started it (its representative).
    public var id: Int64
    public var firstSeen: Date
    public var lastSeen: Date
    public var size: Int
    /// Feed ids of its items, sorted.
    public var sources: [String]
    /// The representative item's title, link and feed.
    public var title: String
    public var link: String?
    public var source: String
    /// Its items, oldest first.
    public var items: [Item]

    public init(id: Int64, firstSeen: Date, lastSeen: Date, size: Int, sources: [String], title: String, link: String?, source: String,
                items: [Item]) {
        self.id = id
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.size = size
        self.sources = sources
        self.title = title
        self.link = link
        self.source = source
        self.items = items
    }
}

extension StoryRecord {
    /// `stories.sources` (a JSON array of strings) as a list; empty when unreadable.
    public static func decodeSources(_ json: String) -> [String] {
        (try? JSONDecoder().decode([String].self, from: Data(json.utf8))) ?? []
    }
}

/// Which stories to list.
public struct StoryQuery: Sendable, Equatable {
    public var modelVersion: String
    /// Stories with an item published after this.
    public var since: Date
    /// Only stories with an item that mentions this symbol.
    public var symbol: String?
    /// These stories only (alert evidence); nil: any.
    public var ids: [Int64]?
    public var limit: Int

    public init(modelVersion: String, since: Date, symbol: String? = nil, ids: [Int64]? = nil, limit: Int = 100) {
        self.modelVersion = modelVersion
        self.since = since
        self.symbol = symbol
        self.ids = ids
        self.limit = limit
    }
}
