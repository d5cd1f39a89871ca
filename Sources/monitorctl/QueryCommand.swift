import ArgumentParser
import Feeds
import Foundation
import Config
import Monitor
import Reports

/// `monitorctl query`: the risk report.
struct QueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "What is risky and why: per-entity risk over a time range.",
        discussion: """
            Per entity: items, stories (one event's copies count once), mean sentiment, risk index (time-decayed mean item risk over --window ending at \
            --until), negative share, burst score, a trend sparkline of mean item risk over the range, firing \
            alerts, and the top negative headlines. JSON and CSV are stable for scripts (README, "monitorctl query").
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json, csv }

    @OptionGroup var options: ConfigOptions
    @Option(name: .customLong("entity"), help: "A ticker symbol; repeat for several. Default: the watchlist and every entity mentioned.")
    var entities: [String] = []
    @Option(help: "Start of the range, as a duration back from now (24h) or an RFC 3339 time.") var since = "24h"
    @Option(help: "End of the range, like --since. Default: now.") var until: String?
    @Option(help: "At most this many entities.") var top = 10
    @Option(help: "risk, burst, volume or sentiment (most negative first).") var sort: RiskReport.Sort = .risk
    @Option(help: "Window of the risk index and burst score.") var window = "1h"
    @Option(help: "table, json or csv") var format: Format = .table

    func run() async throws {
        let now = Date()
        guard let since = DurationText.pointInTime(since, now: now), let until = until.map({ DurationText.pointInTime($0, now: now) }) ?? now,
              since < until else {
            printError("monitorctl: --since/--until: expected durations back from now (24h) or RFC 3339 times, since before until")
            throw ExitCode(ExitStatus.usage)
        }
        guard let windowDuration = DurationText.parse(window), windowDuration > .zero else {
            printError("monitorctl: --window: expected a duration like \"1h\"")
            throw ExitCode(ExitStatus.usage)
        }
        let (config, store) = try await options.openStore()
        var query = RiskReport.Query(since: since, until: until)
        query.entities = entities
        query.top = max(1, top)
        query.sort = sort
        query.window = windowDuration
        let version = configuredModelVersion(config)
        let report = try await RiskReport.build(query, config: config, modelVersion: version, store: store)
        var out = OutputBuffer()
        switch format {
        case .json:
            out.write(try JSONText.encode(report.document) + "\n")
        case .csv:
            out.write("symbol,name,items,mean_sentiment,negative_share,risk_index,burst,firing_alerts,top_headline,top_headline_source,top_headline_published,top_headline_item_id,stories,top_headline_story_items\n")
            for e in report.entities {
                let h = e.topNegative.first
                out.write([e.symbol, e.name ?? "", String(e.items), fmt(e.meanSentiment), fmt(e.negativeShare), fmt(e.riskIndex), fmt(e.burst),
                           e.firingAlerts.joined(separator: ";"), h?.title ?? "", h?.source ?? "", h.map { JSONText.timestamp($0.published) } ?? "",
                           h.map { String($0.itemID) } ?? "", String(e.stories), h.map { String($0.storyItems) } ?? ""]
                    .map(csvField).joined(separator: ",") + "\n")
            }
        case .table:
            out.write(table(report, colour: Terminal.colourEnabled))
        }
        out.flush()
        if !report.unknownEntities.isEmpty {
            printError("monitorctl: unknown entit\(report.unknownEntities.count == 1 ? "y" : "ies") \(report.unknownEntities.joined(separator: ", ")): "
                + "not on the watchlist and not mentioned in the range")
            throw ExitCode(ExitStatus.noInput)
        }
    }

    /// Four decimals; empty where there is no data (CSV's null).
    func fmt(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "" }

    /// For the table: "—" where there is no data.
    func cell(_ x: Double?, _ format: String) -> String { x.map { String(format: format, $0) } ?? "—" }

    func csvField(_ text: String) -> String {
        let clean = Terminal.sanitise(text)
        guard clean.contains(where: { $0 == "," || $0 == "\"" }) else { return clean }
        return "\"" + clean.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    func table(_ report: RiskReport, colour: Bool) -> String {
        guard report.modelVersion != nil else { return "no scored items yet\n" }
        if report.entities.isEmpty { return report.unknownEntities.isEmpty ? "no entities in range\n" : "" }
        func paint(_ text: String, _ code: String) -> String { colour ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
        var rows = [["ENTITY", "ITEMS", "STORIES", "SENTIMENT", "RISK", "NEG%", "BURST", "TREND", "ALERTS"]]
        for e in report.entities {
            rows.append([e.symbol, String(e.items), String(e.stories), cell(e.meanSentiment, "%+.2f"), cell(e.riskIndex, "%.2f"),
                         e.negativeShare.map { String(format: "%.0f%%", $0 * 100) } ?? "—", cell(e.burst, "%.1f"), Sparkline.render(e.trend),
                         e.firingAlerts.isEmpty ? "-" : e.firingAlerts.joined(separator: ",")])
        }
        var text = "risk \(FeedDate.rfc3339(report.query.since)) → \(FeedDate.rfc3339(report.query.until)), window \(DurationText.format(report.query.window)), model \(report.modelVersion!)\n\n"
        let lines = renderTable(rows).split(separator: "\n", omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() {
            if index == 0 { text += paint(String(line), "1") + "\n"; continue }
            guard index - 1 < report.entities.count else { continue }
            let e = report.entities[index - 1]
            text += (e.firingAlerts.isEmpty ? String(line) : paint(String(line), "31")) + "\n"
        }
        for e in report.entities where !e.topNegative.isEmpty || !e.topPositive.isEmpty {
            let name = paint("\(e.symbol)\(e.name.map { " (\(Terminal.sanitise($0)))" } ?? "")", "1")
            if !e.topNegative.isEmpty {
                text += "\n\(name) top negative (risk):\n"
                for h in e.topNegative { text += line(h, String(format: "%.2f", h.risk)) }
            }
            if !e.topPositive.isEmpty {
                text += "\n\(name) top positive (sentiment):\n"
                for h in e.topPositive { text += line(h, String(format: "%+.2f", h.sentiment)) }
            }
        }
        if report.entities.contains(where: { !$0.topNegative.isEmpty || !$0.topPositive.isEmpty }) {
            text += "\n(#N is the item id: monitorctl explain N; ×N: the story's items in the range, monitorctl stories)\n"
        }
        return text
    }

    func line(_ h: RiskReport.Headline, _ value: String) -> String {
        "  \(value)  #\(h.itemID)  \(Terminal.sanitise(h.title))  — \(Terminal.sanitise(h.source)), \(JSONText.timestamp(h.published))"
            + (h.storyItems > 1 ? "  ×\(h.storyItems)" : "") + "\n"
    }

}

extension RiskReport.Sort: ExpressibleByArgument {}

/// ▁▂▃▄▅▆▇█ for 0…1; a space where there is no data.
enum Sparkline {
    static let blocks: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
    static func render(_ values: [Double?]) -> String {
        String(values.map { value in
            guard let value else { return " " }
            return blocks[min(blocks.count - 1, max(0, Int((value * Double(blocks.count)).rounded(.down))))]
        })
    }
}
