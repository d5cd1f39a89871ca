import Foundation

/// One row of `alerts`: one per fingerprint (rule + entity, or a feed's source health), its current state.
public struct AlertRecord: Sendable, Codable, Equatable {
    public var id: Int64?
    public var fingerprint: String
    public var kind: AlertKind
    public var ruleID: String
    /// A ticker symbol, or the feed id of a source alert.
    public var entity: String
    public var state: AlertState
    public var severity: Severity?
    public var value: Double?
    public var startedAt: Date
    public var firedAt: Date?
    public var resolvedAt: Date?
    public var lastNotifiedAt: Date?
    public var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, fingerprint, kind, ruleID = "rule_id", entity, state, severity, value, startedAt = "started_at"
        case firedAt = "fired_at", resolvedAt = "resolved_at", lastNotifiedAt = "last_notified_at", updatedAt = "updated_at"
    }

    public init(id: Int64? = nil, fingerprint: String, kind: AlertKind, ruleID: String, entity: String, state: AlertState,
                severity: Severity?, value: Double?, startedAt: Date, firedAt: Date? = nil, resolvedAt: Date? = nil,
                lastNotifiedAt: Date? = nil, updatedAt: Date) {
        self.id = id
        self.fingerprint = fingerprint
        self.kind = kind
        self.ruleID = ruleID
        self.entity = entity
        self.state = state
        self.severity = severity
        self.value = value
        self.startedAt = startedAt
        self.firedAt = firedAt
        self.resolvedAt = resolvedAt
        self.lastNotifiedAt = lastNotifiedAt
        self.updatedAt = updatedAt
    }
}

/// One row of `alert_events`: a state change, with the metrics and evidence at the time.
public struct AlertEventRecord: Sendable, Codable, Equatable {
    public var id: Int64
    public var alertID: Int64
    public var state: AlertEventKind
    public var value: Double?
    /// JSON: window metrics, thresholds, evidence (the webhook's `data`).
    public var details: String?
    public var at: Date

    enum CodingKeys: String, CodingKey {
        case id, alertID = "alert_id", state, value, details, at
    }
}

/// An alert with the details of its latest event, for listings, `/v1/alerts` and the dashboard.
public struct AlertWithDetails: Sendable, Equatable {
    public var alert: AlertRecord
    /// The latest event's details JSON.
    public var details: String?
    public init(alert: AlertRecord, details: String?) {
        self.alert = alert
        self.details = details
    }
}

/// One row of `silences`: notifications muted for a symbol or a rule until a time.
public struct SilenceRecord: Sendable, Codable, Equatable {
    public var id: Int64
    /// A symbol or a rule id.
    public var matcher: String
    public var comment: String
    public var createdAt: Date
    public var untilAt: Date

    enum CodingKeys: String, CodingKey {
        case id, matcher, comment, createdAt = "created_at", untilAt = "until_at"
    }
}

/// An alert change to write: the alert row as it is after the change, the event that records it,
/// and the webhook messages that announce it — one transaction, so none exists without the others.
public struct AlertWrite: Sendable, Equatable {
    public var alert: AlertRecord
    public var event: AlertEventKind
    /// The event's details JSON (also the `data` of the messages).
    public var details: String
    public var notifications: [NewDelivery]

    public init(alert: AlertRecord, event: AlertEventKind, details: String, notifications: [NewDelivery]) {
        self.alert = alert
        self.event = event
        self.details = details
        self.notifications = notifications
    }
}
