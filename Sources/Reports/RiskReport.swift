import Alerts
import Config
import Foundation
import Store

/// "What is risky right now and why": per entity over a time range. The same numbers feed
/// `monitorctl query` (table, JSON, CSV) and the HTTP API's `/v1/risk`.
public struct RiskReport: Sendable {
    public enum Sort: String, Sendable, CaseIterable { case risk, burst, volume, sentiment }

    public struct Query: Sendable {
        public var entities: [String] = []
        public var since: Date
        public var until: Date
        public var top: Int = 10
        public var sort: Sort = .risk
        /// The window of the risk index and burst score (ending at `until`) and of each sparkline point.
        public var window: Duration = .seconds(3600)
        public var headlines = 3
        public init(since: Date, until: Date) {
            self.since = since
            self.until = until
        }
    }

    public struct Headline: Sendable {
        public var itemID: Int64
        public var title: String
        public var link: String?
        public var source: String
        public var published: Date
        public var sentiment: Double
        public var risk: Double
        public var topic: String?
    }

    public struct Entity: Sendable {
        public var symbol: String
        public var name: String?
        public var onWatchlist: Bool
        /// Items mentioning the entity in the range.
        public var items: Int
        public var meanSentiment: Double
        public var negativeShare: Double
        /// The time-decayed mean item risk over `window` ending at `until`.
        public var riskIndex: Double
        public var burst: Double
        /// Mean item risk per step of the range (oldest first); nil where a step has no items.
        public var trend: [Double?]
        public var firingAlerts: [String]
        public var topNegative: [Headline]
    }

    public var query: Query
    public var modelVersion: String?
    public var entities: [Entity]

    /// Builds the report from the store (read-only), from the scores of `modelVersion`
    /// (monitord's model; nil: the version that scored most recently).
    public static func build(_ query: Query, config: MonitorConfig, modelVersion: String? = nil,
                             store: any ReportStore & AlertStore) async throws -> RiskReport {
        let latest = modelVersion == nil ? try await store.latestModelVersion() : nil
        guard let version = modelVersion ?? latest else { return RiskReport(query: query, modelVersion: nil, entities: []) }
        var symbols = query.entities.map { $0.uppercased() }
        if symbols.isEmpty {
            symbols = try await store.mentionedSymbols(from: query.since, to: query.until)
            symbols = Array(Set(symbols + config.watchlist.map(\.symbol))).sorted()
        }
        let names = Dictionary(config.watchlist.map { ($0.symbol, $0.names.first) }) { a, _ in a }
        let firing = try await store.firingAlerts().map(\.alert).filter { $0.kind == .threshold }
        let steps = 24
        let since = query.since.millis, until = query.until.millis
        let stepMs = max(1, (until - since) / Int64(steps))
        let metricsStart = EntityMetrics.observationStart(window: query.window, now: query.until)
        var entities: [Entity] = []
        for symbol in symbols {
            let observations = try await store.observations(symbol: symbol, from: min(query.since, metricsStart), to: query.until,
                                                            modelVersion: version)
            let rows = observations.filter { $0.publishedAt.millis > since }
            var sums = [Double](repeating: 0, count: steps), counts = [Int](repeating: 0, count: steps)
            var sentiment = 0.0, negatives = 0
            var headlines: [Headline] = []
            for row in rows {
                let at = row.publishedAt.millis
                let step = min(steps - 1, Int((at - since - 1) / stepMs))
                sums[step] += row.risk
                counts[step] += 1
                sentiment += row.sentiment
                if row.isNegative {
                    negatives += 1
                    headlines.append(Headline(itemID: row.itemID, title: row.title, link: row.link, source: row.feedID,
                                              published: row.publishedAt, sentiment: row.sentiment, risk: row.risk, topic: row.topic))
                }
            }
            let metrics = EntityMetrics.compute(symbol: symbol, window: query.window, observations: observations, now: query.until)
            headlines.sort { ($0.risk, $0.published) > ($1.risk, $1.published) }
            let onWatchlist = config.watchlist.contains { $0.symbol == symbol }
            guard !rows.isEmpty || onWatchlist || query.entities.map({ $0.uppercased() }).contains(symbol) else { continue }
            entities.append(Entity(
                symbol: symbol, name: names[symbol] ?? nil, onWatchlist: onWatchlist, items: rows.count,
                meanSentiment: rows.isEmpty ? 0 : sentiment / Double(rows.count),
                negativeShare: rows.isEmpty ? 0 : Double(negatives) / Double(rows.count),
                riskIndex: metrics.risk, burst: metrics.burst,
                trend: zip(sums, counts).map { $1 == 0 ? nil : $0 / Double($1) },
                firingAlerts: firing.filter { $0.entity == symbol }.map(\.ruleID),
                topNegative: Array(headlines.prefix(query.headlines))))
        }
        entities.sort { a, b in
            switch query.sort {
            case .risk: (a.riskIndex, a.items) > (b.riskIndex, b.items)
            case .burst: (a.burst, a.items) > (b.burst, b.items)
            case .volume: (a.items, a.riskIndex) > (b.items, b.riskIndex)
            case .sentiment: (a.meanSentiment, b.items) < (b.meanSentiment, a.items)
            }
        }
        return RiskReport(query: query, modelVersion: version, entities: Array(entities.prefix(query.top)))
    }

    /// The documented JSON shape (README, "monitorctl query"), schema version 1.
    public var json: [String: Any] {
        let r = JSONText.rounded
        return [
            "schemaVersion": 1, "modelVersion": modelVersion ?? NSNull(),
            "since": JSONText.timestamp(query.since), "until": JSONText.timestamp(query.until),
            "window": DurationText.format(query.window), "sort": query.sort.rawValue,
            "entities": entities.map { e -> [String: Any] in
                [
                    "symbol": e.symbol, "name": e.name ?? NSNull(), "onWatchlist": e.onWatchlist, "items": e.items,
                    "meanSentiment": r(e.meanSentiment), "negativeShare": r(e.negativeShare), "riskIndex": r(e.riskIndex),
                    "burst": r(e.burst), "trend": e.trend.map { $0.map(r) ?? NSNull() as Any }, "firingAlerts": e.firingAlerts,
                    "topNegative": e.topNegative.map { h -> [String: Any] in
                        ["itemId": h.itemID, "title": h.title, "link": h.link ?? NSNull(), "source": h.source,
                         "published": JSONText.timestamp(h.published), "sentiment": r(h.sentiment), "risk": r(h.risk),
                         "topic": h.topic ?? NSNull()]
                    },
                ]
            },
        ]
    }
}
