/// The states and kinds the database stores as text. Each is a Swift enum whose raw value
/// is the string already in the column, so databases written by earlier versions read unchanged.

/// Where an alert is in its lifecycle (`alerts.state`).
public enum AlertState: String, Sendable, Codable, CaseIterable {
    /// The condition holds, waiting out the rule's `for`.
    case pending
    /// The condition held long enough; notifications go out (and repeat after the cooldown).
    case firing
    /// The condition cleared (or a pending alert was cancelled).
    case resolved
}

/// What one `alert_events` row records. `cancelled` is a pending alert whose condition
/// cleared before `for` elapsed: the alert row goes back to `resolved`, nobody was notified.
public enum AlertEventKind: String, Sendable, Codable, CaseIterable {
    case pending, firing, resolved, cancelled

    /// The alert state this event leaves the alert in.
    public var resultingState: AlertState {
        switch self {
        case .pending: .pending
        case .firing: .firing
        case .resolved, .cancelled: .resolved
        }
    }
}

/// Threshold alerts come from rules; source alerts from feed health (`alerts.kind`).
public enum AlertKind: String, Sendable, Codable, CaseIterable {
    case threshold, source
}

/// How urgent a rule's alerts are (`rules[].severity`, `alerts.severity`).
public enum Severity: String, Sendable, Codable, CaseIterable {
    case info, warning, critical
}

/// The `type` of a webhook message (`webhook_deliveries.event_type`).
public enum WebhookEventType: String, Sendable, Codable, CaseIterable {
    case alertFiring = "alert.firing"
    case alertResolved = "alert.resolved"
    case sourceUnhealthy = "source.unhealthy"
}

/// Where a webhook message is (`webhook_deliveries.status`).
public enum DeliveryStatus: String, Sendable, Codable, CaseIterable {
    /// Not delivered yet; sent when `next_attempt_at` comes.
    case pending
    /// A 2xx answer arrived.
    case delivered
    /// Still failing after `delivery.giveUpAfter`.
    case failed
    /// The endpoint answered 410 Gone and was switched off.
    case disabled
}

/// How an entity was found in an item's text (`mentions.kind`).
public enum MentionKind: String, Sendable, Codable, CaseIterable {
    case cashtag, name
}

/// A feed's health as operators see it (`monitorctl feeds`, `/healthz`, the dashboard).
public enum FeedHealth: String, Sendable, Codable, CaseIterable {
    /// Polled, and the last poll succeeded.
    case healthy
    /// The last polls failed; retrying with backoff.
    case backingOff = "backing off"
    /// Failed `polling.unhealthyAfter` times in a row: a source-health alert is firing.
    case unhealthy
    /// Not polled yet.
    case new
    /// In the database but no longer configured.
    case removed
}
