import API
import Config
import CurlHTTP
import Foundation
import Logging
import ServiceLifecycle
import Store

/// Delivers the outbox: signed POSTs over libcurl, retried with backoff until delivered or
/// given up (`delivery.giveUpAfter`), every attempt recorded. Pending deliveries left by a
/// stopped or crashed daemon are due at once on start (SQLite), or once the dead instance's claims
/// run out (PostgreSQL, `cluster.leaseTimeout`). Instances claim due rows with SKIP LOCKED, so in
/// steady state each message is sent once per endpoint.
public struct WebhookSender: Service {
    let current: CurrentConfig
    let store: any DeliveryStore
    let outboxWritten: PipelineSignal
    let time: any TimeSource
    let jitter: @Sendable () -> Double
    let instanceID: String
    let logger: Logger
    let storage: StorageHealth

    /// `jitter` returns a number in [0, 1) that spreads each retry by ±20%.
    public init(current: CurrentConfig, store: any DeliveryStore, outboxWritten: PipelineSignal, time: any TimeSource = SystemTime(),
                jitter: @escaping @Sendable () -> Double = { .random(in: 0..<1) }, storage: StorageHealth = StorageHealth(),
                instanceID: String, logger: Logger) {
        self.storage = storage
        self.instanceID = instanceID
        self.current = current
        self.store = store
        self.outboxWritten = outboxWritten
        self.time = time
        self.jitter = jitter
        self.logger = logger
    }

    /// Deliveries claimed and sent at once: one round of requests, so a claim (`cluster.leaseTimeout`,
    /// longer than `delivery.timeout`) covers the whole round and never runs out mid-send.
    public static let perRound = 4

    public func run() async throws {
        let client = CurlMultiClient(maxConcurrent: Self.perRound, maxPerHost: Self.perRound)
        defer { client.shutdown() }
        try await runUntilShutdown {
            try await withTaskCancellationHandler {
                while !Task.isCancelled {
                    let sent: Int
                    do {
                        sent = try await sendDue(client: client)
                    } catch where storage.failed(error, at: time.now, logger: logger) {
                        try await time.sleep(for: .seconds(StorageHealth.probeInterval))  // claims cannot be written: nothing is sent
                        continue
                    }
                    if sent == 0 { await outboxWritten.wait(timeout: .seconds(1)) }
                }
            } onCancel: {
                client.shutdown()
            }
        }
    }

    /// Sends what is due (`perRound` at once); returns how many were attempted.
    public func sendDue(client: CurlMultiClient) async throws -> Int {
        let config = current.config
        let now = time.now
        let disabled = try await store.disabledEndpoints()
        let endpoints = Dictionary(config.webhooks.map { ($0.id, $0) }) { a, _ in a }
        let due = try await store.claimDueDeliveries(Lease(owner: instanceID, now: now, duration: config.cluster.leaseTimeout),
                                                limit: Self.perRound)
        var sendable: [(DeliveryRecord, WebhookConfig)] = []
        for delivery in due {
            if disabled.contains(delivery.webhookID) {
                try await record(delivery, outcome: .endpointDisabled, attempt: nil, at: now)
            } else if let endpoint = endpoints[delivery.webhookID] {
                sendable.append((delivery, endpoint))
            } else {
                // The webhook was removed from the configuration: keep the message, retry later.
                try await record(delivery, outcome: .retry(nextAttemptAt: now.addingTimeInterval(60)), attempt: nil, at: now)
            }
        }
        await withTaskGroup(of: Void.self) { group in
            for (delivery, endpoint) in sendable {
                group.addTask { await send(delivery, to: endpoint, client: client, settings: config.delivery, userAgent: config.http.userAgent) }
            }
        }
        return due.count
    }

