import Config
import Foundation
import Store

/// `monitorctl alerts --format json` and `/v1/alerts`: one document, the same keys in both.
public struct AlertListDocument: Encodable, Sendable {
    public var alerts: [Alert]
    public var silences: [Silence]

    public struct Alert: Encodable, Sendable {
        public var fingerprint: String
        public var kind: String
        public var rule: String
        public var entity: String
        public var state: String
        @OrNull public var severity: String?
        @OrNull public var value: Double?
        public var startedAt: Date
        @OrNull public var firedAt: Date?
        @OrNull public var resolvedAt: Date?
        /// The alert's last change as stored (metrics, evidence); null when none was kept.
        public var details: JSONValue
    }

    public struct Silence: Encodable, Sendable {
        public var id: Int64
        public var matcher: String
        public var comment: String
        public var createdAt: Date
        public var until: Date
    }

    public init(alerts: [AlertWithDetails], silences: [SilenceRecord]) {
        self.alerts = alerts.map { entry in
            let a = entry.alert
            return Alert(fingerprint: a.fingerprint, kind: a.kind.rawValue, rule: a.ruleID, entity: a.entity, state: a.state.rawValue,
                         severity: a.severity?.rawValue, value: a.value.map(JSONText.rounded), startedAt: a.startedAt, firedAt: a.firedAt,
                         resolvedAt: a.resolvedAt, details: .stored(entry.details))
        }
        self.silences = silences.map { Silence(id: $0.id, matcher: $0.matcher, comment: $0.comment, createdAt: $0.createdAt, until: $0.untilAt) }
    }
}

/// `monitorctl deliveries --format json`.
public struct DeliveryListDocument: Encodable, Sendable {
    public var deliveries: [Delivery]

    public struct Delivery: Encodable, Sendable {
        public var id: Int64
        public var messageId: String
        public var webhook: String
        public var type: String
        public var status: String
        public var attempts: Int
        public var createdAt: Date
        /// When the next attempt is due; null once the delivery is delivered, failed or disabled.
        @OrNull public var nextAttemptAt: Date?
        @OrNull public var deliveredAt: Date?
        @OrNull public var lastStatus: Int?
        @OrNull public var lastError: String?
    }

    public init(_ rows: [DeliveryWithLastAttempt]) {
        deliveries = rows.map { row in
            let r = row.delivery
            return Delivery(id: r.id, messageId: r.messageID, webhook: r.webhookID, type: r.eventType.rawValue, status: r.status.rawValue,
                            attempts: r.attempts, createdAt: r.createdAt, nextAttemptAt: r.status == .pending ? r.nextAttemptAt : nil,
                            deliveredAt: r.deliveredAt, lastStatus: row.lastHTTPStatus, lastError: row.lastError)
        }
    }
}

/// `monitorctl feeds --format json` (and the dashboard's feed table): every configured feed, and
/// those in the database that the configuration no longer lists.
public struct FeedListDocument: Encodable, Sendable {
    public var feeds: [Feed]

    public struct Feed: Encodable, Sendable {
        public var id: String
        public var url: String
        public var status: String
        @OrNull public var lastPoll: Date?
        @OrNull public var lastSuccess: Date?
        /// The last HTTP status; null before the first poll and for a transport error.
        @OrNull public var lastStatus: Int?
        public var errorStreak: Int
        @OrNull public var nextPoll: Date?
        public var itemsSeen: Int
        public var duplicates: Int
        @OrNull public var unhealthySince: Date?
        @OrNull public var lastError: String?
    }

    public init(records: [FeedRecord], config: MonitorConfig) {
        let configured = Set(config.feeds.map(\.id))
        var feeds = records.map { r in
            Feed(id: r.id, url: r.url, status: r.health(configured: configured.contains(r.id)).rawValue, lastPoll: r.lastPolledAt,
                 lastSuccess: r.lastSuccessAt, lastStatus: r.lastStatus == 0 ? nil : r.lastStatus, errorStreak: r.errorStreak,
                 nextPoll: r.nextPollAt, itemsSeen: r.itemsSeen, duplicates: r.duplicatesSeen, unhealthySince: r.unhealthySince,
                 lastError: r.lastError)
        }
        for feed in config.feeds where !feeds.contains(where: { $0.id == feed.id }) {
            feeds.append(Feed(id: feed.id, url: feed.url.absoluteString, status: FeedHealth.new.rawValue, lastPoll: nil, lastSuccess: nil,
                              lastStatus: nil, errorStreak: 0, nextPoll: nil, itemsSeen: 0, duplicates: 0, unhealthySince: nil, lastError: nil))
        }
        self.feeds = feeds
    }
}

/// `monitorctl stories --format json` and `/v1/stories`: one document, the same keys in both (README, "Stories").
public struct StoryListDocument: Encodable, Sendable {
    @OrNull public var modelVersion: String?
    public var stories: [Story]

    public struct Story: Encodable, Sendable {
        public var id: Int64
        public var title: String
        @OrNull public var link: String?
        public var firstSeen: Date
        public var lastSeen: Date
        public var size: Int
        public var sources: [String]
        public var items: [Item]
    }

    public struct Item: Encodable, Sendable {
        public var itemId: Int64
        public var title: String
        @OrNull public var link: String?
        public var source: String
        public var published: Date
    }

    public init(modelVersion: String?, stories: [StoryRecord]) {
        self.modelVersion = modelVersion
        self.stories = stories.map { s in
            Story(id: s.id, title: s.title, link: s.link, firstSeen: s.firstSeen, lastSeen: s.lastSeen, size: s.size, sources: s.sources,
                  items: s.items.map { Item(itemId: $0.itemID, title: $0.title, link: $0.link, source: $0.source, published: $0.published) })
        }
    }
}
