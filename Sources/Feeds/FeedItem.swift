import Foundation

/// One entry of a feed, normalised: plain text, absolute links, UTC times.
public struct FeedItem: Sendable, Equatable {
    /// The id the document gives (RSS guid, Atom id, JSON id), if any.
    public var guid: String?
    /// The document's own title (nil when the item has none: RSS 2.0, JSON Feed and social posts may omit it).
    public var title: String?
    /// The item's link, absolute.
    public var link: String?
    /// When it was published (or updated, when that is all the feed says); nil when the feed gives no date.
    public var published: Date?
    /// Plain text: the summary or content, tags stripped, white space collapsed.
    public var summary: String
    public var authors: [String]
    /// The source fields worth keeping (format, original date text, categories), for the raw column.
    public var raw: [String: String]

    public init(guid: String? = nil, title: String?, link: String? = nil, published: Date? = nil, summary: String,
                authors: [String] = [], raw: [String: String] = [:]) {
        self.guid = guid
        self.title = title
        self.link = link
        self.published = published
        self.summary = summary
        self.authors = authors
        self.raw = raw
    }

    /// What a person sees as the item's headline: its title, else the start of its text.
    public var headline: String {
        if let title, !title.isEmpty { return title }
        return JSONFeedReader.headline(from: summary)
    }

    /// The id shown to people and used to recognise the item again: the guid, else the link
    /// without tracking parameters, else a hash of title and text.
    public var id: String {
        if let guid, !guid.isEmpty { return guid }
        if let link, let clean = CanonicalLink.clean(link) { return clean }
        return "sha256:" + contentHash
    }

    /// A hash of the normalised title and text: the same story syndicated under another id.
    public var contentHash: String {
        ContentHash.of(title: headline, text: summary)
    }
}

/// What a parsed document holds.
public struct ParsedFeed: Sendable {
    public enum Format: String, Sendable {
        case rss090 = "rss-0.90", rss09x = "rss-0.9x", rss10 = "rss-1.0", rss20 = "rss-2.0"
        case atom03 = "atom-0.3", atom10 = "atom-1.0", cdf
        case jsonFeed = "json-feed", mastodon, reddit, jsonMapped = "json-mapped"
    }

    public var format: Format
    public var title: String
    /// The site's link, absolute.
    public var link: String?
    /// RSS `<ttl>`: the publisher's minimum refresh interval, in seconds.
    public var ttlSeconds: Int?
    public var items: [FeedItem]
    /// The document was cut off: `items` are the complete ones, and there may be more.
    public var cutOff = false
}
