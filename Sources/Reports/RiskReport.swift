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
        /// Also compute `Entity.riskTrend` (the dashboard's charts).
        public var riskTrend = false
        /// What the risk index and burst count (as rules do: stories by default).
        public var count: RuleCount = .stories
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
        /// The story the item is in, and how many of the range's items mentioning the entity it holds.
        public var storyID: Int64
        public var storyItems: Int
    }

    public struct Entity: Sendable {
        public var symbol: String
        public var name: String?
        public var onWatchlist: Bool
        /// Items mentioning the entity in the range.
        public var items: Int
        /// The stories those items are in.
        public var stories: Int
        /// Mean sentiment and negative share of the range's items; nil without items (no data is not neutral news).
        public var meanSentiment: Double?
        public var negativeShare: Double?
        /// The time-decayed mean item risk over `window` ending at `until`; nil without items in that window.
        public var riskIndex: Double?
        /// Negatives in the window against the trailing day; nil when neither holds an item.
        public var burst: Double?
        /// Mean item risk per step of the range (oldest first); nil where a step has no items.
        public var trend: [Double?]
        /// The risk index at the end of each step (what `risk` rules compare); empty unless `Query.riskTrend`.
        public var riskTrend: [Double?] = []
        /// When each step ends.
        public var stepEnds: [Date] = []
        public var firingAlerts: [String]
        /// The range's most risky negative items, and its most positive ones (opportunities): one per story, its first.
        public var topNegative: [Headline]
        public var topPositive: [Headline]
    }

    public var query: Query
    public var modelVersion: String?
    public var entities: [Entity]
    /// Requested symbols that are neither on the watchlist nor mentioned in the range.
    public var unknownEntities: [String] = []

    /// Builds the report from the store (read-only), from the scores of `modelVersion`
    /// (monitord's model; nil: the version that scored most recently).
    public static func build(_ query: Query, config: MonitorConfig, modelVersion: String? = nil,
                             store: any ReportStore & AlertStore) async throws -> RiskReport {
        let latest = modelVersion == nil ? try await store.latestModelVersion() : nil
        let requested = query.entities.map { $0.uppercased() }
        guard let version = modelVersion ?? latest else {
            return RiskReport(query: query, modelVersion: nil, entities: [], unknownEntities: requested.filter { s in !config.watchlist.contains { $0.symbol == s } })
        }
        let mentioned = Set(try await store.mentionedSymbols(from: query.since, to: query.until))
        let watched = Set(config.watchlist.map(\.symbol))
        var symbols = requested.filter { mentioned.contains($0) || watched.contains($0) }
        let unknown = requested.filter { !mentioned.contains($0) && !watched.contains($0) }
        if requested.isEmpty { symbols = Array(mentioned.union(watched)).sorted() }
        let names = Dictionary(config.watchlist.map { ($0.symbol, $0.names.first) }) { a, _ in a }
        let firing = try await store.firingAlerts().map(\.alert).filter { $0.kind == .threshold }
        let steps = 24
        let since = query.since.millis, until = query.until.millis
        let stepMs = max(1, (until - since) / Int64(steps))
        let metricsStart = EntityMetrics.observationStart(window: query.window, now: query.until)
        var entities: [Entity] = []
        var kept: [String: [EntityObservation]] = [:]  // for the risk trend of the entities that make the top
        let from = query.riskTrend ? query.since.addingTimeInterval(-query.window.seconds) : query.since
        let all = try await store.observations(symbols: symbols, from: min(from, metricsStart), to: query.until, modelVersion: version)
        for symbol in symbols {
            let observations = all[symbol] ?? []
            let rows = observations.filter { $0.publishedAt.millis > since }
            var sums = [Double](repeating: 0, count: steps), counts = [Int](repeating: 0, count: steps)
            var sentiment = 0.0, negatives = 0
            var headlines: [Headline] = [], positives: [Headline] = []
            var storyItems: [Int64: Int] = [:]
            for row in rows { storyItems[row.story.id, default: 0] += 1 }
            var listed = Set<Int64>()
            for row in rows {
                let at = row.publishedAt.millis
                let step = min(steps - 1, Int((at - since - 1) / stepMs))
                sums[step] += row.risk
                counts[step] += 1
                sentiment += row.sentiment
                let headline = Headline(itemID: row.itemID, title: row.title, link: row.link, source: row.feedID,
                                        published: row.publishedAt, sentiment: row.sentiment, risk: row.risk, topic: row.topic,
                                        storyID: row.story.id, storyItems: storyItems[row.story.id] ?? 1)
                guard listed.insert(row.story.id).inserted else { continue }  // a story's copies are one headline
                if row.isNegative {
                    negatives += 1
                    headlines.append(headline)
                } else if row.label == "positive" {
                    positives.append(headline)
                }
            }
            let metrics = EntityMetrics.compute(symbol: symbol, window: query.window, observations: observations, now: query.until,
                                                count: query.count)
            headlines.sort { ($0.risk, $0.published) > ($1.risk, $1.published) }
            positives.sort { ($0.sentiment, $0.published) > ($1.sentiment, $1.published) }
            let onWatchlist = watched.contains(symbol)
            guard !rows.isEmpty || onWatchlist || requested.contains(symbol) else { continue }
            entities.append(Entity(
                symbol: symbol, name: names[symbol] ?? nil, onWatchlist: onWatchlist, items: rows.count, stories: storyItems.count,
                meanSentiment: rows.isEmpty ? nil : sentiment / Double(rows.count),
                negativeShare: rows.isEmpty ? nil : Double(negatives) / Double(rows.count),
                riskIndex: metrics.volume == 0 ? nil : metrics.risk, burst: observations.isEmpty ? nil : metrics.burst,
                trend: zip(sums, counts).map { $1 == 0 ? nil : $0 / Double($1) },
                firingAlerts: firing.filter { $0.entity == symbol }.map(\.ruleID),
                topNegative: Array(headlines.prefix(query.headlines)), topPositive: Array(positives.prefix(query.headlines))))
            if query.riskTrend { kept[symbol] = observations }
        }
        // Entities without data sort after those with it, whatever the key.
        entities.sort { a, b in
            switch query.sort {
            case .risk: (a.riskIndex ?? -1, a.items) > (b.riskIndex ?? -1, b.items)
            case .burst: (a.burst ?? -.infinity, a.items) > (b.burst ?? -.infinity, b.items)
            case .volume: (a.items, a.riskIndex ?? -1) > (b.items, b.riskIndex ?? -1)
            case .sentiment: (a.meanSentiment ?? 2, b.items) < (b.meanSentiment ?? 2, a.items)
            }
        }
        var top = Array(entities.prefix(query.top))
        let ends = (1...steps).map { Date(millis: since + Int64($0) * stepMs) }
        for index in top.indices {
            top[index].stepEnds = ends
            guard let observations = kept[top[index].symbol] else { continue }
            top[index].riskTrend = ends.map { end in
                let m = EntityMetrics.compute(symbol: top[index].symbol, window: query.window, observations: observations, now: end,
                                              count: query.count)
                return m.volume == 0 ? nil : m.risk
            }
        }
        return RiskReport(query: query, modelVersion: version, entities: top, unknownEntities: unknown)
    }

    /// The documented JSON shape (README, "monitorctl query"), schema version 2: null where there is no data.
    public var document: Document {
        let r = JSONText.rounded
        return Document(
            modelVersion: modelVersion, since: query.since, until: query.until, window: DurationText.format(query.window),
            sort: query.sort.rawValue, unknownEntities: unknownEntities,
            entities: entities.map { e in
                Document.Entity(symbol: e.symbol, name: e.name, onWatchlist: e.onWatchlist, items: e.items, stories: e.stories,
                                meanSentiment: e.meanSentiment.map(r), negativeShare: e.negativeShare.map(r), riskIndex: e.riskIndex.map(r),
                                burst: e.burst.map(r), trend: e.trend.map { $0.map(r) }, firingAlerts: e.firingAlerts,
                                topNegative: e.topNegative.map(Document.Headline.init), topPositive: e.topPositive.map(Document.Headline.init))
            })
    }

    public struct Document: Encodable, Sendable {
        public var schemaVersion = 2
        @OrNull public var modelVersion: String?
        public var since: Date
        public var until: Date
        public var window: String
        public var sort: String
        public var unknownEntities: [String]
        public var entities: [Entity]

        public struct Entity: Encodable, Sendable {
            public var symbol: String
            @OrNull public var name: String?
            public var onWatchlist: Bool
            public var items: Int
            public var stories: Int
            @OrNull public var meanSentiment: Double?
            @OrNull public var negativeShare: Double?
            @OrNull public var riskIndex: Double?
            @OrNull public var burst: Double?
            public var trend: [Double?]
            public var firingAlerts: [String]
            public var topNegative: [Headline]
            public var topPositive: [Headline]
        }

        public struct Headline: Encodable, Sendable {
            public var itemId: Int64
            public var title: String
            @OrNull public var link: String?
            public var source: String
            public var published: Date
            public var sentiment: Double
            public var risk: Double
            @OrNull public var topic: String?
            public var storyId: Int64
            public var storyItems: Int

            init(_ h: RiskReport.Headline) {
                itemId = h.itemID
                title = h.title
                link = h.link
                source = h.source
                published = h.published
                sentiment = JSONText.rounded(h.sentiment)
                risk = JSONText.rounded(h.risk)
                topic = h.topic
                storyId = h.storyID
                storyItems = h.storyItems
            }
        }
    }
}
