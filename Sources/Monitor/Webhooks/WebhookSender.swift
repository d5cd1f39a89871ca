import CurlHTTP
import Foundation
import GRDB
import Logging
import ServiceLifecycle

/// Delivers the outbox: signed POSTs over libcurl, retried with backoff until delivered or
/// given up (`delivery.giveUpAfter`), every attempt recorded. Pending deliveries left by a
/// stopped or crashed daemon are due at once on start.
public struct WebhookSender: Service {
    let current: CurrentConfig
    let database: DatabasePool
    let outboxWritten: PipelineSignal
    let logger: Logger

    public init(current: CurrentConfig, database: DatabasePool, outboxWritten: PipelineSignal, logger: Logger) {
        self.current = current
        self.database = database
        self.outboxWritten = outboxWritten
        self.logger = logger
    }

    struct Due: Sendable {
        let id: Int64
        let messageID: String
        let webhookID: String
        let payload: String
        let attempts: Int
        let createdAt: Int64
    }

    public func run() async throws {
        let client = CurlMultiClient(maxConcurrent: 16, maxPerHost: 4)
        defer { client.shutdown() }
        try await runUntilShutdown {
            try await withTaskCancellationHandler {
                while !Task.isCancelled {
                    let sent = try await sendDue(client: client)
                    if sent == 0 { await outboxWritten.wait(timeout: .seconds(1)) }
                }
            } onCancel: {
                client.shutdown()
            }
        }
    }

