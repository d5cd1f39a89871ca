import Foundation
import PostgresNIO

extension PostgresStore: DeliveryStore {
    public func disabledEndpoints() async throws -> Set<String> {
        Set(try await rows("SELECT id FROM webhook_endpoints WHERE disabled_at IS NOT NULL").map { try $0.decode(String.self) })
    }

    public func claimDueDeliveries(_ claim: Lease, limit: Int) async throws -> [DeliveryRecord] {
        let now = claim.now.millis
        // SKIP LOCKED: instances claiming at the same moment take different rows; a claim runs out
        // with its lease, so a delivery an instance took down with it is sent by another.
        return try await records(DeliveryRecord.self, """
            UPDATE webhook_deliveries SET lease_owner = \(claim.owner), lease_until = \(claim.until.millis)
            WHERE id IN (
                SELECT id FROM webhook_deliveries
                WHERE status = 'pending' AND next_attempt_at <= \(now)
                  AND (lease_until IS NULL OR lease_until <= \(now))
                ORDER BY next_attempt_at, id LIMIT \(limit) FOR UPDATE SKIP LOCKED)
            RETURNING *
            """).sorted { ($0.nextAttemptAt, $0.id) < ($1.nextAttemptAt, $1.id) }
    }

    public func recordDelivery(_ delivery: DeliveryRecord, outcome: DeliveryOutcome, attempt: DeliveryAttempt?, at now: Date) async throws {
        try await transaction { connection in
            let attempted = attempt == nil ? 0 : 1
            if case let .retry(next) = outcome {
                _ = try await connection.rows("""
                    UPDATE webhook_deliveries SET attempts = attempts + \(attempted), next_attempt_at = \(next.millis),
                        last_attempt_at = \(now.millis), lease_owner = NULL, lease_until = NULL
                    WHERE id = \(delivery.id)
                    """, logger: logger)
            } else if let status = outcome.finalStatus {
                let deliveredAt: Int64? = status == .delivered ? now.millis : nil
                _ = try await connection.rows("""
                    UPDATE webhook_deliveries SET status = \(status.rawValue), attempts = attempts + \(attempted),
                        last_attempt_at = \(now.millis), delivered_at = \(deliveredAt), lease_owner = NULL, lease_until = NULL
                    WHERE id = \(delivery.id)
                    """, logger: logger)
            }
            if outcome == .endpointGone {
                _ = try await connection.rows("""
                    INSERT INTO webhook_endpoints (id, disabled_at, reason) VALUES (\(delivery.webhookID), \(now.millis), '410 Gone')
                    ON CONFLICT (id) DO UPDATE SET disabled_at = excluded.disabled_at, reason = excluded.reason
                    """, logger: logger)
            }
            if let attempt {
                _ = try await connection.rows("""
                    INSERT INTO delivery_attempts (delivery_id, attempted_at, http_status, latency_ms, error)
                    VALUES (\(delivery.id), \(now.millis), \(attempt.httpStatus), \(attempt.latency.millis), \(attempt.error))
                    """, logger: logger)
            }
        }
    }

    public func deliveries(failedOnly: Bool, limit: Int) async throws -> [DeliveryWithLastAttempt] {
        var query: PostgresQuery = """
            SELECT d.*, (SELECT error FROM delivery_attempts a WHERE a.delivery_id = d.id ORDER BY a.id DESC LIMIT 1) AS last_error,
                   (SELECT http_status FROM delivery_attempts a WHERE a.delivery_id = d.id ORDER BY a.id DESC LIMIT 1) AS last_http_status
            FROM webhook_deliveries d
            """
        if failedOnly { query.sql += " WHERE d.status IN ('failed', 'disabled')" }
        query.sql += " ORDER BY d.id DESC LIMIT \(limit)"
        return try await rows(query).map { row in
            let random = row.makeRandomAccess()
            return DeliveryWithLastAttempt(delivery: try PostgresRowDecoder.decode(DeliveryRecord.self, from: row),
                                           lastHTTPStatus: try random.value("last_http_status", as: Int?.self),
                                           lastError: try random.value("last_error", as: String?.self))
        }
    }

    public func retryDelivery(id: Int64, at now: Date) async throws -> String? {
        try await transaction { connection -> String? in
            guard let webhook = try await connection.rows("""
                UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = \(now.millis), created_at = \(now.millis),
                    lease_owner = NULL, lease_until = NULL
                WHERE id = \(id) RETURNING webhook_id
                """, logger: logger).first?.decode(String.self)
            else { return nil }
            _ = try await connection.rows("UPDATE webhook_endpoints SET disabled_at = NULL, reason = NULL WHERE id = \(webhook)",
                                          logger: logger)
            return webhook
        }
    }
}
