import Foundation

/// One row of `feeds`: a configured feed and its polling state.
public struct FeedRecord: Sendable, Codable, Equatable {
    public var id: String
    /// Where to poll: the configured URL, or where a permanent redirect led.
    public var url: String
    public var configuredURL: String?
    public var etag: String?
    public var lastModified: String?
    public var lastPolledAt: Date?
    /// The last HTTP status (0 for a transport error).
    public var lastStatus: Int?
    public var lastError: String?
    public var errorStreak: Int
    public var nextPollAt: Date?
    /// Set while a source-health alert is firing for the feed.
    public var unhealthySince: Date?
    public var lastSuccessAt: Date?
    public var itemsSeen: Int
    public var duplicatesSeen: Int
    public var createdAt: Date
    /// The instance polling the feed now, and until when its lease runs (nil when none does).
    public var leaseOwner: String?
    public var leaseUntil: Date?

    enum CodingKeys: String, CodingKey {
        case id, url, configuredURL = "configured_url", etag, lastModified = "last_modified", lastPolledAt = "last_polled_at"
        case lastStatus = "last_status", lastError = "last_error", errorStreak = "error_streak", nextPollAt = "next_poll_at"
        case unhealthySince = "unhealthy_since", lastSuccessAt = "last_success_at", itemsSeen = "items_seen"
        case duplicatesSeen = "duplicates_seen", createdAt = "created_at", leaseOwner = "lease_owner", leaseUntil = "lease_until"
    }

    /// The feed's health; `configured` says whether the configuration still lists it.
    public func health(configured: Bool) -> FeedHealth {
        if !configured { return .removed }
        if unhealthySince != nil { return .unhealthy }
        if errorStreak > 0 { return .backingOff }
        return lastPolledAt == nil ? .new : .healthy
    }
}

/// A feed as the configuration gives it, for `syncFeeds`.
public struct FeedSpec: Sendable, Equatable {
    public var id: String
    public var url: String
    public init(id: String, url: String) {
        self.id = id
        self.url = url
    }
}

/// The outcome of one poll, written with the poll's items in one transaction.
public struct FeedPollUpdate: Sendable {
    public enum Outcome: Sendable {
        /// A usable answer (200 or 304): the error streak resets and the feed is healthy.
        case success(etag: String?, lastModified: String?, url: String)
        /// A failure; `turnsUnhealthy` marks the poll that turned the feed unhealthy.
        case failure(error: String, streak: Int, turnsUnhealthy: Bool)
    }
    public var feedID: String
    public var status: Int
    public var outcome: Outcome
    public var nextPollAt: Date
    public var at: Date

    public init(feedID: String, status: Int, outcome: Outcome, nextPollAt: Date, at: Date) {
        self.feedID = feedID
        self.status = status
        self.outcome = outcome
        self.nextPollAt = nextPollAt
        self.at = at
    }
}

/// What one poll brought.
public struct IngestCounts: Sendable, Equatable {
    public var new = 0
    public var duplicates = 0
    public init(new: Int = 0, duplicates: Int = 0) {
        self.new = new
        self.duplicates = duplicates
    }
}
