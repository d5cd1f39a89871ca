import Foundation
import PostgresNIO

extension PostgresStore: AlertStore {
    public func alerts(fingerprints: [String]) async throws -> [String: AlertRecord] {
        guard !fingerprints.isEmpty else { return [:] }
        let found = try await records(AlertRecord.self, "SELECT * FROM alerts WHERE fingerprint = ANY(\(fingerprints))")
        return Dictionary(found.map { ($0.fingerprint, $0) }) { a, _ in a }
    }

    public func activeSilences(at now: Date) async throws -> [SilenceRecord] {
        try await records(SilenceRecord.self, "SELECT * FROM silences WHERE until_at > \(now.millis) ORDER BY until_at")
    }

    public func observations(symbols: [String], from: Date, to: Date, modelVersion: String) async throws -> [String: [EntityObservation]] {
        guard !symbols.isEmpty else { return [:] }
        var out: [String: [EntityObservation]] = [:]
        for row in try await rows("""
            SELECT m.symbol, i.id, i.title, i.link, i.feed_id, i.published_at, s.sentiment, s.risk, s.label, s.topic, s.explanation,
                   \(unescaped: SQLText.storyPointColumns)
            FROM mentions m JOIN items i ON i.id = m.item_id JOIN scores s ON s.item_id = i.id AND s.model_version = \(modelVersion)
            \(unescaped: SQLText.storyPointJoins)
            WHERE m.symbol = ANY(\(Array(Set(symbols)))) AND i.published_at > \(from.millis) AND i.published_at <= \(to.millis)
            ORDER BY m.symbol, i.published_at, i.id
            """) {
            let (symbol, id, title, link, feedID, publishedAt, sentiment, risk, label, topic, explanation) =
                try row.decode((String, Int64, String, String?, String, Int64, Double, Double, String, String?, String?).self)
            out[symbol, default: []].append(EntityObservation(itemID: id, title: title, link: link, feedID: feedID, publishedAt: Date(millis: publishedAt),
                                                              sentiment: sentiment, risk: risk, label: label, topic: topic, explanation: explanation,
                                                              story: try Self.storyPoint(row, from: 11)))
        }
        return out
    }

    public func applyAlertWrites(_ writes: [AlertWrite]) async throws {
        guard !writes.isEmpty else { return }
        try await transaction { connection in
            for write in writes { try await Self.apply(write, connection: connection, store: self) }
        }
    }

    /// The one writer of alerts on PostgreSQL: the row as the state machine left it, its event, its messages.
    static func apply(_ write: AlertWrite, connection: PostgresConnection, store: PostgresStore) async throws {
        let a = write.alert
        let logger = store.logger
        guard let alertID = try await connection.rows("""
            INSERT INTO alerts (fingerprint, kind, rule_id, entity, state, severity, value, started_at, fired_at, resolved_at,
                                last_notified_at, updated_at)
            VALUES (\(a.fingerprint), \(a.kind.rawValue), \(a.ruleID), \(a.entity), \(a.state.rawValue), \(a.severity?.rawValue),
                    \(a.value), \(a.startedAt.millis), \(a.firedAt?.millis), \(a.resolvedAt?.millis), \(a.lastNotifiedAt?.millis),
                    \(a.updatedAt.millis))
            ON CONFLICT (fingerprint) DO UPDATE SET kind = excluded.kind, rule_id = excluded.rule_id, entity = excluded.entity,
                state = excluded.state, severity = excluded.severity, value = excluded.value, started_at = excluded.started_at,
                fired_at = excluded.fired_at, resolved_at = excluded.resolved_at, last_notified_at = excluded.last_notified_at,
                updated_at = excluded.updated_at
            RETURNING id
            """, logger: logger).first?.decode(Int64.self)
        else { return }
        guard let eventID = try await connection.rows("""
            INSERT INTO alert_events (alert_id, state, value, details, at)
            VALUES (\(alertID), \(write.event.rawValue), \(a.value), \(write.details), \(a.updatedAt.millis))
            RETURNING id
            """, logger: logger).first?.decode(Int64.self)
        else { return }
        for message in write.notifications {
            _ = try await connection.rows("""
                INSERT INTO webhook_deliveries (message_id, webhook_id, event_type, alert_event_id, payload, status, next_attempt_at, created_at)
                VALUES (\(message.messageID), \(message.webhookID), \(message.eventType.rawValue), \(eventID), \(message.payload), 'pending',
                        \(message.createdAt.millis), \(message.createdAt.millis))
                """, logger: logger)
        }
    }

    public func alerts(activeOrResolvedAfter resolvedAfter: Date, limit: Int) async throws -> [AlertWithDetails] {
        try await alertsWithDetails("""
            WHERE a.state != 'resolved' OR a.resolved_at > \(resolvedAfter.millis)
            ORDER BY CASE a.state WHEN 'firing' THEN 0 WHEN 'pending' THEN 1 ELSE 2 END, a.updated_at DESC LIMIT \(limit)
            """)
    }

    public func firingAlerts() async throws -> [AlertWithDetails] {
        try await alertsWithDetails("WHERE a.state = 'firing' ORDER BY a.updated_at DESC")
    }

    func alertsWithDetails(_ condition: PostgresQuery) async throws -> [AlertWithDetails] {
        var query: PostgresQuery = """
            SELECT a.*, (SELECT details FROM alert_events e WHERE e.alert_id = a.id ORDER BY e.id DESC LIMIT 1) AS latest_details
            FROM alerts a
            """
        query.sql += " " + condition.sql
        query.binds = condition.binds
        return try await rows(query).map { row in
            let random = row.makeRandomAccess()
            return AlertWithDetails(alert: try PostgresRowDecoder.decode(AlertRecord.self, from: row),
                                    details: try random.value("latest_details", as: String?.self))
        }
    }

    public func addSilence(matcher: String, comment: String, at now: Date, until: Date) async throws -> Int64 {
        try await rows("""
            INSERT INTO silences (matcher, comment, created_at, until_at) VALUES (\(matcher), \(comment), \(now.millis), \(until.millis))
            RETURNING id
            """).first?.decode(Int64.self) ?? 0
    }

    public func removeSilence(id: Int64) async throws -> Bool {
        try await !rows("DELETE FROM silences WHERE id = \(id) RETURNING id").isEmpty
    }
}
