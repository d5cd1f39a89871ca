import Feeds
import Foundation
import Logging
import Store
import Stories
import Transformer

/// The validated configuration of monitord and monitorctl (see README, "Configuration").
/// Paths are absolute, resolved against the configuration file's folder.
public struct MonitorConfig: Sendable, Equatable {
    /// The file this configuration was read from.
    public var file: String
    /// The SQLite database file, or the PostgreSQL server that several instances share.
    public var database: DatabaseLocation
    /// How instances sharing a PostgreSQL database hand work between them.
    public var cluster: ClusterSettings
    /// The model folder (Hugging Face layout).
    public var model: String
    public var engine: EngineSettings
    public var http: HTTPSettings
    public var polling: PollingSettings
    public var risk: RiskSettings
    public var delivery: DeliverySettings
    public var api: APISettings
    public var retention: RetentionSettings
    /// How items are grouped into stories (`stories`).
    public var stories: StorySettings
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
    /// The dense layers' arithmetic: `auto` (int8 where the CPU has AVX-512 VNNI, else F32), `int8` or `f32`.
    public var precision: Precision
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
    /// A failing feed is also unhealthy once it has had no success for this long; nil: three of its intervals, at least a minute.
    public var staleAfter: Duration?

    /// How long a feed polled every `interval` may go without a success before it counts as unhealthy.
    public func staleAfter(interval: Duration) -> Duration { staleAfter ?? max(interval * 3, .seconds(60)) }
}

/// The HTTP API of monitord.
public struct APISettings: Sendable, Equatable {
    /// Host (or IP literal) and port to listen on.
    public var host: String
    public var port: Int
    /// When set, `/v1/*` and the dashboard require `Authorization: Bearer <token>` (from `tokenEnv` or `tokenFile`).
    public var token: String?
    /// Where the token comes from ("env NAME", "file PATH"), for messages; nil without a token.
    public var tokenSource: String?
    /// With a token: `/metrics` requires it too (`/healthz` never does).
    public var protectMetrics = false
    /// At most this many entities get per-entity series on `/metrics` (the watchlist's first ones).
    public var metricsEntities = 500
    /// A connection that sends nothing for this long is closed (a stalled or slow client).
    public var idleTimeout: Duration = .seconds(30)
    /// At most this many connections at once; more wait in the listen backlog.
    public var maxConnections = 256

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `host:port` as written in `api.listen` (IPv6 in brackets).
    public var listen: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
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
    /// How much this source's items count in risk (1 = fully; a noisy social feed might be 0.5).
    public var weight: Double
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
    /// Names that count as a mention (`Apple`, `Apple Inc.`), matched case-sensitively on word boundaries.
    public var names: [String]
    /// More names matched the same way (former names, brands, products).
    public var aliases: [String]

    public init(symbol: String, names: [String], aliases: [String]) {
        self.symbol = symbol
        self.names = names
        self.aliases = aliases
    }

    /// `text` as a ticker symbol (upper-cased: a letter, then letters, digits, `.` or `-`, at most 12), or nil.
    public static func symbol(_ text: String) -> String? {
        let upper = text.uppercased()
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")
        guard upper.count <= 12, upper.first?.isLetter == true, upper.unicodeScalars.allSatisfy(allowed.contains) else { return nil }
        return upper
    }
}

/// What an alert rule measures.
public enum RuleMetric: String, Sendable, Equatable, CaseIterable {
    case risk, sentiment, negativeShare, burst, volume, itemRisk
}

/// What a rule's metrics count: stories (one event reported by many outlets counts once, at its first
/// item, with that item's score) or items (every copy counts).
public enum RuleCount: String, Sendable, Equatable, Hashable, CaseIterable {
    case stories, items
}

/// A threshold alert rule.
public struct AlertRule: Sendable, Equatable {
    public var id: String
    public var metric: RuleMetric
    /// The sliding window the metric is computed over.
    public var window: Duration
    /// When the rule fires and when a firing alert resolves.
    public var threshold: Threshold
    /// The window must hold at least this many items.
    public var minItems: Int
    /// The repeat interval for a still-firing alert.
    public var cooldown: Duration
    /// How long the condition must hold before a pending alert fires (0: at once).
    public var forDuration: Duration
    /// Symbols the rule applies to; empty: every watchlist entity.
    public var entities: [String]
    /// Whether the metrics count stories (default) or items.
    public var count: RuleCount = .stories
    public var severity: Severity
    /// Webhook ids that receive this rule's alerts; empty: all.
    public var webhooks: [String]
}

