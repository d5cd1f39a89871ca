import Feeds
import Foundation
import Logging

/// The validated configuration of monitord and monitorctl (see README, "Configuration").
/// Paths are absolute, resolved against the configuration file's folder.
public struct MonitorConfig: Sendable, Equatable {
    /// The file this configuration was read from.
    public var file: String
    /// The SQLite database file.
    public var database: String
    /// The model folder (Hugging Face layout).
    public var model: String
    public var engine: EngineSettings
    public var http: HTTPSettings
    public var polling: PollingSettings
    public var api: APISettings
    public var feeds: [FeedConfig]
    public var watchlist: [WatchlistEntry]
    public var rules: [AlertRule]
    public var webhooks: [WebhookConfig]
    /// The lowest level that is logged.
    public var logLevel: Logger.Level
    /// How long a graceful shutdown may take before services are cancelled.
    public var shutdownTimeout: Duration
}

/// How the model runs.
public struct EngineSettings: Sendable, Equatable {
    /// Cores one batch may use.
    public var threads: Int
    /// Texts are truncated to this many tokens, [CLS] and [SEP] included.
    public var maxLength: Int
    /// Texts scored together.
    public var batchSize: Int
}

/// Outgoing HTTP (feeds and webhooks).
public struct HTTPSettings: Sendable, Equatable {
    /// Sent on every request; SEC EDGAR requires a contact address in it.
    public var userAgent: String
    /// Total time one transfer may take.
    public var timeout: Duration
    /// Time to establish a connection.
    public var connectTimeout: Duration
    /// A larger response body aborts the transfer.
    public var maxBodyBytes: Int
    /// Redirects followed at most.
    public var maxRedirects: Int
}

/// How feeds are scheduled and judged.
public struct PollingSettings: Sendable, Equatable {
    /// Transfers to one host at a time (more wait their turn).
    public var maxPerHost: Int
    /// The longest wait between polls of a failing feed (exponential backoff stops here).
    public var maxBackoff: Duration
    /// Consecutive failures after which a feed is unhealthy (and a source-health alert fires).
    public var unhealthyAfter: Int
}

/// The HTTP API of monitord.
public struct APISettings: Sendable, Equatable {
    /// Host (or IP literal) and port to listen on.
    public var host: String
    public var port: Int
}

/// One polled feed.
public struct FeedConfig: Sendable, Equatable {
    public var id: String
    public var url: URL
    public var interval: Duration
    /// Extra request headers; `${NAME}` in a value is replaced by environment variable NAME.
    public var headers: [FeedHeader]
    /// Where items are in a JSON document that is no standard feed.
    public var json: JSONMapping?
}

/// One extra request header of a feed. The value may hold a secret (an API token), so it is never printed.
public struct FeedHeader: Sendable, Equatable {
    public var name: String
    public var value: String
}

/// One watched entity.
public struct WatchlistEntry: Sendable, Equatable {
    /// Ticker symbol, upper case (`AAPL`, `BRK.B`).
    public var symbol: String
    /// Names that count as a mention (`Apple`, `Apple Inc.`).
    public var names: [String]
}

/// What an alert rule measures.
public enum RuleMetric: String, Sendable, Equatable, CaseIterable {
    case risk, sentiment, negativeShare, burst, volume, itemRisk
}

/// A threshold alert rule.
public struct AlertRule: Sendable, Equatable {
    public var id: String
    public var metric: RuleMetric
    /// The sliding window the metric is computed over.
    public var window: Duration
    /// Fires when the metric is above this value.
    public var above: Double?
    /// Fires when the metric is below this value.
    public var below: Double?
    /// The window must hold at least this many items.
    public var minItems: Int
    /// The repeat interval for a still-firing alert.
    public var cooldown: Duration
}

/// A webhook endpoint that receives alerts.
public struct WebhookConfig: Sendable, Equatable {
    public var id: String
    public var url: URL
    /// Signing secrets (`whsec_…`), the first signs; more than one during rotation.
    public var secrets: [WebhookSecret]
    /// Where the secrets came from, for messages (`env FINSENT_WEBHOOK_SECRET`).
    public var secretSource: String
}

/// A webhook signing secret; never printed.
public struct WebhookSecret: Sendable, Equatable, CustomStringConvertible {
    /// The key bytes (the base64 part after `whsec_`, decoded).
    public let key: [UInt8]
    public var description: String { "whsec_(redacted)" }
}
