import Config
import Foundation
import Store

/// One entity's numbers over a window ending now (README, "Risk").
public struct EntityMetrics: Sendable, Equatable {
    public var symbol: String
    public var window: Duration
    /// Items (or stories, as the rule counts) mentioning the entity in the window.
    public var volume: Int
    /// Mean item sentiment (P(positive) − P(negative)); 0 with no items.
    public var sentiment: Double
    /// Time-decayed mean item risk, shrunk toward 0 by one item's weight so a single item
    /// cannot make an entity look as risky as a stream of them: Σ w·risk / (Σ w + 1), where an
    /// item's weight w halves every half window of age.
    public var risk: Double
    /// Share of items labelled negative.
    public var negativeShare: Double
    /// Negative items in the window against the same-length windows of the trailing day (at
    /// least 24 of them): (x − mean) / max(std, 1).
    public var burst: Double
    /// The highest item risk in the window.
    public var itemRisk: Double
    public var negatives: Int

    public init(symbol: String, window: Duration, volume: Int, sentiment: Double, risk: Double, negativeShare: Double, burst: Double,
                itemRisk: Double, negatives: Int) {
        self.symbol = symbol
        self.window = window
        self.volume = volume
        self.sentiment = sentiment
        self.risk = risk
        self.negativeShare = negativeShare
        self.burst = burst
        self.itemRisk = itemRisk
        self.negatives = negatives
    }

    /// The metric a rule compares with its threshold.
    public func value(of metric: RuleMetric) -> Double {
        switch metric {
        case .risk: risk
        case .sentiment: sentiment
        case .negativeShare: negativeShare
        case .burst: burst
        case .volume: Double(volume)
        case .itemRisk: itemRisk
        }
    }

    public var dictionary: [String: Any] {
        ["volume": volume, "sentiment": rounded(sentiment), "risk": rounded(risk), "negativeShare": rounded(negativeShare),
         "burst": rounded(burst), "itemRisk": rounded(itemRisk), "negatives": negatives, "window": DurationText.format(window)]
    }

    public func rounded(_ x: Double) -> Double { JSONText.rounded(x) }

    /// How many earlier windows the burst baseline spans: the trailing day, at least 24 windows.
    public static func baselineWindows(_ window: Duration) -> Int {
        max(24, Int(86_400_000 / max(window.millis, 1)))
    }

    /// Where the observations `compute` needs begin: the start of the baseline before the window ending at `now`.
    public static func observationStart(window: Duration, now: Date) -> Date {
        let windowMs = window.millis
        return Date(millis: now.millis - windowMs - windowMs * Int64(baselineWindows(window)))
    }

    /// The points metrics count: each item, or each story once (at its representative item, with that item's score).
    static func points(_ observations: [EntityObservation], count: RuleCount) -> [EntityHistory.Point] {
        switch count {
        case .items:
            return observations.map {
                EntityHistory.Point(at: $0.publishedAt.millis, itemID: $0.itemID, sentiment: $0.sentiment, risk: $0.risk, negative: $0.isNegative)
            }
        case .stories:
            var seen = Set<Int64>()
            return observations.compactMap { o in
                guard seen.insert(o.story.id).inserted else { return nil }
                return EntityHistory.Point(o.story)
            }
        }
    }

    /// Computes the metrics of `symbol` over the window ending at `now` from the items that mention it,
    /// published in (`observationStart`, `now`] (others are ignored), counting items or stories.
    public static func compute(symbol: String, window: Duration, observations: [EntityObservation], now: Date,
                               count: RuleCount) -> EntityMetrics {
        let windowMs = window.millis
        let end = now.millis
        let start = end - windowMs
        let baselineWindows = baselineWindows(window)
        let baselineStart = start - windowMs * Int64(baselineWindows)
        var metrics = EntityMetrics(symbol: symbol, window: window, volume: 0, sentiment: 0, risk: 0, negativeShare: 0, burst: 0,
                                    itemRisk: 0, negatives: 0)
        var buckets = [Int](repeating: 0, count: baselineWindows)
        var sentimentSum = 0.0, riskWeighted = 0.0, weights = 0.0
        let halfLife = Double(windowMs) / 2
        for observation in points(observations, count: count) {
            let at = observation.at
            guard at > baselineStart, at <= end else { continue }
            let negative = observation.negative
            if at > start {
                metrics.volume += 1
                sentimentSum += observation.sentiment
                let w = exp(-log(2) * Double(end - at) / halfLife)
                riskWeighted += w * observation.risk
                weights += w
                metrics.itemRisk = max(metrics.itemRisk, observation.risk)
                if negative { metrics.negatives += 1 }
            } else if negative {
                let index = Int((start - at) / windowMs)
                if index < baselineWindows { buckets[index] += 1 }
            }
        }
        if metrics.volume > 0 {
            metrics.sentiment = sentimentSum / Double(metrics.volume)
            metrics.risk = riskWeighted / (weights + 1)
            metrics.negativeShare = Double(metrics.negatives) / Double(metrics.volume)
        }
        let mean = Double(buckets.reduce(0, +)) / Double(baselineWindows)
        let variance = buckets.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(baselineWindows)
        metrics.burst = (Double(metrics.negatives) - mean) / max(variance.squareRoot(), 1)
        return metrics
    }
}
