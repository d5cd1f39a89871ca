import Foundation
import GRDB

/// Source-health alerts: a feed that fails `polling.unhealthyAfter` times in a row fires one
/// (`kind = 'source'`, fingerprint `source:FEED`); its next usable answer resolves it. Each
/// change is also an `alert_events` row with the details.
enum SourceHealth {
    static let ruleID = "source-health"

    static func fingerprint(_ feedID: String) -> String { "source:\(feedID)" }

    static func fire(feedID: String, url: String, error: String, status: Int, streak: Int, webhooks: [String], now: Date, db: Database) throws {
        try db.execute(sql: """
            INSERT INTO alerts (fingerprint, kind, rule_id, entity, state, severity, value, started_at, fired_at, updated_at)
            VALUES (?, 'source', ?, ?, 'firing', 'warning', ?, ?, ?, ?)
            ON CONFLICT(fingerprint) DO UPDATE SET state = 'firing', value = excluded.value, started_at = excluded.started_at,
                fired_at = excluded.fired_at, resolved_at = NULL, updated_at = excluded.updated_at
            """, arguments: [fingerprint(feedID), ruleID, feedID, Double(streak), now.millis, now.millis, now.millis])
        let details: [String: Any] = ["feed": feedID, "url": url, "error": error, "lastStatus": status, "errorStreak": streak]
        let eventID = try event(feedID: feedID, state: "firing", value: Double(streak), details: details, now: now, db: db)
        try Outbox.enqueue(type: "source.unhealthy", payload: ["data": payload(feedID: feedID, status: "firing", details: details, now: now, db: db)],
                           webhooks: webhooks, alertEventID: eventID, now: now, db: db)
    }

    static func payload(feedID: String, status: String, details: [String: Any], now: Date, db: Database) throws -> [String: Any] {
        let alert = try Row.fetchOne(db, sql: "SELECT * FROM alerts WHERE fingerprint = ?", arguments: [fingerprint(feedID)])
        var data: [String: Any] = [
            "schemaVersion": 1, "kind": "source", "fingerprint": fingerprint(feedID), "status": status, "severity": "warning",
            "rule": ["id": ruleID], "source": details, "endsAt": NSNull(),
            "startsAt": JSONText.timestamp(Date(millis: alert?["started_at"] ?? now.millis)),
        ]
        if status == "resolved" { data["endsAt"] = JSONText.timestamp(now) }
        return data
    }

    static func resolve(feedID: String, webhooks: [String], now: Date, db: Database) throws {
        try db.execute(sql: """
            UPDATE alerts SET state = 'resolved', resolved_at = ?, updated_at = ? WHERE fingerprint = ? AND state != 'resolved'
            """, arguments: [now.millis, now.millis, fingerprint(feedID)])
        guard db.changesCount > 0 else { return }
        let eventID = try event(feedID: feedID, state: "resolved", value: 0, details: ["feed": feedID], now: now, db: db)
        try Outbox.enqueue(type: "alert.resolved", payload: ["data": payload(feedID: feedID, status: "resolved", details: ["feed": feedID], now: now, db: db)],
                           webhooks: webhooks, alertEventID: eventID, now: now, db: db)
    }

    @discardableResult
    private static func event(feedID: String, state: String, value: Double, details: [String: Any], now: Date, db: Database) throws -> Int64 {
        let json = try JSONText.encode(details)
        try db.execute(sql: """
            INSERT INTO alert_events (alert_id, state, value, details, at)
            SELECT id, ?, ?, ?, ? FROM alerts WHERE fingerprint = ?
            """, arguments: [state, value, json, now.millis, fingerprint(feedID)])
        return db.lastInsertedRowID
    }
}
