import Foundation

/// A mention with what the entity metrics read of its item's score: the alert evaluator keeps these in memory.
public struct ScoredMention: Sendable, Equatable {
    /// The score's sequence number (write order).
    public var sequence: Int64
    public var itemID: Int64
    public var symbol: String
    public var publishedAt: Date
    public var sentiment: Double
    public var risk: Double
    public var isNegative: Bool
    /// The story it is in, as story-counting metrics read it.
    public var story: StoryPoint

    public init(sequence: Int64, itemID: Int64, symbol: String, publishedAt: Date, sentiment: Double, risk: Double, isNegative: Bool,
                story: StoryPoint? = nil) {
        self.sequence = sequence
        self.itemID = itemID
        self.symbol = symbol
        self.publishedAt = publishedAt
        self.sentiment = sentiment
        self.risk = risk
        self.isNegative = isNegative
        self.story = story ?? StoryPoint(id: itemID, publishedAt: publishedAt, sentiment: sentiment, risk: risk,
                                        label: isNegative ? "negative" : "")
    }
}

/// The mentions of a time span, and where the score sequence stood when they were read.
public struct MentionSnapshot: Sendable, Equatable {
    public var mentions: [ScoredMention]
    /// The highest score sequence number the snapshot covers: read on with `scoresWritten(after:)`.
    public var lastSequence: Int64
    /// Numbers up to `lastSequence` not yet visible when the snapshot was read (PostgreSQL: rows of
    /// transactions still open, which may commit later; ON CONFLICT skips). Among the most recent
    /// `MentionSnapshot.trackedGap` numbers only.
    public var unseen: [Int64]

    /// How far back from the newest number a snapshot looks for numbers not yet visible.
    public static let trackedGap: Int64 = 4096

    public init(mentions: [ScoredMention], lastSequence: Int64, unseen: [Int64]) {
        self.mentions = mentions
        self.lastSequence = lastSequence
        self.unseen = unseen
    }
}

/// Scores written after a sequence number, in sequence order.
public struct ScorePage: Sendable, Equatable {
    /// The sequence numbers read, of every model version (so that a reader can tell a gap from a rescore).
    public var sequences: [Int64]
    /// The mentions of the scores from the model version asked for.
    public var mentions: [ScoredMention]

    public init(sequences: [Int64], mentions: [ScoredMention]) {
        self.sequences = sequences
        self.mentions = mentions
    }
}
