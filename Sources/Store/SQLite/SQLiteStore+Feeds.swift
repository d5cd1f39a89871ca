import Foundation
import GRDB

extension SQLiteStore: FeedStateStore {
    public func syncFeeds(_ feeds: [FeedSpec], at now: Date) async throws -> [String: FeedRecord] {
        try await pool.write { db in
            var states: [String: FeedRecord] = [:]
            for feed in feeds {
                try db.execute(sql: """
                    INSERT INTO feeds (id, url, configured_url, created_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET url = excluded.url, configured_url = excluded.configured_url, etag = NULL, last_modified = NULL
                    WHERE feeds.configured_url IS NOT excluded.configured_url
                    """, arguments: [feed.id, feed.url, feed.url, now.millis])
                states[feed.id] = try FeedRecord.fetchOne(db, key: feed.id)
            }
            return states
        }
    }

    public func recordPoll(_ update: FeedPollUpdate, items: [NewItem], sourceAlert: AlertWrite?) async throws -> IngestCounts {
        try await pool.write { db in
            var counts = IngestCounts()
            for item in items {
                if try Self.insert(item, feedID: update.feedID, fetchedAt: update.at, db: db) { counts.new += 1 } else { counts.duplicates += 1 }
            }
            switch update.outcome {
            case let .success(etag, lastModified, url):
                try db.execute(sql: """
                    UPDATE feeds SET url = ?, etag = ?, last_modified = ?, last_polled_at = ?, last_status = ?, last_error = NULL,
                        error_streak = 0, next_poll_at = ?, unhealthy_since = NULL, last_success_at = ?,
                        items_seen = items_seen + ?, duplicates_seen = duplicates_seen + ?, lease_owner = NULL, lease_until = NULL
                    WHERE id = ?
                    """, arguments: [url, etag, lastModified, update.at.millis, update.status, update.nextPollAt.millis,
                                     update.at.millis, counts.new, counts.duplicates, update.feedID])
            case let .failure(error, streak, turnsUnhealthy):
                try db.execute(sql: """
                    UPDATE feeds SET last_polled_at = ?, last_status = ?, last_error = ?, error_streak = ?, next_poll_at = ?,
                        unhealthy_since = COALESCE(unhealthy_since, ?), lease_owner = NULL, lease_until = NULL
                    WHERE id = ?
                    """, arguments: [update.at.millis, update.status, error, streak, update.nextPollAt.millis,
                                     turnsUnhealthy ? update.at.millis : nil, update.feedID])
            }
            if let sourceAlert { try Self.apply(sourceAlert, db: db) }
            return counts
        }
    }

    public func leaseFeed(id: String, lease: Lease) async throws -> FeedLease {
        try await pool.write { db in
            if let leased = try FeedRecord.fetchOne(db, sql: """
                UPDATE feeds SET lease_owner = ?, lease_until = ?
                WHERE id = ? AND coalesce(next_poll_at, 0) <= ? AND (lease_until IS NULL OR lease_until <= ? OR lease_owner = ?)
                RETURNING *
                """, arguments: [lease.owner, lease.until.millis, id, lease.now.millis, lease.now.millis, lease.owner]) {
                return .leased(leased)
            }
            return try FeedRecord.fetchOne(db, key: id).map { .notYours($0) } ?? .unknown
        }
    }

    public func feeds() async throws -> [FeedRecord] {
        try await pool.read { db in try FeedRecord.order(Column("id")).fetchAll(db) }
    }

    /// Stores one item unless it is already known by id or (when `dedupeByContent`) by content.
    static func insert(_ item: NewItem, feedID: String, fetchedAt: Date, db: Database) throws -> Bool {
        if item.dedupeByContent,
           try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM items WHERE content_hash = ?)", arguments: [item.contentHash]) == true {
            return false
        }
        try db.execute(sql: """
            INSERT INTO items (canonical_id, content_hash, feed_id, title, link, summary, authors, raw, published_at,
                               published_estimated, fetched_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(canonical_id) DO NOTHING
            """, arguments: [item.canonicalID, item.contentHash, feedID, item.title, item.link, item.summary, item.authorsJSON,
                             item.rawJSON, item.publishedAt.millis, item.publishedEstimated ? 1 : 0, fetchedAt.millis])
        return db.changesCount > 0
    }
}
