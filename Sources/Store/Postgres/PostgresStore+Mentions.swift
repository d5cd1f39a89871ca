import Foundation
import PostgresNIO

// What the alert evaluator keeps in memory. Several instances write scores at once: a number is
// taken at insert and becomes visible at commit, so a later number can be read before an earlier
// one. The snapshot reports the recent numbers it could not see, and the reader asks for them again.
extension PostgresStore {
    public func mentionSnapshot(modelVersion: String, publishedAfter: Date) async throws -> MentionSnapshot {
        try await transaction { connection in
            // One snapshot for the three statements: what is visible does not change between them.
            _ = try await connection.rows("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", logger: logger)
            let last = try await connection.rows(PostgresQuery(unsafeSQL: SQLText.lastScoreSequence), logger: logger)
                .first?.decode(Int64.self) ?? 0
            var binds = PostgresBindings()
            binds.append(modelVersion)
            binds.append(publishedAfter.millis)
            binds.append(last)
            let mentions = try await connection.rows(PostgresQuery(unsafeSQL: SQLText.mentionSnapshot, binds: binds), logger: logger).map { row in
                let (sequence, itemID, symbol, publishedAt, sentiment, risk, label) =
                    try row.decode((Int64, Int64, String, Int64, Double, Double, String).self)
                return ScoredMention(sequence: sequence, itemID: itemID, symbol: symbol, publishedAt: Date(millis: publishedAt),
                                     sentiment: sentiment, risk: risk, isNegative: label == "negative",
                                     story: try Self.storyPoint(row, from: 7))
            }
            let from = max(0, last - MentionSnapshot.trackedGap)
            var range = PostgresBindings()
            range.append(from)
            range.append(last)
            let visible = Set(try await connection.rows(PostgresQuery(unsafeSQL: SQLText.visibleScoreSequences, binds: range), logger: logger)
                .map { try $0.decode(Int64.self) })
            let unseen = last > from ? (from + 1...last).filter { !visible.contains($0) } : []
            return MentionSnapshot(mentions: mentions, lastSequence: last, unseen: unseen)
        }
    }

    public func scoresWritten(after sequence: Int64, unseen: [Int64], modelVersion: String, limit: Int) async throws -> ScorePage {
        var binds = PostgresBindings()
        binds.append(sequence)
        binds.append(limit)
        let list = unseen.isEmpty ? nil : unseen.map(String.init).joined(separator: ", ")
        let rows = try await rows(PostgresQuery(unsafeSQL: SQLText.scoresWritten(unseen: list), binds: binds)).map { row in
            let (sequence, itemID, version, sentiment, risk, label, publishedAt, symbol) =
                try row.decode((Int64, Int64, String, Double, Double, String, Int64, String?).self)
            return (sequence: sequence, itemID: itemID, modelVersion: version, sentiment: sentiment, risk: risk, label: label,
                    publishedAt: publishedAt, symbol: symbol, story: try Self.storyPoint(row, from: 8))
        }
        return ScorePage(rows, modelVersion: modelVersion)
    }

    /// The five columns of `SQLText.storyPointColumns`, starting at column `from`.
    static func storyPoint(_ row: PostgresRow, from: Int) throws -> StoryPoint {
        let cells = row.makeRandomAccess()
        return StoryPoint(id: try cells[from].decode(Int64.self), publishedAt: Date(millis: try cells[from + 1].decode(Int64.self)),
                          sentiment: try cells[from + 2].decode(Double.self), risk: try cells[from + 3].decode(Double.self),
                          label: try cells[from + 4].decode(String.self))
    }
}
