import Feeds
import Foundation
import GRDB

/// A feed's polling state as stored in the `feeds` table.
public struct FeedState: Sendable, Equatable {
    public var id: String
    /// Where to poll: the configured URL, or where a permanent redirect led.
    public var url: URL
    public var etag: String?
    public var lastModified: String?
    public var errorStreak: Int
    public var nextPollAt: Date?
    public var unhealthySince: Date?
}

/// What one poll brought.
public struct IngestCounts: Sendable, Equatable {
    public var new = 0
    public var duplicates = 0
}

/// The feeds and items tables: each poll's outcome is one transaction.
public struct FeedStore: Sendable {
    let database: DatabasePool
    /// Webhook ids that hear about source health.
    let webhooks: [String]

    public init(database: DatabasePool, webhooks: [String] = []) {
        self.database = database
        self.webhooks = webhooks
    }

    /// Creates rows for new feeds and resets the URL of feeds whose configured URL changed.
    /// Feeds no longer configured keep their rows (and items) but are no longer polled.
    public func sync(_ feeds: [FeedConfig], now: Date = Date()) throws -> [String: FeedState] {
        try database.write { db in
            var states: [String: FeedState] = [:]
            for feed in feeds {
                let configured = feed.url.absoluteString
                try db.execute(sql: """
                    INSERT INTO feeds (id, url, configured_url, created_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET url = excluded.url, configured_url = excluded.configured_url, etag = NULL, last_modified = NULL
                    WHERE feeds.configured_url IS NOT excluded.configured_url
                    """, arguments: [feed.id, configured, configured, now.millis])
                let row = try Row.fetchOne(db, sql: "SELECT * FROM feeds WHERE id = ?", arguments: [feed.id])!
                states[feed.id] = FeedState(
                    id: feed.id, url: URL(string: row["url"]) ?? feed.url, etag: row["etag"], lastModified: row["last_modified"],
                    errorStreak: row["error_streak"], nextPollAt: (row["next_poll_at"] as Int64?).map(Date.init(millis:)),
                    unhealthySince: (row["unhealthy_since"] as Int64?).map(Date.init(millis:)))
            }
            return states
        }
    }

    /// A usable answer: new items stored (each once), the fetch state updated, a source alert resolved.
    public func recordSuccess(feed: FeedState, status: Int, etag: String?, lastModified: String?, movedTo: URL?,
                              items: [FeedItem], format: ParsedFeed.Format?, nextPoll: Date, now: Date = Date()) throws -> IngestCounts {
        try database.write { db in
            var counts = IngestCounts()
            for item in items {
                if try Self.insert(item, feedID: feed.id, format: format, now: now, db: db) { counts.new += 1 } else { counts.duplicates += 1 }
            }
            try db.execute(sql: """
                UPDATE feeds SET url = ?, etag = ?, last_modified = ?, last_polled_at = ?, last_status = ?, last_error = NULL,
                    error_streak = 0, next_poll_at = ?, unhealthy_since = NULL, last_success_at = ?,
                    items_seen = items_seen + ?, duplicates_seen = duplicates_seen + ?
                WHERE id = ?
                """, arguments: [(movedTo ?? feed.url).absoluteString, etag, lastModified, now.millis, status, nextPoll.millis,
                                 now.millis, counts.new, counts.duplicates, feed.id])
            if feed.unhealthySince != nil {
                try SourceHealth.resolve(feedID: feed.id, webhooks: webhooks, now: now, db: db)
            }
            return counts
        }
    }

    /// A failed poll. Returns true when this failure made the feed unhealthy (a source alert fired).
    public func recordFailure(feed: FeedState, status: Int, error: String, streak: Int, unhealthyAfter: Int, nextPoll: Date,
                              now: Date = Date()) throws -> Bool {
        try database.write { db in
            let turnsUnhealthy = feed.unhealthySince == nil && streak >= unhealthyAfter
            try db.execute(sql: """
                UPDATE feeds SET last_polled_at = ?, last_status = ?, last_error = ?, error_streak = ?, next_poll_at = ?,
                    unhealthy_since = COALESCE(unhealthy_since, ?)
                WHERE id = ?
                """, arguments: [now.millis, status, error, streak, nextPoll.millis, turnsUnhealthy ? now.millis : nil, feed.id])
            if turnsUnhealthy {
                try SourceHealth.fire(feedID: feed.id, url: feed.url.absoluteString, error: error, status: status, streak: streak,
                                     webhooks: webhooks, now: now, db: db)
            }
            return turnsUnhealthy
        }
    }

    /// The id an item is stored under: a guid that looks global (a URL, URN or tag) as it is, a
    /// bare guid ("12345") scoped to its feed, else the cleaned link or content hash.
    static func storageID(_ item: FeedItem, feedID: String) -> String {
        if let guid = item.guid, !guid.isEmpty, !guid.contains(":") { return "\(feedID):\(guid)" }
        return item.id
    }

    /// Stores one item unless it is already known by id or (for texts long enough to tell) by content.
    static func insert(_ item: FeedItem, feedID: String, format: ParsedFeed.Format?, now: Date, db: Database) throws -> Bool {
        let hash = item.contentHash
        if (item.title.count + item.summary.count) >= 24,
           try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM items WHERE content_hash = ?)", arguments: [hash]) == true {
            return false
        }
        var raw = item.raw
        if let format { raw["format"] = format.rawValue }
        let published = item.published.map { min($0, now) } ?? now
        let authors = try JSONText.encode(item.authors)
        let rawJSON = try JSONText.encode(raw)
        try db.execute(sql: """
            INSERT INTO items (canonical_id, content_hash, feed_id, title, link, summary, authors, raw, published_at,
                               published_estimated, fetched_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(canonical_id) DO NOTHING
            """, arguments: [storageID(item, feedID: feedID), hash, feedID, item.title, item.link, item.summary, authors, rawJSON,
                             published.millis, item.published == nil ? 1 : 0, now.millis])
        return db.changesCount > 0
    }
}

extension Date {
    /// Milliseconds since the Unix epoch, as the database stores times.
    public var millis: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }
    public init(millis: Int64) { self.init(timeIntervalSince1970: Double(millis) / 1000) }
}
