import Foundation

/// One row of `webhook_deliveries`: a message in the outbox, stable across retries.
public struct DeliveryRecord: Sendable, Codable, Equatable {
    public var id: Int64
    /// The `webhook-id` header.
    public var messageID: String
    /// `webhooks[].id` in the configuration.
    public var webhookID: String
    public var eventType: WebhookEventType
    public var alertEventID: Int64?
    /// The exact JSON body that is signed and sent.
    public var payload: String
    public var status: DeliveryStatus
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastAttemptAt: Date?
    public var deliveredAt: Date?
    public var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, messageID = "message_id", webhookID = "webhook_id", eventType = "event_type", alertEventID = "alert_event_id"
        case payload, status, attempts, nextAttemptAt = "next_attempt_at", lastAttemptAt = "last_attempt_at"
        case deliveredAt = "delivered_at", createdAt = "created_at"
    }
}

/// A delivery with its latest attempt, for `monitorctl deliveries`.
public struct DeliveryWithLastAttempt: Sendable, Equatable {
    public var delivery: DeliveryRecord
    public var lastHTTPStatus: Int?
    public var lastError: String?
    public init(delivery: DeliveryRecord, lastHTTPStatus: Int?, lastError: String?) {
        self.delivery = delivery
        self.lastHTTPStatus = lastHTTPStatus
        self.lastError = lastError
    }
}

/// One row of `delivery_attempts`.
public struct AttemptRecord: Sendable, Codable, Equatable {
    public var id: Int64
    public var deliveryID: Int64
    public var attemptedAt: Date
    /// nil when no response arrived.
    public var httpStatus: Int?
    public var latencyMs: Int64?
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case id, deliveryID = "delivery_id", attemptedAt = "attempted_at", httpStatus = "http_status", latencyMs = "latency_ms", error
    }
}

/// One row of `webhook_endpoints`: an endpoint switched off by a 410 Gone.
public struct EndpointRecord: Sendable, Codable, Equatable {
    public var id: String
    public var disabledAt: Date?
    public var reason: String?

    enum CodingKeys: String, CodingKey {
        case id, disabledAt = "disabled_at", reason
    }
}

/// A message to put in the outbox.
public struct NewDelivery: Sendable, Equatable {
    public var messageID: String
    public var webhookID: String
    public var eventType: WebhookEventType
    /// The exact JSON body.
    public var payload: String
    public var createdAt: Date

    public init(messageID: String, webhookID: String, eventType: WebhookEventType, payload: String, createdAt: Date) {
        self.messageID = messageID
        self.webhookID = webhookID
        self.eventType = eventType
        self.payload = payload
        self.createdAt = createdAt
    }
}

/// What became of one delivery attempt (or of a decision not to attempt).
public enum DeliveryOutcome: Sendable, Equatable {
    /// A 2xx answer.
    case delivered
    /// Try again at `nextAttemptAt`.
    case retry(nextAttemptAt: Date)
    /// Given up: failing past `delivery.giveUpAfter`.
    case failed
    /// The endpoint answered 410 Gone: switch it off, keep the message.
    case endpointGone
    /// Not sent: the endpoint was already switched off.
    case endpointDisabled

    /// The status the delivery ends in; nil while it stays pending.
    public var finalStatus: DeliveryStatus? {
        switch self {
        case .delivered: .delivered
        case .retry: nil
        case .failed: .failed
        case .endpointGone, .endpointDisabled: .disabled
        }
    }
}

/// One attempt's facts; nil when no request was made.
public struct DeliveryAttempt: Sendable, Equatable {
    public var httpStatus: Int?
    public var latency: Duration
    public var error: String?
    public init(httpStatus: Int?, latency: Duration, error: String?) {
        self.httpStatus = httpStatus
        self.latency = latency
        self.error = error
    }
}
