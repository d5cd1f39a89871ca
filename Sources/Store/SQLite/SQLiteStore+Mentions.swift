import Foundation
import GRDB

// What the alert evaluator keeps in memory: a snapshot of the mentions it needs, then the scores
// written since. One writer at a time numbers the scores in commit order, so nothing is unseen.
extension SQLiteStore {
    public func mentionSnapshot(modelVersion: String, publishedAfter: Date) async throws -> MentionSnapshot {
        try await pool.read { db in
            let last = try Int64.fetchOne(db, sql: SQLText.lastScoreSequence) ?? 0
            let mentions = try Row.fetchAll(db, sql: SQLText.sqlite(SQLText.mentionSnapshot),
                                            arguments: [modelVersion, publishedAfter.millis, last]).map { row in
                ScoredMention(sequence: row[0], itemID: row[1], symbol: row[2], publishedAt: Date(millis: row[3]), sentiment: row[4],
                              risk: row[5], isNegative: (row[6] as String) == "negative",
                              story: StoryPoint(id: row[7], publishedAt: Date(millis: row[8]), sentiment: row[9], risk: row[10],
                                                label: row[11]))
            }
            return MentionSnapshot(mentions: mentions, lastSequence: last, unseen: [])
        }
    }

    public func scoresWritten(after sequence: Int64, unseen: [Int64], modelVersion: String, limit: Int) async throws -> ScorePage {
        try await pool.read { db in
            let list = unseen.isEmpty ? nil : unseen.map(String.init).joined(separator: ", ")
            let rows = try Row.fetchAll(db, sql: SQLText.sqlite(SQLText.scoresWritten(unseen: list)), arguments: [sequence, limit])
            return ScorePage(rows.map { row in
                (sequence: row[0], itemID: row[1], modelVersion: row[2], sentiment: row[3], risk: row[4], label: row[5],
                 publishedAt: row[6], symbol: row[7],
                 story: StoryPoint(id: row[8], publishedAt: Date(millis: row[9]), sentiment: row[10], risk: row[11],
                                   label: row[12]))
            }, modelVersion: modelVersion)
        }
    }
}

extension ScorePage {
    /// A page from rows of `SQLText.scoresWritten`.
    init(_ rows: [(sequence: Int64, itemID: Int64, modelVersion: String, sentiment: Double, risk: Double, label: String,
                   publishedAt: Int64, symbol: String?, story: StoryPoint)], modelVersion: String) {
        var sequences: [Int64] = []
        var mentions: [ScoredMention] = []
        for row in rows {
            if sequences.last != row.sequence { sequences.append(row.sequence) }
            guard row.modelVersion == modelVersion, let symbol = row.symbol else { continue }
            mentions.append(ScoredMention(sequence: row.sequence, itemID: row.itemID, symbol: symbol, publishedAt: Date(millis: row.publishedAt),
                                          sentiment: row.sentiment, risk: row.risk, isNegative: row.label == "negative", story: row.story))
        }
        self.init(sequences: sequences, mentions: mentions)
    }
}
