import Foundation
import GRDB
import Transformer

/// Stores classifications: the score per item and model version, the entities and mentions.
/// Used by monitord's scorer and by `monitorctl rescore`, inside the caller's transaction.
public enum ScoreWriter {
    public static func write(_ batch: [(id: Int64, feedID: String, text: String, result: Classification)], config: MonitorConfig,
                             modelVersion: String, now: Date = Date(), db: Database) throws {
        let weights = Dictionary(config.feeds.map { ($0.id, $0.weight) }) { a, _ in a }
        let tagger = EntityTagger(watchlist: config.watchlist)
        let watch = Set(config.watchlist.map(\.symbol))
        let names = Dictionary(config.watchlist.map { ($0.symbol, $0.names.first ?? $0.symbol) }) { a, _ in a }
        for item in batch {
            let score = ItemScore(item.result, settings: config.risk, sourceWeight: weights[item.feedID] ?? 1)
            let heads = try JSONText.encode(score.heads)
            let words = score.explanation.map { ["word": $0.word, "weight": ($0.weight * 10_000).rounded() / 10_000] as [String: Any] }
            let explanation = try JSONText.encode(words)
            try db.execute(sql: """
                INSERT INTO scores (item_id, model_version, heads, sentiment, risk, label, topic, explanation, scored_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                """, arguments: [item.id, modelVersion, heads, score.sentiment, score.risk, score.label, score.topic, explanation, now.millis])
            for mention in tagger.mentions(in: item.text) {
                try db.execute(sql: """
                    INSERT INTO entities (symbol, name, on_watchlist, first_seen_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT(symbol) DO UPDATE SET on_watchlist = excluded.on_watchlist, name = coalesce(excluded.name, entities.name)
                    """, arguments: [mention.symbol, names[mention.symbol], watch.contains(mention.symbol) ? 1 : 0, now.millis])
                try db.execute(sql: "INSERT OR IGNORE INTO mentions (item_id, symbol, kind, matched) VALUES (?, ?, ?, ?)",
                               arguments: [item.id, mention.symbol, mention.kind.rawValue, mention.matched])
            }
        }
    }
}
