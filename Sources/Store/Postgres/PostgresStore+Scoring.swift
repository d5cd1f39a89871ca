import Foundation
import PostgresNIO

extension PostgresStore: ScoringStore {
    public func scoringCursor(modelVersion: String) async throws -> Int64 {
        try await rows("""
            SELECT coalesce(min(i.id) - 1, (SELECT coalesce(max(id), 0) FROM items)) FROM items i
            WHERE NOT EXISTS (SELECT 1 FROM scores s WHERE s.item_id = i.id AND s.model_version = \(modelVersion))
            """).first?.decode(Int64.self) ?? 0
    }

    public func unscoredItems(after cursor: Int64, modelVersion: String, limit: Int, publishedSince: Date?,
                              claim: Lease?) async throws -> [UnscoredItem] {
        let since = publishedSince?.millis ?? 0
        let rows: [PostgresRow]
        if let claim {
            // Each instance claims a different batch: rows another transaction is claiming are skipped,
            // and so are items whose claim has not run out (an instance that died releases them by time).
            rows = try await self.rows("""
                UPDATE items SET claimed_by = \(claim.owner), claimed_until = \(claim.until.millis)
                WHERE id IN (
                    SELECT i.id FROM items i
                    WHERE i.id > \(cursor) AND i.published_at >= \(since)
                      AND NOT EXISTS (SELECT 1 FROM scores s WHERE s.item_id = i.id AND s.model_version = \(modelVersion))
                      AND (i.claimed_until IS NULL OR i.claimed_until <= \(claim.now.millis) OR i.claimed_by = \(claim.owner))
                    ORDER BY i.id LIMIT \(limit) FOR UPDATE SKIP LOCKED)
                RETURNING id, feed_id, title, summary
                """)
        } else {
            rows = try await self.rows("""
                SELECT i.id, i.feed_id, i.title, i.summary FROM items i
                WHERE i.id > \(cursor) AND i.published_at >= \(since)
                  AND NOT EXISTS (SELECT 1 FROM scores s WHERE s.item_id = i.id AND s.model_version = \(modelVersion))
                ORDER BY i.id LIMIT \(limit)
                """)
        }
        return try rows.map { row in
            let (id, feedID, title, summary) = try row.decode((Int64, String, String, String).self)
            return UnscoredItem(id: id, feedID: feedID, title: title, summary: summary)
        }.sorted { $0.id < $1.id }
    }

    public func countItems(after id: Int64) async throws -> Int {
        try await rows("SELECT count(*) FROM items WHERE id > \(id)").first?.decode(Int.self) ?? 0
    }

    public func countUnscored(modelVersion: String, publishedSince: Date?) async throws -> Int {
        try await rows(Self.countUnscoredQuery(modelVersion: modelVersion, publishedSince: publishedSince)).first?.decode(Int.self) ?? 0
    }

    static func countUnscoredQuery(modelVersion: String, publishedSince: Date?) -> PostgresQuery {
        """
        SELECT count(*) FROM items i WHERE i.published_at >= \(publishedSince?.millis ?? 0)
        AND NOT EXISTS (SELECT 1 FROM scores s WHERE s.item_id = i.id AND s.model_version = \(modelVersion))
        """
    }

    public func writeScores(_ batch: [ScoredItem]) async throws {
        try await transaction { connection in
            for item in batch {
                let s = item.score
                _ = try await connection.rows("""
                    INSERT INTO scores (item_id, model_version, heads, sentiment, risk, label, topic, explanation, scored_at)
                    VALUES (\(s.itemID), \(s.modelVersion), \(s.heads), \(s.sentiment), \(s.risk), \(s.label), \(s.topic),
                            \(s.explanation), \(s.scoredAt.millis))
                    ON CONFLICT DO NOTHING
                    """, logger: logger)
                for entity in item.entities {
                    _ = try await connection.rows("""
                        INSERT INTO entities (symbol, name, on_watchlist, first_seen_at)
                        VALUES (\(entity.symbol), \(entity.name), \(entity.onWatchlist ? 1 : 0), \(entity.firstSeenAt.millis))
                        ON CONFLICT (symbol) DO UPDATE SET on_watchlist = excluded.on_watchlist, name = coalesce(excluded.name, entities.name)
                        """, logger: logger)
                }
                for mention in item.mentions {
                    _ = try await connection.rows("""
                        INSERT INTO mentions (item_id, symbol, kind, matched)
                        VALUES (\(mention.itemID), \(mention.symbol), \(mention.kind.rawValue), \(mention.matched))
                        ON CONFLICT DO NOTHING
                        """, logger: logger)
                }
            }
        }
    }

    public func item(id: Int64) async throws -> ItemRecord? {
        try await records(ItemRecord.self, "SELECT * FROM items WHERE id = \(id)").first
    }
}
