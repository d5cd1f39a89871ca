import Crypto
import Foundation
import GRDB

/// Evaluates the threshold rules per entity and moves alerts through their lifecycle:
/// pending (condition holds, waiting out `for`) → firing → resolved. Every change is an
/// `alert_events` row, and every notification a webhook outbox row in the same transaction.
public struct AlertEngine: Sendable {
    public struct Change: Sendable, Equatable {
        public var fingerprint: String
        public var rule: String
        public var symbol: String
        public var state: String
        public var notified: Bool
    }

    let database: DatabasePool

    public init(database: DatabasePool) { self.database = database }

    /// A stable id per rule and entity.
    public static func fingerprint(rule: String, symbol: String) -> String {
        SHA256.hash(data: Data("threshold|\(rule)|\(symbol)".utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// The entities a rule watches: its `entities`, else the whole watchlist.
    static func scope(of rule: AlertRule, config: MonitorConfig) -> [String] {
        rule.entities.isEmpty ? config.watchlist.map(\.symbol) : rule.entities
    }

    /// Evaluates every rule for every entity in scope, in one transaction.
    @discardableResult
    public func evaluate(config: MonitorConfig, modelVersion: String, now: Date = Date()) throws -> [Change] {
        try database.write { db in
            var changes: [Change] = []
            let silences = try Row.fetchAll(db, sql: "SELECT matcher FROM silences WHERE until_at > ?", arguments: [now.millis])
                .map { $0["matcher"] as String }
            var cache: [String: EntityMetrics] = [:]
            for rule in config.rules {
                for symbol in Self.scope(of: rule, config: config) {
                    let key = "\(symbol)|\(rule.window)"
                    let metrics = try cache[key] ?? EntityMetrics.compute(symbol: symbol, window: rule.window, modelVersion: modelVersion,
                                                                           now: now, db: db)
                    cache[key] = metrics
                    let silenced = silences.contains(symbol) || silences.contains(rule.id)
                    if let change = try step(rule: rule, symbol: symbol, metrics: metrics, silenced: silenced, config: config,
                                             modelVersion: modelVersion, now: now, db: db) {
                        changes.append(change)
                    }
                }
            }
            return changes
        }
    }

    /// One rule and entity: advances the state machine; returns what changed, if anything.
    func step(rule: AlertRule, symbol: String, metrics: EntityMetrics, silenced: Bool, config: MonitorConfig, modelVersion: String,
              now: Date, db: Database) throws -> Change? {
        let value = metrics.value(of: rule.metric)
        let enough = metrics.volume >= rule.minItems
        let breached = enough && (rule.above.map { value > $0 } ?? rule.below.map { value < $0 } ?? false)
        let stillBad: Bool = {
            guard enough else { return false }
            if let above = rule.above { return value >= (rule.resolveAt ?? above) }
            if let below = rule.below { return value <= (rule.resolveAt ?? below) }
            return false
        }()
        let fingerprint = Self.fingerprint(rule: rule.id, symbol: symbol)
        let row = try Row.fetchOne(db, sql: "SELECT * FROM alerts WHERE fingerprint = ?", arguments: [fingerprint])
        let state: String = row?["state"] ?? "resolved"
        let id: Int64? = row?["id"]

        func record(_ newState: String, notify type: String?) throws -> Change {
            let ms = now.millis
            var alertID = id
            if let alertID {
                switch newState {
                case "pending":
                    try db.execute(sql: "UPDATE alerts SET state = 'pending', value = ?, severity = ?, started_at = ?, fired_at = NULL, resolved_at = NULL, last_notified_at = NULL, updated_at = ? WHERE id = ?",
                                   arguments: [value, rule.severity, ms, ms, alertID])
                case "firing":
                    try db.execute(sql: "UPDATE alerts SET state = 'firing', value = ?, severity = ?, started_at = CASE WHEN state = 'pending' THEN started_at ELSE ? END, fired_at = COALESCE(CASE WHEN state = 'firing' THEN fired_at END, ?), resolved_at = NULL, last_notified_at = CASE WHEN ? THEN ? ELSE last_notified_at END, updated_at = ? WHERE id = ?",
                                   arguments: [value, rule.severity, ms, ms, type != nil, ms, ms, alertID])
                default:
                    try db.execute(sql: "UPDATE alerts SET state = ?, value = ?, resolved_at = ?, updated_at = ? WHERE id = ?",
                                   arguments: [newState == "cancelled" ? "resolved" : newState, value, ms, ms, alertID])
                }
            } else {
                try db.execute(sql: """
                    INSERT INTO alerts (fingerprint, kind, rule_id, entity, state, severity, value, started_at, fired_at, last_notified_at, updated_at)
                    VALUES (?, 'threshold', ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [fingerprint, rule.id, symbol, newState, rule.severity, value, ms,
                                     newState == "firing" ? ms : nil, type != nil ? ms : nil, ms])
                alertID = db.lastInsertedRowID
            }
            let stored = try Row.fetchOne(db, sql: "SELECT * FROM alerts WHERE id = ?", arguments: [alertID])!
            let evidence = try Evidence.top(symbol: symbol, window: rule.window, modelVersion: modelVersion, now: now, db: db)
            let data = payloadData(rule: rule, symbol: symbol, status: newState == "cancelled" ? "resolved" : newState, value: value,
                                   metrics: metrics, alert: stored, fingerprint: fingerprint, modelVersion: modelVersion,
                                   evidence: evidence, config: config)
            let details = try JSONText.encode(data)
            try db.execute(sql: "INSERT INTO alert_events (alert_id, state, value, details, at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [alertID, newState, value, details, ms])
            let eventID = db.lastInsertedRowID
            let notify = type != nil && !silenced
            if let type, notify {
                let targets = rule.webhooks.isEmpty ? config.webhooks.map(\.id) : rule.webhooks
                try Outbox.enqueue(type: type, payload: ["data": data], webhooks: targets, alertEventID: eventID, now: now, db: db)
            }
            return Change(fingerprint: fingerprint, rule: rule.id, symbol: symbol, state: newState, notified: notify)
        }

        switch state {
        case "pending":
            if !breached { return try record("cancelled", notify: nil) }
            let started = Date(millis: row!["started_at"])
            if now.timeIntervalSince(started) >= rule.forDuration.seconds { return try record("firing", notify: "alert.firing") }
            return nil
        case "firing":
            if !stillBad { return try record("resolved", notify: row?["last_notified_at"] as Int64? != nil ? "alert.resolved" : nil) }
            let last: Int64? = row?["last_notified_at"]
            let due = last.map { now.millis - $0 >= Int64(rule.cooldown.seconds * 1000) } ?? true
            if due && !silenced { return try record("firing", notify: "alert.firing") }
            return nil
        default:
            guard breached else { return nil }
            if rule.forDuration > .zero { return try record("pending", notify: nil) }
            return try record("firing", notify: "alert.firing")
        }
    }

    func payloadData(rule: AlertRule, symbol: String, status: String, value: Double, metrics: EntityMetrics, alert: Row,
                     fingerprint: String, modelVersion: String, evidence: [[String: Any]], config: MonitorConfig) -> [String: Any] {
        var thresholds: [String: Any] = ["minItems": rule.minItems]
        if let above = rule.above { thresholds["above"] = above }
        if let below = rule.below { thresholds["below"] = below }
        if let resolveAt = rule.resolveAt { thresholds[rule.above != nil ? "resolveBelow" : "resolveAbove"] = resolveAt }
        let name = config.watchlist.first { $0.symbol == symbol }?.names.first
        var data: [String: Any] = [
            "schemaVersion": 1, "kind": "threshold", "fingerprint": fingerprint, "status": status, "severity": rule.severity,
            "rule": ["id": rule.id, "metric": rule.metric.rawValue, "window": DurationText.format(rule.window),
                     "for": DurationText.format(rule.forDuration), "cooldown": DurationText.format(rule.cooldown)],
            "entity": ["symbol": symbol, "name": name.map { $0 as Any } ?? NSNull()] as [String: Any],
            "value": metrics.rounded(value), "thresholds": thresholds, "metrics": metrics.dictionary,
            "startsAt": JSONText.timestamp(Date(millis: alert["started_at"])), "endsAt": NSNull(),
            "modelVersion": modelVersion, "evidence": evidence,
        ]
        if let resolved: Int64 = alert["resolved_at"], status == "resolved" { data["endsAt"] = JSONText.timestamp(Date(millis: resolved)) }
        return data
    }
}

/// The items that drove an entity's numbers: the riskiest in the window.
enum Evidence {
    static func top(symbol: String, window: Duration, modelVersion: String, now: Date, db: Database, limit: Int = 5) throws -> [[String: Any]] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT i.id, i.title, i.link, i.feed_id, i.published_at, s.sentiment, s.risk, s.topic, s.label, s.explanation
            FROM mentions m JOIN items i ON i.id = m.item_id JOIN scores s ON s.item_id = i.id AND s.model_version = ?
            WHERE m.symbol = ? AND i.published_at > ? AND i.published_at <= ?
            ORDER BY s.risk DESC, i.published_at DESC LIMIT ?
            """, arguments: [modelVersion, symbol, now.millis - Int64(window.seconds * 1000), now.millis, limit])
        return rows.map { row in
            let words = ((row["explanation"] as String?).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } as? [[String: Any]] ?? [])
                .compactMap { $0["word"] as? String }
            return [
                "itemId": row["id"] as Int64, "title": row["title"] as String, "link": (row["link"] as String?) ?? NSNull(),
                "source": row["feed_id"] as String, "published": JSONText.timestamp(Date(millis: row["published_at"])),
                "sentiment": ((row["sentiment"] as Double) * 10_000).rounded() / 10_000, "risk": ((row["risk"] as Double) * 10_000).rounded() / 10_000,
                "label": row["label"] as String, "topic": (row["topic"] as String?) ?? NSNull(), "words": words,
            ]
        }
    }
}
