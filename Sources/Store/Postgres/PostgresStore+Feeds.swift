import Foundation
import PostgresNIO

extension PostgresStore: FeedStateStore {
    public func syncFeeds(_ feeds: [FeedSpec], at now: Date) async throws -> [String: FeedRecord] {
        try await transaction { connection in
            var states: [String: FeedRecord] = [:]
            for feed in feeds {
                let rows = try await connection.records(FeedRecord.self, """
                    INSERT INTO feeds (id, url, configured_url, created_at) VALUES (\(feed.id), \(feed.url), \(feed.url), \(now.millis))
                    ON CONFLICT (id) DO UPDATE SET url = excluded.url, configured_url = excluded.configured_url, etag = NULL,
                        last_modified = NULL
                    WHERE feeds.configured_url IS DISTINCT FROM excluded.configured_url
                    RETURNING *
                    """, logger: logger)
                if let row = rows.first {
                    states[feed.id] = row
                } else if let row = try await connection.records(FeedRecord.self, "SELECT * FROM feeds WHERE id = \(feed.id)",
                                                                 logger: logger).first {
                    states[feed.id] = row
                }
            }
            return states
        }
    }

    public func recordPoll(_ update: FeedPollUpdate, items: [NewItem], sourceAlert: AlertWrite?) async throws -> IngestCounts {
        try await transaction { connection in
            var counts = IngestCounts()
            // Two polls storing the same story at once (two feeds, or two instances) would both find no copy
            // under READ COMMITTED and both insert it: each content hash is locked for the transaction first,
            // in one order (so two polls cannot deadlock), and the second poll's check then sees the first's row.
            let hashes = Set(items.filter(\.dedupeByContent).map(\.contentHash)).sorted()
            if !hashes.isEmpty {
                _ = try await connection.rows("""
                    SELECT pg_advisory_xact_lock(hashtextextended(h, 0)) FROM unnest(\(hashes)::text[]) WITH ORDINALITY AS t(h, n) ORDER BY n
                    """, logger: logger)
            }
            for item in items {
                if try await Self.insert(item, feedID: update.feedID, fetchedAt: update.at, connection: connection, store: self) {
                    counts.new += 1
                } else {
                    counts.duplicates += 1
                }
            }
            let at = update.at.millis, next = update.nextPollAt.millis
            switch update.outcome {
            case let .success(etag, lastModified, url):
                _ = try await connection.rows("""
                    UPDATE feeds SET url = \(url), etag = \(etag), last_modified = \(lastModified), last_polled_at = \(at),
                        last_status = \(update.status), last_error = NULL, error_streak = 0, next_poll_at = \(next),
                        unhealthy_since = NULL, last_success_at = \(at), items_seen = items_seen + \(counts.new),
                        duplicates_seen = duplicates_seen + \(counts.duplicates), lease_owner = NULL, lease_until = NULL
                    WHERE id = \(update.feedID)
                    """, logger: logger)
            case let .failure(error, streak, turnsUnhealthy):
                let since: Int64? = turnsUnhealthy ? at : nil
                _ = try await connection.rows("""
                    UPDATE feeds SET last_polled_at = \(at), last_status = \(update.status), last_error = \(error),
                        error_streak = \(streak), next_poll_at = \(next), unhealthy_since = coalesce(unhealthy_since, \(since)),
                        lease_owner = NULL, lease_until = NULL
                    WHERE id = \(update.feedID)
                    """, logger: logger)
            }
            if let sourceAlert { try await Self.apply(sourceAlert, connection: connection, store: self) }
            return counts
        }
    }

    public func leaseFeed(id: String, lease: Lease) async throws -> FeedLease {
        let now = lease.now.millis
        // SKIP LOCKED: an instance leasing the same feed right now wins; this one does not wait for it.
        let leased = try await records(FeedRecord.self, """
            UPDATE feeds SET lease_owner = \(lease.owner), lease_until = \(lease.until.millis)
            WHERE id IN (SELECT id FROM feeds WHERE id = \(id) AND coalesce(next_poll_at, 0) <= \(now)
                         AND (lease_until IS NULL OR lease_until <= \(now) OR lease_owner = \(lease.owner))
                         FOR UPDATE SKIP LOCKED)
            RETURNING *
            """)
        if let feed = leased.first { return .leased(feed) }
        return try await records(FeedRecord.self, "SELECT * FROM feeds WHERE id = \(id)").first.map { .notYours($0) } ?? .unknown
    }

    public func feeds() async throws -> [FeedRecord] {
        try await records(FeedRecord.self, "SELECT * FROM feeds ORDER BY id")
    }

    /// Stores one item unless it is already known by id or (when `dedupeByContent`) by content.
    static func insert(_ item: NewItem, feedID: String, fetchedAt: Date, connection: PostgresConnection, store: PostgresStore) async throws -> Bool {
        if item.dedupeByContent,
           try await !connection.rows("SELECT 1 FROM items WHERE content_hash = \(item.contentHash) LIMIT 1", logger: store.logger).isEmpty {
            return false
        }
        let inserted = try await connection.rows("""
            INSERT INTO items (canonical_id, content_hash, feed_id, title, link, summary, authors, raw, published_at,
                               published_estimated, fetched_at)
            VALUES (\(item.canonicalID), \(item.contentHash), \(feedID), \(item.title), \(item.link), \(item.summary),
                    \(item.authorsJSON), \(item.rawJSON), \(item.publishedAt.millis), \(item.publishedEstimated ? 1 : 0),
                    \(fetchedAt.millis))
            ON CONFLICT (canonical_id) DO NOTHING
            RETURNING id
            """, logger: store.logger)
        return !inserted.isEmpty
    }
}