    /// Sends what is due (up to 32 at once); returns how many were attempted.
    func sendDue(client: CurlMultiClient) async throws -> Int {
        let config = current.config
        let now = Date()
        let disabled = try await database.read { db in
            Set(try String.fetchAll(db, sql: "SELECT id FROM webhook_endpoints WHERE disabled_at IS NOT NULL"))
        }
        let endpoints = Dictionary(config.webhooks.map { ($0.id, $0) }) { a, _ in a }
        let due = try await database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, message_id, webhook_id, payload, attempts, created_at FROM webhook_deliveries
                WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT 32
                """, arguments: [now.millis])
                .map { Due(id: $0["id"], messageID: $0["message_id"], webhookID: $0["webhook_id"], payload: $0["payload"],
                           attempts: $0["attempts"], createdAt: $0["created_at"]) }
        }
        var sendable: [(Due, WebhookConfig)] = []
        for delivery in due {
            if disabled.contains(delivery.webhookID) {
                try await finish(delivery, status: "disabled", error: "endpoint disabled after 410 Gone")
            } else if let endpoint = endpoints[delivery.webhookID] {
                sendable.append((delivery, endpoint))
            } else {
                // The webhook was removed from the configuration: keep the message, retry later.
                try await reschedule(delivery, after: .seconds(60), error: "webhook \(delivery.webhookID) is not configured", status: nil, latency: nil)
            }
        }
        await withTaskGroup(of: Void.self) { group in
            for (delivery, endpoint) in sendable {
                group.addTask { await send(delivery, to: endpoint, client: client, settings: config.delivery, userAgent: config.http.userAgent) }
            }
        }
        return due.count
    }

    func send(_ delivery: Due, to endpoint: WebhookConfig, client: CurlMultiClient, settings: DeliverySettings, userAgent: String) async {
        let timestamp = Int64(Date().timeIntervalSince1970)
        let signature = WebhookSignature.sign(id: delivery.messageID, timestamp: timestamp, body: delivery.payload, secrets: endpoint.secrets)
        let request = HTTPRequest(
            url: endpoint.url, method: "POST",
            headers: [("Content-Type", "application/json"), ("webhook-id", delivery.messageID), ("webhook-timestamp", String(timestamp)),
                      ("webhook-signature", signature)],
            body: Array(delivery.payload.utf8), userAgent: userAgent, timeout: settings.timeout, connectTimeout: settings.timeout,
            maxBodyBytes: 1 << 20, maxRedirects: 0)
        let started = ContinuousClock.now
        let outcome: Result<HTTPResponse, HTTPError>
        do { outcome = .success(try await client.perform(request)) } catch { outcome = .failure(error) }
        let latency = ContinuousClock.now - started
        do {
            switch outcome {
            case .failure(.cancelled):
                return  // shutting down: still pending, sent on the next start
            case let .failure(error):
                try await retry(delivery, settings: settings, retryAfter: nil, status: nil, latency: latency, error: error.description,
                                endpoint: endpoint.id)
            case let .success(response) where (200..<300).contains(response.status):
                try await finish(delivery, status: "delivered", httpStatus: response.status, latency: latency)
                logger.info("webhook delivered", metadata: ["webhook": "\(endpoint.id)", "message": "\(delivery.messageID)",
                                                            "attempt": "\(delivery.attempts + 1)"])
            case let .success(response) where response.status == 410:
                try await disable(endpoint: endpoint.id, delivery: delivery, latency: latency)
                logger.critical("webhook endpoint answered 410 Gone: disabled; its messages are kept but not sent until `monitorctl deliveries retry`",
                                metadata: ["webhook": "\(endpoint.id)", "url": "\(endpoint.url)"])
            case let .success(response):
                let retryAfter = FeedSchedule.retryAfter(response.header("retry-after"))
                try await retry(delivery, settings: settings, retryAfter: retryAfter, status: response.status, latency: latency,
                                error: "HTTP \(response.status)", endpoint: endpoint.id)
            }
        } catch {
            // The database refused the outcome: the delivery stays pending and is sent again (receivers dedupe by webhook-id).
            logger.error("cannot record webhook delivery: \(error)", metadata: ["message": "\(delivery.messageID)"])
        }
    }

    /// The wait before attempt `n + 1` after `n` failed ones: the schedule's n-th step (the last repeats), ±20%.
    static func backoff(afterAttempts n: Int, schedule: [Duration], random: Double = .random(in: 0..<1)) -> Duration {
        schedule[min(max(n - 1, 0), schedule.count - 1)] * (0.8 + 0.4 * random)
    }

    func retry(_ delivery: Due, settings: DeliverySettings, retryAfter: Duration?, status: Int?, latency: Duration, error: String,
               endpoint: String) async throws {
        var delay = Self.backoff(afterAttempts: delivery.attempts + 1, schedule: settings.retrySchedule)
        if let retryAfter { delay = max(delay, min(retryAfter, .seconds(86_400))) }
        let age = Date().timeIntervalSince(Date(millis: delivery.createdAt)) + delay.seconds
        if age > settings.giveUpAfter.seconds {
            try await finish(delivery, status: "failed", httpStatus: status, latency: latency, error: error)
            logger.error("webhook delivery given up", metadata: ["webhook": "\(endpoint)", "message": "\(delivery.messageID)",
                                                                 "attempts": "\(delivery.attempts + 1)", "error": "\(error)"])
        } else {
            try await reschedule(delivery, after: delay, error: error, status: status, latency: latency)
            logger.warning("webhook delivery failed; will retry", metadata: ["webhook": "\(endpoint)", "message": "\(delivery.messageID)",
                                                                             "error": "\(error)", "retry_in": "\(DurationText.format(delay))"])
        }
    }

    func reschedule(_ delivery: Due, after delay: Duration, error: String, status: Int?, latency: Duration?) async throws {
        let now = Date()
        try await database.write { db in
            try db.execute(sql: "UPDATE webhook_deliveries SET attempts = attempts + ?, next_attempt_at = ?, last_attempt_at = ? WHERE id = ?",
                           arguments: [latency == nil ? 0 : 1, now.addingTimeInterval(delay.seconds).millis, now.millis, delivery.id])
            if let latency { try Self.recordAttempt(delivery.id, status: status, latency: latency, error: error, now: now, db: db) }
        }
    }

    func finish(_ delivery: Due, status: String, httpStatus: Int? = nil, latency: Duration? = nil, error: String? = nil) async throws {
        let now = Date()
        try await database.write { db in
            try db.execute(sql: """
                UPDATE webhook_deliveries SET status = ?, attempts = attempts + ?, last_attempt_at = ?,
                    delivered_at = CASE WHEN ? = 'delivered' THEN ? END WHERE id = ?
                """, arguments: [status, latency == nil ? 0 : 1, now.millis, status, now.millis, delivery.id])
            if let latency { try Self.recordAttempt(delivery.id, status: httpStatus, latency: latency, error: error, now: now, db: db) }
        }
    }

    func disable(endpoint: String, delivery: Due, latency: Duration) async throws {
        let now = Date()
        try await database.write { db in
            try db.execute(sql: """
                INSERT INTO webhook_endpoints (id, disabled_at, reason) VALUES (?, ?, '410 Gone')
                ON CONFLICT(id) DO UPDATE SET disabled_at = excluded.disabled_at, reason = excluded.reason
                """, arguments: [endpoint, now.millis])
            try db.execute(sql: "UPDATE webhook_deliveries SET status = 'disabled', attempts = attempts + 1, last_attempt_at = ? WHERE id = ?",
                           arguments: [now.millis, delivery.id])
            try Self.recordAttempt(delivery.id, status: 410, latency: latency, error: "410 Gone: endpoint disabled", now: now, db: db)
        }
    }

    static func recordAttempt(_ id: Int64, status: Int?, latency: Duration, error: String?, now: Date, db: Database) throws {
        try db.execute(sql: "INSERT INTO delivery_attempts (delivery_id, attempted_at, http_status, latency_ms, error) VALUES (?, ?, ?, ?, ?)",
                       arguments: [id, now.millis, status, Int64(latency.seconds * 1000), error])
    }
}
