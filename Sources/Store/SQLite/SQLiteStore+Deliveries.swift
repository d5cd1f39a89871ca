import Foundation
import GRDB

extension SQLiteStore: DeliveryStore {
    public func disabledEndpoints() async throws -> Set<String> {
        try await pool.read { db in
            Set(try String.fetchAll(db, sql: "SELECT id FROM webhook_endpoints WHERE disabled_at IS NOT NULL"))
        }
    }

    public func claimDueDeliveries(_ claim: Lease, limit: Int) async throws -> [DeliveryRecord] {
        try await pool.write { db in
            let due = try DeliveryRecord.fetchAll(db, sql: """
                SELECT * FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ?
                AND (lease_until IS NULL OR lease_until <= ?)
                ORDER BY next_attempt_at, id LIMIT ?
                """, arguments: [claim.now.millis, claim.now.millis, limit])
            for delivery in due {
                try db.execute(sql: "UPDATE webhook_deliveries SET lease_owner = ?, lease_until = ? WHERE id = ?",
                               arguments: [claim.owner, claim.until.millis, delivery.id])
            }
            return due
        }
    }

    public func recordDelivery(_ delivery: DeliveryRecord, outcome: DeliveryOutcome, attempt: DeliveryAttempt?, at now: Date) async throws {
        try await pool.write { db in
            let attempted = attempt == nil ? 0 : 1
            if case let .retry(next) = outcome {
                try db.execute(sql: """
                    UPDATE webhook_deliveries SET attempts = attempts + ?, next_attempt_at = ?, last_attempt_at = ?, lease_owner = NULL, lease_until = NULL
                    WHERE id = ?
                    """,
                               arguments: [attempted, next.millis, now.millis, delivery.id])
            } else if let status = outcome.finalStatus {
                try db.execute(sql: """
                    UPDATE webhook_deliveries SET status = ?, attempts = attempts + ?, last_attempt_at = ?, delivered_at = ?,
                        lease_owner = NULL, lease_until = NULL
                    WHERE id = ?
                    """, arguments: [status, attempted, now.millis, status == .delivered ? now.millis : nil, delivery.id])
            }
            if outcome == .endpointGone {
                try db.execute(sql: """
                    INSERT INTO webhook_endpoints (id, disabled_at, reason) VALUES (?, ?, '410 Gone')
                    ON CONFLICT(id) DO UPDATE SET disabled_at = excluded.disabled_at, reason = excluded.reason
                    """, arguments: [delivery.webhookID, now.millis])
            }
            if let attempt {
                try db.execute(sql: """
                    INSERT INTO delivery_attempts (delivery_id, attempted_at, http_status, latency_ms, error) VALUES (?, ?, ?, ?, ?)
                    """, arguments: [delivery.id, now.millis, attempt.httpStatus, attempt.latency.millis, attempt.error])
            }
        }
    }

    public func deliveries(failedOnly: Bool, limit: Int) async throws -> [DeliveryWithLastAttempt] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT d.*, (SELECT error FROM delivery_attempts a WHERE a.delivery_id = d.id ORDER BY a.id DESC LIMIT 1) AS last_error,
                       (SELECT http_status FROM delivery_attempts a WHERE a.delivery_id = d.id ORDER BY a.id DESC LIMIT 1) AS last_http_status
                FROM webhook_deliveries d \(failedOnly ? "WHERE d.status IN ('failed', 'disabled')" : "")
                ORDER BY d.id DESC LIMIT ?
                """, arguments: [limit])
                .map { DeliveryWithLastAttempt(delivery: try DeliveryRecord(row: $0), lastHTTPStatus: $0["last_http_status"],
                                               lastError: $0["last_error"]) }
        }
    }

    public func retryDelivery(id: Int64, at now: Date) async throws -> String? {
        try await pool.write { db -> String? in
            guard let webhook = try String.fetchOne(db, sql: "SELECT webhook_id FROM webhook_deliveries WHERE id = ?", arguments: [id]) else {
                return nil
            }
            try db.execute(sql: "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?, created_at = ?, lease_owner = NULL, lease_until = NULL WHERE id = ?",
                           arguments: [now.millis, now.millis, id])
            try db.execute(sql: "UPDATE webhook_endpoints SET disabled_at = NULL, reason = NULL WHERE id = ?", arguments: [webhook])
            return webhook
        }
    }
}
