import Foundation
import GRDB

/// One entity's numbers over a window ending now (README, "Risk").
public struct EntityMetrics: Sendable, Equatable {
    public var symbol: String
    public var window: Duration
    /// Items mentioning the entity in the window.
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

    func rounded(_ x: Double) -> Double { (x * 10_000).rounded() / 10_000 }

    /// Computes the metrics of `symbol` for items scored by `modelVersion`.
    public static func compute(symbol: String, window: Duration, modelVersion: String, now: Date, db: Database) throws -> EntityMetrics {
        let windowMs = Int64(window.seconds * 1000)
        let end = now.millis
        let start = end - windowMs
        let baselineWindows = max(24, Int((86_400_000 / max(windowMs, 1))))
        let baselineStart = start - windowMs * Int64(baselineWindows)
        let rows = try Row.fetchAll(db, sql: """
            SELECT i.published_at AS at, s.sentiment AS sentiment, s.risk AS risk, s.label AS label
            FROM mentions m JOIN items i ON i.id = m.item_id JOIN scores s ON s.item_id = i.id AND s.model_version = ?
            WHERE m.symbol = ? AND i.published_at > ? AND i.published_at <= ?
            """, arguments: [modelVersion, symbol, baselineStart, end])
        var metrics = EntityMetrics(symbol: symbol, window: window, volume: 0, sentiment: 0, risk: 0, negativeShare: 0, burst: 0,
                                    itemRisk: 0, negatives: 0)
        var buckets = [Int](repeating: 0, count: baselineWindows)
        var sentimentSum = 0.0, riskWeighted = 0.0, weights = 0.0
        let halfLife = Double(windowMs) / 2
        for row in rows {
            let at: Int64 = row["at"]
            let negative = (row["label"] as String) == "negative"
            if at > start {
                let sentiment: Double = row["sentiment"], risk: Double = row["risk"]
                metrics.volume += 1
                sentimentSum += sentiment
                let w = exp(-log(2) * Double(end - at) / halfLife)
                riskWeighted += w * risk
                weights += w
                metrics.itemRisk = max(metrics.itemRisk, risk)
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
