import Config
import Feeds
import Foundation
import Store

/// The alert lifecycle as a pure function: given an alert's current row (nil when it has none), the
/// metric, the rule, whether it is silenced and the time, it returns the change to make — the row as
/// it will be, the event to record and the notification to send — or nil. No I/O: `AlertEvaluator`
/// and the feed poller read what it needs and write what it returns, through one writer
/// (`AlertStore.applyAlertWrites`, `FeedStateStore.recordPoll`).
///
/// Threshold alerts: resolved → pending (the condition holds; waiting out `for`) → firing
/// (notified, repeated after each `cooldown`) → resolved (the metric came back past the resolve
/// level; notified if the firing was). A pending alert whose condition clears is `cancelled`
/// (back to resolved, nobody told). A silence records every change but sends nothing.
public struct AlertStateMachine: Sendable {
    /// One change.
    public struct Transition: Sendable, Equatable {
        /// The alert row after the change.
        public var alert: AlertRecord
        public var event: AlertEventKind
        /// What to tell the webhooks; nil when nobody is told (silenced, cancelled, resolved without a notified firing).
        public var notification: WebhookEventType?
    }

    public let rule: AlertRule

    public init(rule: AlertRule) { self.rule = rule }

    /// The next step for `symbol`, or nil when nothing changes.
    public func step(current: AlertRecord?, symbol: String, metrics: EntityMetrics, silenced: Bool, now: Date) -> Transition? {
        let value = metrics.value(of: rule.metric)
        let enough = metrics.volume >= rule.minItems
        let breached = enough && rule.threshold.isBreached(by: value)
        let stillBad = enough && rule.threshold.staysFiring(at: value)
        // The fingerprint is hashed only for an alert's first row.
        var alert = current ?? AlertRecord(fingerprint: Self.fingerprint(rule: rule.id, symbol: symbol), kind: .threshold, ruleID: rule.id, entity: symbol, state: .resolved,
                                           severity: rule.severity, value: value, startedAt: now, updatedAt: now)
        alert.value = value
        alert.updatedAt = now

        switch current?.state ?? .resolved {
        case .pending:
            if !breached { return Self.end(alert, .cancelled, notify: nil, now: now) }
            guard now.timeIntervalSince(alert.startedAt) >= rule.forDuration.seconds else { return nil }
            return fire(alert, silenced: silenced, now: now)
        case .firing:
            if !stillBad {
                return Self.end(alert, .resolved, notify: alert.lastNotifiedAt != nil && !silenced ? .alertResolved : nil, now: now)
            }
            let due = alert.lastNotifiedAt.map { now.timeIntervalSince($0) >= rule.cooldown.seconds } ?? true
            guard due, !silenced else { return nil }
            return fire(alert, silenced: false, now: now)
        case .resolved:
            guard breached else { return nil }
            alert.startedAt = now
            alert.firedAt = nil
            alert.resolvedAt = nil
            alert.lastNotifiedAt = nil
            alert.severity = rule.severity
            if rule.forDuration > .zero {
                alert.state = .pending
                return Transition(alert: alert, event: .pending, notification: nil)
            }
            return fire(alert, silenced: silenced, now: now)
        }
    }

    /// Pending or resolved → firing, or a repeat of a firing alert. `startedAt` keeps when the condition began.
    func fire(_ alert: AlertRecord, silenced: Bool, now: Date) -> Transition {
        var alert = alert
        alert.state = .firing
        alert.severity = rule.severity
        alert.firedAt = alert.firedAt ?? now
        alert.resolvedAt = nil
        if !silenced { alert.lastNotifiedAt = now }
        return Transition(alert: alert, event: .firing, notification: silenced ? nil : .alertFiring)
    }

    static func end(_ alert: AlertRecord, _ event: AlertEventKind, notify: WebhookEventType?, now: Date) -> Transition {
        var alert = alert
        alert.state = .resolved
        alert.resolvedAt = now
        return Transition(alert: alert, event: event, notification: notify)
    }

    /// A stable id per rule and entity: the first 8 bytes of SHA-256("threshold|rule|symbol") in hex.
    public static func fingerprint(rule: String, symbol: String) -> String {
        SHA256Hex.of("threshold|\(rule)|\(symbol)", bytes: 8)
    }
}

extension AlertStateMachine {
    /// The rule id of source-health alerts.
    public static let sourceRuleID = "source-health"

    /// The fingerprint of a feed's source-health alert.
    public static func sourceFingerprint(feed: String) -> String { "source:\(feed)" }

    /// A feed's source-health alert after a poll: it fires (and notifies) on the failure that makes the
    /// feed unhealthy, and resolves (and notifies) on the first usable answer after that.
    public static func sourceHealth(current: AlertRecord?, feed: String, turnsUnhealthy: Bool, recovered: Bool, streak: Int,
                                    now: Date) -> Transition? {
        if turnsUnhealthy {
            var alert = current ?? AlertRecord(fingerprint: sourceFingerprint(feed: feed), kind: .source, ruleID: sourceRuleID,
                                               entity: feed, state: .firing, severity: .warning, value: nil, startedAt: now, updatedAt: now)
            alert.state = .firing
            alert.value = Double(streak)
            alert.startedAt = now
            alert.firedAt = now
            alert.resolvedAt = nil
            alert.updatedAt = now
            return Transition(alert: alert, event: .firing, notification: .sourceUnhealthy)
        }
        guard recovered, var alert = current, alert.state != .resolved else { return nil }
        alert.state = .resolved
        alert.value = 0
        alert.resolvedAt = now
        alert.updatedAt = now
        return Transition(alert: alert, event: .resolved, notification: .alertResolved)
    }
}