    func send(_ delivery: DeliveryRecord, to endpoint: WebhookConfig, client: CurlMultiClient, settings: DeliverySettings, userAgent: String) async {
        let timestamp = Int64(time.now.timeIntervalSince1970)
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
                try await retry(delivery, settings: settings, retryAfter: nil,
                                attempt: DeliveryAttempt(httpStatus: nil, latency: latency, error: error.description), endpoint: endpoint.id)
            case let .success(response) where (200..<300).contains(response.status):
                try await record(delivery, outcome: .delivered,
                                               attempt: DeliveryAttempt(httpStatus: response.status, latency: latency, error: nil), at: time.now)
                logger.info("webhook delivered", metadata: ["webhook": "\(endpoint.id)", "webhook_id": "\(delivery.messageID)",
                                                            "status": "\(response.status)", "attempt": "\(delivery.attempts + 1)"])
            case let .success(response) where response.status == 410:
                try await record(delivery, outcome: .endpointGone,
                                               attempt: DeliveryAttempt(httpStatus: 410, latency: latency, error: "410 Gone: endpoint disabled"),
                                               at: time.now)
                logger.critical("webhook endpoint answered 410 Gone: disabled; its messages are kept but not sent until `monitorctl deliveries retry`",
                                metadata: ["webhook": "\(endpoint.id)", "url": "\(endpoint.url)"])
            case let .success(response):
                let retryAfter = FeedSchedule.retryAfter(response.header("retry-after"), now: time.now)
                try await retry(delivery, settings: settings, retryAfter: retryAfter,
                                attempt: DeliveryAttempt(httpStatus: response.status, latency: latency, error: "HTTP \(response.status)"),
                                endpoint: endpoint.id)
            }
        } catch {
            // The database refused the outcome: the delivery stays pending and is sent again (receivers dedupe by webhook-id).
            logger.error("cannot record webhook delivery: \(error)", metadata: ["webhook_id": "\(delivery.messageID)"])
        }
    }

    /// Records a delivery's outcome even when a shutdown cancels the sender meanwhile: a message that
    /// was delivered is not sent again for want of its record.
    func record(_ delivery: DeliveryRecord, outcome: DeliveryOutcome, attempt: DeliveryAttempt?, at now: Date) async throws {
        // A message sent but not recorded would be sent again (same webhook-id): hold on until the record is written.
        try await storage.retrying(time: time, logger: logger) { [store] in
            try await uncancelled { try await store.recordDelivery(delivery, outcome: outcome, attempt: attempt, at: now) }
        }
    }

    /// The wait before attempt `n + 1` after `n` failed ones: the schedule's n-th step (the last repeats), ±20%.
    static func backoff(afterAttempts n: Int, schedule: [Duration], random: Double = .random(in: 0..<1)) -> Duration {
        schedule[min(max(n - 1, 0), schedule.count - 1)] * (0.8 + 0.4 * random)
    }

    /// Schedules the next attempt, or gives up when it would fall after `delivery.giveUpAfter`.
    func retry(_ delivery: DeliveryRecord, settings: DeliverySettings, retryAfter: Duration?, attempt: DeliveryAttempt,
               endpoint: String) async throws {
        let now = time.now
        var delay = Self.backoff(afterAttempts: delivery.attempts + 1, schedule: settings.retrySchedule, random: jitter())
        if let retryAfter { delay = max(delay, min(retryAfter, .seconds(86_400))) }
        let age = now.timeIntervalSince(delivery.createdAt) + delay.seconds
        let error = attempt.error ?? ""
        if age > settings.giveUpAfter.seconds {
            try await record(delivery, outcome: .failed, attempt: attempt, at: now)
            logger.error("webhook delivery given up", metadata: ["webhook": "\(endpoint)", "webhook_id": "\(delivery.messageID)",
                                                                 "status": "\(attempt.httpStatus.map(String.init) ?? "none")",
                                                                 "attempts": "\(delivery.attempts + 1)", "error": "\(error)"])
        } else {
            try await record(delivery, outcome: .retry(nextAttemptAt: now.addingTimeInterval(delay.seconds)), attempt: attempt,
                                           at: now)
            logger.warning("webhook delivery failed; will retry", metadata: ["webhook": "\(endpoint)", "webhook_id": "\(delivery.messageID)",
                                                                             "status": "\(attempt.httpStatus.map(String.init) ?? "none")",
                                                                             "error": "\(error)", "retry_in": "\(DurationText.format(delay))"])
        }
    }
}
