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
                RETURNING id, feed_id, title, summary, published_at
                """)
        } else {
            rows = try await self.rows("""
                SELECT i.id, i.feed_id, i.title, i.summary, i.published_at FROM items i
                WHERE i.id > \(cursor) AND i.published_at >= \(since)
                  AND NOT EXISTS (SELECT 1 FROM scores s WHERE s.item_id = i.id AND s.model_version = \(modelVersion))
                ORDER BY i.id LIMIT \(limit)
                """)
        }
        return try rows.map { row in
            let (id, feedID, title, summary, published) = try row.decode((Int64, String, String, String, Int64).self)
            return UnscoredItem(id: id, feedID: feedID, title: title, summary: summary, publishedAt: Date(millis: published))
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

    /// One statement per table for the whole batch (arrays unnested on the server), not one per row:
    /// a batch of 32 is three round trips instead of about a hundred.
    public func writeScores(_ batch: [ScoredItem]) async throws {
        guard !batch.isEmpty else { return }
        let scores = batch.map(\.score)
        // An upsert may touch a row once per statement: one entity row per symbol, the last (as row by row ends with).
        var seen = Set<String>()
        let entities = Array(batch.flatMap(\.entities).reversed().filter { seen.insert($0.symbol).inserted }.reversed())
        let mentions = batch.flatMap(\.mentions)
        try await transaction { connection in
            _ = try await connection.rows("""
                INSERT INTO scores (item_id, model_version, heads, sentiment, risk, label, topic, explanation, scored_at)
                SELECT item_id, model_version, heads, sentiment, risk, label,
                       CASE WHEN has_topic THEN topic END, CASE WHEN has_explanation THEN explanation END, scored_at
                FROM unnest(\(scores.map(\.itemID))::bigint[], \(scores.map(\.modelVersion))::text[], \(scores.map(\.heads))::text[],
                            \(scores.map(\.sentiment))::float8[], \(scores.map(\.risk))::float8[], \(scores.map(\.label))::text[],
                            \(scores.map { $0.topic ?? "" })::text[], \(scores.map { $0.topic != nil })::bool[],
                            \(scores.map { $0.explanation ?? "" })::text[], \(scores.map { $0.explanation != nil })::bool[],
                            \(scores.map(\.scoredAt.millis))::bigint[])
                     AS t(item_id, model_version, heads, sentiment, risk, label, topic, has_topic, explanation, has_explanation, scored_at)
                ON CONFLICT DO NOTHING
                """, logger: logger)
            if !entities.isEmpty {
                _ = try await connection.rows("""
                    INSERT INTO entities (symbol, name, on_watchlist, first_seen_at)
                    SELECT symbol, CASE WHEN has_name THEN name END, on_watchlist, first_seen_at
                    FROM unnest(\(entities.map(\.symbol))::text[], \(entities.map { $0.name ?? "" })::text[],
                                \(entities.map { $0.name != nil })::bool[], \(entities.map { $0.onWatchlist ? 1 : 0 })::integer[],
                                \(entities.map(\.firstSeenAt.millis))::bigint[])
                         AS t(symbol, name, has_name, on_watchlist, first_seen_at)
                    ON CONFLICT (symbol) DO UPDATE SET on_watchlist = excluded.on_watchlist, name = coalesce(excluded.name, entities.name)
                    """, logger: logger)
            }
            if !mentions.isEmpty {
                _ = try await connection.rows("""
                    INSERT INTO mentions (item_id, symbol, kind, matched)
                    SELECT * FROM unnest(\(mentions.map(\.itemID))::bigint[], \(mentions.map(\.symbol))::text[],
                                         \(mentions.map(\.kind.rawValue))::text[], \(mentions.map(\.matched))::text[])
                    ON CONFLICT DO NOTHING
                    """, logger: logger)
            }
            try await Self.writeStoryLinks(batch, connection: connection, logger: logger)
        }
    }

    public func item(id: Int64) async throws -> ItemRecord? {
        try await records(ItemRecord.self, "SELECT * FROM items WHERE id = \(id)").first
    }
}
