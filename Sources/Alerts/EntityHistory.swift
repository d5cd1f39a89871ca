import Config
import Foundation

/// One entity's scored mentions over the span its rules read, in publication order, with running
/// sums kept as mentions arrive: a window's metrics cost a few binary searches, not a pass over the
/// items (the definitions are `EntityMetrics.compute`'s, and a test holds the two equal).
///
/// Mentions published after the latest `now` seen wait in `upcoming` and join when their time
/// comes, so every point in the sums is at or before `now` and time decay can be computed from
/// sums relative to a recent base without overflow.
struct EntityHistory {
    struct Point: Equatable {
        var at: Int64
        var itemID: Int64
        var sentiment: Double
        var risk: Double
        var negative: Bool
    }

    /// Σ f·risk and Σ f over points[0..<i], f = 2^((at − base) / halfLife), for one rule window (whose
    /// half-life is half the window): a window's decayed weights are these sums times 2^(−(end − base) / halfLife).
    private struct DecaySums {
        var window: Int64
        var halfLife: Double { Double(window) / 2 }
        var base: Int64
        var weighted: [Double] = [0]
        var weights: [Double] = [0]
    }

    private(set) var points: [Point] = []
    /// Mentions published after the latest `now`, sorted; they join `points` when `advance` reaches them.
    private(set) var upcoming: [Point] = []
    /// Points before this index have left every window (dropped at the next compaction).
    private var first = 0
    private var negatives: [Int32] = [0]
    private var sentiments: [Double] = [0]
    private var decays: [DecaySums] = []
    /// Indices of points whose risk is above every later point's: the highest risk of any suffix is a binary search away.
    private var maxima: [Int32] = []
    private var now: Int64 = .min

    /// A history that keeps decayed sums for rules with these windows (in ms).
    init(windows: Set<Int64>) {
        decays = windows.sorted().map { DecaySums(window: $0, base: 0) }
    }

    var isEmpty: Bool { first == points.count && upcoming.isEmpty }
    /// The publication time of the oldest point still kept.
    var oldest: Int64? { first < points.count ? points[first].at : upcoming.first?.at }
    /// When the next upcoming mention joins.
    var nextArrival: Int64? { upcoming.first?.at }

    // MARK: - Changes

    /// Adds mentions (any order; one already here is ignored) as of `now`.
    mutating func insert(_ new: [Point], now: Int64) {
        self.now = max(self.now, now)
        var due: [Point] = []
        for point in new {
            guard point.at > self.now else { due.append(point); continue }
            let index = Self.insertionIndex(of: point, in: upcoming)
            if index < upcoming.count, upcoming[index] == point { continue }
            upcoming.insert(point, at: index)
        }
        merge(due)
    }

    /// Moves time to `now`: upcoming mentions whose time came join, and points at or before `horizon` are dropped.
    mutating func advance(to now: Int64, horizon: Int64) {
        self.now = max(self.now, now)
        let arrived = upcoming.prefix { $0.at <= self.now }
        if !arrived.isEmpty {
            upcoming.removeFirst(arrived.count)
            merge(Array(arrived))
        }
        first = max(first, Self.upperBound(horizon, in: points, from: first))
        if first > 4096, first * 2 > points.count { compact() }
        for index in decays.indices where (Double(self.now - decays[index].base) / decays[index].halfLife) > 500 {
            rebuild(decay: index)
        }
    }

    private mutating func merge(_ due: [Point]) {
        guard !due.isEmpty else { return }
        var lowest = points.count
        for point in due.sorted(by: Self.precedes) {
            let index = Self.insertionIndex(of: point, in: points)
            if index < points.count, points[index].at == point.at, points[index].itemID == point.itemID { continue }
            points.insert(point, at: index)
            lowest = min(lowest, index)
            first = min(first, index)  // a late mention among dropped ones: the next `advance` drops it again if it is that old
        }
        if lowest < points.count { recompute(from: lowest) }
    }

    /// Drops the points that left every window and rebuilds the sums over the rest.
    private mutating func compact() {
        points.removeFirst(first)
        first = 0
        negatives = [0]
        sentiments = [0]
        maxima = []
        for index in decays.indices { decays[index].weighted = [0]; decays[index].weights = [0] }
        recompute(from: 0)
    }

    /// Recomputes every sum over points[from...] (the earlier entries stay valid).
    private mutating func recompute(from start: Int) {
        negatives.removeSubrange((start + 1)...)
        sentiments.removeSubrange((start + 1)...)
        for point in points[start...] {
            negatives.append(negatives[negatives.count - 1] + (point.negative ? 1 : 0))
            sentiments.append(sentiments[sentiments.count - 1] + point.sentiment)
        }
        for index in decays.indices {
            if points.count > 0, decays[index].weights.count == 1 { decays[index].base = max(now, points[points.count - 1].at) }
            extend(decay: index, from: start)
        }
        while let top = maxima.last, Int(top) >= start { maxima.removeLast() }
        for index in start..<points.count {
            while let top = maxima.last, points[Int(top)].risk <= points[index].risk { maxima.removeLast() }
            maxima.append(Int32(index))
        }
    }

    private mutating func extend(decay index: Int, from start: Int) {
        decays[index].weighted.removeSubrange((start + 1)...)
        decays[index].weights.removeSubrange((start + 1)...)
        let base = decays[index].base, halfLife = decays[index].halfLife
        for point in points[start...] {
            let f = exp2(Double(point.at - base) / halfLife)
            decays[index].weighted.append(decays[index].weighted[decays[index].weighted.count - 1] + f * point.risk)
            decays[index].weights.append(decays[index].weights[decays[index].weights.count - 1] + f)
        }
    }

