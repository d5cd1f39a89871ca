import Foundation
import GRDB

extension SQLiteStore: ScoringStore {
    public func scoringCursor(modelVersion: String) async throws -> Int64 {
        try await pool.read { db in
            try Int64.fetchOne(db, sql: """
                SELECT coalesce(min(i.id) - 1, (SELECT coalesce(max(id), 0) FROM items)) FROM items i
                WHERE NOT EXISTS (SELECT 1 FROM scores s WHERE s.item_id = i.id AND s.model_version = ?)
                """, arguments: [modelVersion]) ?? 0
        }
    }

    public func unscoredItems(after cursor: Int64, modelVersion: String, limit: Int, publishedSince: Date?,
                              claim: Lease?) async throws -> [UnscoredItem] {
        let select = """
            SELECT i.id, i.feed_id, i.title, i.summary, i.published_at FROM items i
            WHERE i.id > ? AND i.published_at >= ? AND NOT EXISTS (SELECT 1 FROM scores s WHERE s.item_id = i.id AND s.model_version = ?)
            """
        guard let claim else {
            return try await pool.read { db in
                try Row.fetchAll(db, sql: select + " ORDER BY i.id LIMIT ?",
                                 arguments: [cursor, publishedSince?.millis ?? 0, modelVersion, limit]).map(UnscoredItem.init(row:))
            }
        }
        return try await pool.write { db in
            let rows = try Row.fetchAll(db, sql: select + " AND (i.claimed_until IS NULL OR i.claimed_until <= ? OR i.claimed_by = ?) ORDER BY i.id LIMIT ?",
                                        arguments: [cursor, publishedSince?.millis ?? 0, modelVersion, claim.now.millis, claim.owner, limit])
            let batch = rows.map(UnscoredItem.init(row:))
            for item in batch {
                try db.execute(sql: "UPDATE items SET claimed_by = ?, claimed_until = ? WHERE id = ?",
                               arguments: [claim.owner, claim.until.millis, item.id])
            }
            return batch
        }
    }

    public func countItems(after id: Int64) async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM items WHERE id > ?", arguments: [id]) ?? 0 }
    }

    public func countUnscored(modelVersion: String, publishedSince: Date?) async throws -> Int {
        try await pool.read { db in try Self.countUnscored(modelVersion: modelVersion, publishedSince: publishedSince, db: db) }
    }

    static func countUnscored(modelVersion: String, publishedSince: Date?, db: Database) throws -> Int {
        try Int.fetchOne(db, sql: """
            SELECT count(*) FROM items i WHERE i.published_at >= ?
            AND NOT EXISTS (SELECT 1 FROM scores s WHERE s.item_id = i.id AND s.model_version = ?)
            """, arguments: [publishedSince?.millis ?? 0, modelVersion]) ?? 0
    }

    public func writeScores(_ batch: [ScoredItem]) async throws {
        try await pool.write { db in
            // Compiled once per connection (GRDB's statement cache), not once per row.
            let insertScore = try db.cachedStatement(sql: """
                INSERT INTO scores (item_id, model_version, heads, sentiment, risk, label, topic, explanation, scored_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                """)
            let upsertEntity = try db.cachedStatement(sql: """
                INSERT INTO entities (symbol, name, on_watchlist, first_seen_at) VALUES (?, ?, ?, ?)
                ON CONFLICT(symbol) DO UPDATE SET on_watchlist = excluded.on_watchlist, name = coalesce(excluded.name, entities.name)
                """)
            let insertMention = try db.cachedStatement(sql: "INSERT OR IGNORE INTO mentions (item_id, symbol, kind, matched) VALUES (?, ?, ?, ?)")
            for item in batch {
                let s = item.score
                try insertScore.execute(arguments: [s.itemID, s.modelVersion, s.heads, s.sentiment, s.risk, s.label, s.topic, s.explanation,
                                                    s.scoredAt.millis])
                for entity in item.entities {
                    try upsertEntity.execute(arguments: [entity.symbol, entity.name, entity.onWatchlist ? 1 : 0, entity.firstSeenAt.millis])
                }
                for mention in item.mentions {
                    try insertMention.execute(arguments: [mention.itemID, mention.symbol, mention.kind, mention.matched])
                }
            }
            try Self.writeStoryLinks(batch, db: db)
        }
    }

    public func item(id: Int64) async throws -> ItemRecord? {
        try await pool.read { db in try ItemRecord.fetchOne(db, key: id) }
    }
}

extension UnscoredItem {
    init(row: Row) {
        self.init(id: row["id"], feedID: row["feed_id"], title: row["title"], summary: row["summary"],
                  publishedAt: Date(millis: row["published_at"]))
    }
}
