import Foundation
import GRDB

/// Writes webhook deliveries in the caller's transaction: the alert state change and the
/// message that announces it commit together or not at all.
public enum Outbox {
    /// Queues `payload` (already the exact JSON body) for each webhook, due now.
    static func enqueue(type: String, payload: [String: Any], webhooks: [String], alertEventID: Int64?, now: Date, db: Database) throws {
        guard !webhooks.isEmpty else { return }
        for webhook in webhooks {
            let id = "msg_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            var body = payload
            body["type"] = type
            body["timestamp"] = JSONText.timestamp(now)
            let json = try JSONText.encode(body)
            try db.execute(sql: """
                INSERT INTO webhook_deliveries (message_id, webhook_id, event_type, alert_event_id, payload, status, next_attempt_at, created_at)
                VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)
                """, arguments: [id, webhook, type, alertEventID, json, now.millis, now.millis])
        }
    }
}