    /// Moves a half-life's base to `now`, so the newest points' factors stay small.
    private mutating func rebuild(decay index: Int) {
        decays[index].base = now
        extend(decay: index, from: 0)
    }

    // MARK: - Reading

    /// A rule's metrics at `end`, and when time alone next changes them (`nextChange`).
    func evaluate(_ rule: AlertRule, symbol: String, end: Int64) -> (metrics: EntityMetrics, due: Int64?) {
        (metrics(symbol: symbol, window: rule.window, end: end), nextChange(window: rule.window, end: end, countsBaseline: rule.metric == .burst))
    }

    /// The metrics of a window of `window` ms ending at `end` (as `EntityMetrics.compute` defines them).
    func metrics(symbol: String, window: Duration, end: Int64) -> EntityMetrics {
        let windowMs = window.millis
        let start = end - windowMs
        let baselineWindows = EntityMetrics.baselineWindows(window)
        var metrics = EntityMetrics(symbol: symbol, window: window, volume: 0, sentiment: 0, risk: 0, negativeShare: 0, burst: 0,
                                    itemRisk: 0, negatives: 0)
        let hi = upperBound(end), lo = upperBound(start)
        metrics.volume = hi - lo
        metrics.negatives = Int(negatives[hi] - negatives[lo])
        if metrics.volume > 0 {
            metrics.sentiment = (sentiments[hi] - sentiments[lo]) / Double(metrics.volume)
            metrics.negativeShare = Double(metrics.negatives) / Double(metrics.volume)
            metrics.itemRisk = maxRisk(lo, hi)
            if let decay = decays.first(where: { $0.window == windowMs }) {
                let scale = exp2(-Double(end - decay.base) / decay.halfLife)
                let weighted = max(0, decay.weighted[hi] - decay.weighted[lo]) * scale
                let weights = (decay.weights[hi] - decay.weights[lo]) * scale
                metrics.risk = weighted / (weights + 1)
            } else {
                metrics.risk = directRisk(lo, hi, end: end, halfLife: Double(windowMs) / 2)
            }
        }
        // The burst baseline: negatives per earlier window, counted from the running sums.
        let baselineStart = start - windowMs * Int64(baselineWindows)
        let baseLo = upperBound(baselineStart)
        let total = Int(negatives[lo] - negatives[baseLo])
        var sumSquares = 0.0
        if total > 0 {
            var upper = lo
            for k in 0..<baselineWindows {
                let lower = upperBound(start - windowMs * Int64(k + 1), below: upper)
                let count = Double(negatives[upper] - negatives[lower])
                sumSquares += count * count
                upper = lower
                if negatives[upper] - negatives[baseLo] == 0 { break }
            }
        }
        let mean = Double(total) / Double(baselineWindows)
        // Σ(x − mean)² over the windows = Σx² − n·mean².
        let variance = max(0, sumSquares / Double(baselineWindows) - mean * mean)
        metrics.burst = (Double(metrics.negatives) - mean) / max(variance.squareRoot(), 1)
        return metrics
    }

    /// The next time after `end` at which the metrics of a window of `window` ms change with no new
    /// mention: a point leaves the window (the oldest first), an upcoming one joins, or (for `burst`) a
    /// negative crosses from one baseline window into the next. Nil when nothing will change.
    func nextChange(window: Duration, end: Int64, countsBaseline: Bool) -> Int64? {
        let windowMs = window.millis
        var next = upcoming.first?.at
        func consider(_ time: Int64) { if time > end { next = min(next ?? time, time) } }
        let lo = upperBound(end - windowMs)
        if lo < points.count { consider(points[lo].at + windowMs) }
        if countsBaseline {
            let baselineStart = end - windowMs - windowMs * Int64(EntityMetrics.baselineWindows(window))
            for point in points[upperBound(baselineStart)..<lo] where point.negative {
                let age = end - point.at  // crosses into the next window when its age reaches a multiple of the window
                consider(end + (windowMs - age % windowMs))
            }
        }
        return next
    }

    /// The index after the last point at or before `time`.
    private func upperBound(_ time: Int64, below upper: Int? = nil) -> Int {
        Self.upperBound(time, in: points, from: first, to: upper ?? points.count)
    }

    private func maxRisk(_ lo: Int, _ hi: Int) -> Double {
        guard hi == points.count else { return points[lo..<hi].map(\.risk).max() ?? 0 }  // a window ending before the newest point
        // The first suffix maximum at or after lo.
        var a = 0, b = maxima.count
        while a < b {
            let mid = (a + b) / 2
            if Int(maxima[mid]) < lo { a = mid + 1 } else { b = mid }
        }
        return a < maxima.count ? points[Int(maxima[a])].risk : 0
    }

    private func directRisk(_ lo: Int, _ hi: Int, end: Int64, halfLife: Double) -> Double {
        var weighted = 0.0, weights = 0.0
        for point in points[lo..<hi] {
            let w = exp(-log(2) * Double(end - point.at) / halfLife)
            weighted += w * point.risk
            weights += w
        }
        return weighted / (weights + 1)
    }

    static func precedes(_ a: Point, _ b: Point) -> Bool { (a.at, a.itemID) < (b.at, b.itemID) }

    static func insertionIndex(of point: Point, in points: [Point]) -> Int {
        var a = 0, b = points.count
        while a < b {
            let mid = (a + b) / 2
            if precedes(points[mid], point) { a = mid + 1 } else { b = mid }
        }
        return a
    }

    static func upperBound(_ time: Int64, in points: [Point], from: Int, to: Int? = nil) -> Int {
        var a = from, b = to ?? points.count
        while a < b {
            let mid = (a + b) / 2
            if points[mid].at <= time { a = mid + 1 } else { b = mid }
        }
        return a
    }
}
