import Foundation

/// One row of `items`: a fetched item, stored exactly once.
public struct ItemRecord: Sendable, Codable, Equatable {
    public var id: Int64
    /// guid/id, else the cleaned link, else the content hash.
    public var canonicalID: String
    /// Hash of title and text; catches syndicated copies.
    public var contentHash: String
    public var feedID: String
    public var title: String
    public var link: String?
    /// Plain text.
    public var summary: String
    /// JSON array of strings.
    public var authors: String
    /// JSON object of the source fields.
    public var raw: String?
    public var publishedAt: Date
    /// True when the feed gave no date (the fetch time is used).
    public var publishedEstimated: Bool
    public var fetchedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, canonicalID = "canonical_id", contentHash = "content_hash", feedID = "feed_id", title, link, summary, authors, raw
        case publishedAt = "published_at", publishedEstimated = "published_estimated", fetchedAt = "fetched_at"
    }
}

/// An item to store: what a feed parser produced, ready for the `items` table.
public struct NewItem: Sendable, Equatable {
    public var canonicalID: String
    public var contentHash: String
    /// Title and summary together are long enough for a content match to mean a copy.
    public var dedupeByContent: Bool
    public var title: String
    public var link: String?
    public var summary: String
    public var authorsJSON: String
    public var rawJSON: String
    public var publishedAt: Date
    public var publishedEstimated: Bool

    public init(canonicalID: String, contentHash: String, dedupeByContent: Bool, title: String, link: String?, summary: String,
                authorsJSON: String, rawJSON: String, publishedAt: Date, publishedEstimated: Bool) {
        self.canonicalID = canonicalID
        self.contentHash = contentHash
        self.dedupeByContent = dedupeByContent
        self.title = title
        self.link = link
        self.summary = summary
        self.authorsJSON = authorsJSON
        self.rawJSON = rawJSON
        self.publishedAt = publishedAt
        self.publishedEstimated = publishedEstimated
    }
}

/// An item waiting for a score from some model version.
public struct UnscoredItem: Sendable, Equatable {
    public var id: Int64
    public var feedID: String
    public var title: String
    public var summary: String
    public var publishedAt: Date
    public init(id: Int64, feedID: String, title: String, summary: String, publishedAt: Date) {
        self.id = id
        self.feedID = feedID
        self.title = title
        self.summary = summary
        self.publishedAt = publishedAt
    }
}
