import Config
import Feeds
import Foundation
import Store

extension NewItem {
    /// A parsed item as it is stored: its storage id, a publication time no later than the fetch
    /// (the fetch time when the feed gave none), the source format in its raw fields.
    init(_ item: FeedItem, feedID: String, format: ParsedFeed.Format?, fetchedAt now: Date) throws {
        var raw = item.raw
        if let format { raw["format"] = format.rawValue }
        self.init(canonicalID: Self.storageID(item, feedID: feedID), contentHash: item.contentHash,
                  dedupeByContent: item.headline.count + item.summary.count >= 24,
                  title: item.headline, link: item.link, summary: item.summary,
                  authorsJSON: try JSONText.encode(item.authors), rawJSON: try JSONText.encode(raw),
                  publishedAt: item.published.map { min($0, now) } ?? now, publishedEstimated: item.published == nil)
    }

    /// The id an item is stored under: a guid that looks global (a URL, URN or tag) as it is, a
    /// bare guid ("12345") scoped to its feed, else the cleaned link or content hash.
    static func storageID(_ item: FeedItem, feedID: String) -> String {
        if let guid = item.guid, !guid.isEmpty, !guid.contains(":") { return "\(feedID):\(guid)" }
        return item.id
    }
}
