import Config
import Foundation

/// An inline SVG chart of one entity over the report's range: the risk index (the line `risk` rules
/// compare, solid), the mean item risk of each step (dots), each `risk` rule's threshold (dashed,
/// named), a 0…1 axis and a time axis in UTC. Both series are on the 0…1 risk scale.
struct RiskChart {
    struct Threshold { let rule: String; let value: Double }

    var riskIndex: [Double?]
    var itemRisk: [Double?]
    var stepEnds: [Date]
    var thresholds: [Threshold]
    var window: Duration
    /// The drawing's own units: text is 10 units high, so a wider drawing keeps its labels small on a wide page.
    var width = 600.0
    var height = 150.0

    static let indexColour = "#1a56b0", itemColour = "#c62828", thresholdColour = "#8a5300"

    func svg() -> String {
        let left = 30.0, right = 8.0, top = 8.0, bottom = 18.0
        let plotW = width - left - right, plotH = height - top - bottom
        let n = max(stepEnds.count, 1)
        func x(_ i: Int) -> Double { left + plotW * Double(i + 1) / Double(n) }
        func y(_ v: Double) -> Double { top + plotH * (1 - min(max(v, 0), 1)) }
        var out = "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"100%\" role=\"img\" aria-label=\"risk index and mean item risk over time\">"
        for tick in [0.0, 0.5, 1.0] {
            out += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e6e8ec\"/>", left, y(tick), width - right, y(tick))
            out += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.1f</text>", left - 4, y(tick) + 3, tick)
        }
        // Time axis: the range's start and every quarter of it.
        if let first = stepEnds.first, let last = stepEnds.last {
            let start = first.addingTimeInterval(-(stepEnds.count > 1 ? stepEnds[1].timeIntervalSince(first) : 3600))
            let span = last.timeIntervalSince(start)
            for q in 0...4 {
                let at = start.addingTimeInterval(span * Double(q) / 4)
                let px = left + plotW * Double(q) / 4
                let anchor = q == 0 ? "start" : q == 4 ? "end" : "middle"
                out += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e6e8ec\"/>", px, top, px, top + plotH)
                out += "<text x=\"\(String(format: "%.1f", px))\" y=\"\(Int(height) - 4)\" text-anchor=\"\(anchor)\">"
                    + HTMLPage.clock(at) + (q == 4 ? " UTC" : "") + "</text>"
            }
        }
        for t in thresholds {
            out += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%@\" stroke-dasharray=\"5 4\"/>",
                          left, y(t.value), width - right, y(t.value), Self.thresholdColour)
            out += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" style=\"fill:%@\">", width - right - 2, y(t.value) - 3, Self.thresholdColour)
                + HTMLPage.esc("\(t.rule) ≥ \(String(format: "%.2f", t.value))") + "</text>"
        }
        out += "<path d=\"\(Self.path(riskIndex, x: x, y: y))\" fill=\"none\" stroke=\"\(Self.indexColour)\" stroke-width=\"2\"/>"
        out += "<g fill=\"\(Self.itemColour)\">"
        for (i, v) in itemRisk.enumerated() { if let v { out += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.4\"/>", x(i), y(v)) } }
        out += "</g></svg>"
        return out
    }

    /// The legend under the chart, naming both series and the thresholds.
    func legend() -> String {
        var out = "<div class=\"legend\"><span><span class=\"swatch\" style=\"background:\(Self.indexColour)\"></span>risk index (\(DurationText.format(window)) window, decayed)</span>"
        out += "<span><span class=\"swatch\" style=\"background:\(Self.itemColour);height:6px;width:6px;border-radius:3px\"></span>mean item risk per step</span>"
        if !thresholds.isEmpty {
            out += "<span><span class=\"swatch\" style=\"background:repeating-linear-gradient(90deg,\(Self.thresholdColour) 0 5px,transparent 5px 9px)\"></span>rule threshold</span>"
        }
        return out + "</div>"
    }

    /// A polyline through the points that have data; a gap where a step has none.
    static func path(_ values: [Double?], x: (Int) -> Double, y: (Double) -> Double) -> String {
        var d = "", open = false
        for (i, v) in values.enumerated() {
            guard let v else { open = false; continue }
            d += (open ? "L" : "M") + String(format: "%.1f,%.1f", x(i), y(v))
            open = true
        }
        return d
    }

    /// The thresholds of the `above` rules on the risk index (metric `risk`) that apply to `symbol`.
    static func thresholds(_ config: MonitorConfig, symbol: String) -> [Threshold] {
        config.rules.compactMap { rule in
            guard rule.metric == .risk, rule.entities.isEmpty || rule.entities.contains(symbol) else { return nil }
            switch rule.threshold {
            case let .above(limit, _): return Threshold(rule: rule.id, value: limit)
            case .below: return nil
            }
        }
    }
}