/// A rule's threshold with its hysteresis. A firing `above` alert resolves only when the metric
/// drops below `resolveBelow` (a `below` alert when it rises above `resolveAbove`); without one,
/// the threshold itself.
public enum Threshold: Sendable, Equatable {
    case above(Double, resolveBelow: Double?)
    case below(Double, resolveAbove: Double?)

    /// True when `value` crosses the threshold (strictly).
    public func isBreached(by value: Double) -> Bool {
        switch self {
        case let .above(limit, _): value > limit
        case let .below(limit, _): value < limit
        }
    }

    /// True while a firing alert's `value` has not come back past the resolve level.
    public func staysFiring(at value: Double) -> Bool {
        switch self {
        case let .above(limit, resolve): value >= (resolve ?? limit)
        case let .below(limit, resolve): value <= (resolve ?? limit)
        }
    }
}

/// How long data is kept (`retention`); everything is kept by default.
public struct RetentionSettings: Sendable, Equatable {
    public var policy: RetentionPolicy
    /// How often monitord looks for expired rows.
    public var interval: Duration

    public init(policy: RetentionPolicy = RetentionPolicy(), interval: Duration = .seconds(3600)) {
        self.policy = policy
        self.interval = interval
    }
}

/// How an item's risk is computed (README, "Risk").
public struct RiskSettings: Sendable, Equatable {
    /// Severity of each topic in [0, 1]; topics not listed use `defaultSeverity`.
    public var topicSeverity: [String: Double]
    public var defaultSeverity: Double

    public static let defaultTopicSeverity: [String: Double] = [
        "Legal | Regulation": 1.0, "Earnings": 0.9, "M&A | Investments": 0.8, "Treasuries | Corporate Debt": 0.8,
        "Financials": 0.8, "Personnel Change": 0.7, "Dividend": 0.7, "Analyst Update": 0.7, "Stock Movement": 0.7,
        "Fed | Central Banks": 0.6, "Macro": 0.6, "Company | Product News": 0.6, "Energy | Oil": 0.6, "IPO": 0.6,
        "Markets": 0.5, "Currencies": 0.5, "Gold | Metals | Materials": 0.5, "Politics": 0.5,
        "General News | Opinion": 0.4, "Stock Commentary": 0.3,
    ]
}

/// Webhook delivery: retries and their schedule.
/// Work sharing between instances (`cluster`); on SQLite there is one instance and the leases only
/// make a restart after a crash resume where it stopped.
public struct ClusterSettings: Sendable, Equatable {
    /// A claim (feed, scoring batch, delivery, role) an instance does not renew or release runs out
    /// after this long, and another instance takes the work.
    public var leaseTimeout: Duration
    /// Connections each instance keeps to PostgreSQL at most.
    public var maxConnections: Int

    public init(leaseTimeout: Duration = .seconds(30), maxConnections: Int = 10) {
        self.leaseTimeout = leaseTimeout
        self.maxConnections = maxConnections
    }
}

public struct DeliverySettings: Sendable, Equatable {
    /// Waits before the 2nd, 3rd, … attempt; the last one repeats until `giveUpAfter`. Each gets ±20% jitter.
    public var retrySchedule: [Duration]
    /// A delivery still failing this long after it was created is marked failed.
    public var giveUpAfter: Duration
    /// Time one attempt may take.
    public var timeout: Duration

    public static let defaultSchedule: [Duration] = [.seconds(5), .seconds(30), .seconds(120), .seconds(600), .seconds(1800), .seconds(3600)]
}

/// A webhook endpoint that receives alerts.
public struct WebhookConfig: Sendable, Equatable {
    public var id: String
    public var url: URL
    /// Signing secrets (`whsec_…`), the first signs; more than one during rotation.
    /// Empty when the configuration was loaded with `SecretHandling.skip` (read-only commands).
    public var secrets: [WebhookSecret]
    /// Where the secrets came from, for messages (`env FINSENT_WEBHOOK_SECRET`).
    public var secretSource: String
}

/// A webhook signing secret; never printed.
public struct WebhookSecret: Sendable, Equatable, CustomStringConvertible {
    /// The key bytes (the base64 part after `whsec_`, decoded).
    public let key: [UInt8]
    public var description: String { "whsec_(redacted)" }

    public init(key: [UInt8]) { self.key = key }
}

/// Whether loading a configuration resolves its secrets (webhook signing secrets, `${VAR}` in feed
/// headers). Only monitord needs them; read-only commands load with `.skip`, so they work with a
/// production configuration whose secrets live only in the daemon's environment.
public enum SecretHandling: Sendable {
    /// Read every secret; a missing variable or file is an error.
    case resolve
    /// Leave secrets unread: webhooks have no secrets, feed headers keep their `${VAR}` text.
    case skip
}
