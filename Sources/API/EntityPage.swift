import Config
import Foundation
import Hummingbird
import Reports
import Store

/// `/entity/SYMBOL`: one entity over `since` (default 24h): its numbers, the risk chart against the
/// rules' thresholds, its alerts (any state, the last 7 days), and its items newest first with their
/// scores and the words behind each score.
enum EntityPage {
    static let maxItems = 200
    static let maxStories = 20

    static func page(_ deps: APIRoutes.Dependencies, symbol raw: String, request: Request) async throws -> Response {
        let config = deps.current.config
        let symbol = (raw.removingPercentEncoding ?? raw).uppercased()
        let now = Date()
        let since: Date
        switch APIQuery.since(request.uri, now: now) {
        case let .success(s): since = s
        case let .failure(refusal): return try APIRoutes.json(["error": refusal.message], status: .badRequest)
        }
        var query = RiskReport.Query(since: since, until: now)
        query.entities = [symbol]
        query.riskTrend = true
        let report = try await RiskReport.build(query, config: config, modelVersion: deps.modelVersion, store: deps.store)
        let alerts = try await deps.store.alerts(activeOrResolvedAfter: now.addingTimeInterval(-7 * 86_400), limit: 1000)
        let firing = alerts.filter { $0.alert.state == .firing }.count
        guard let e = report.entities.first else {
            let body = "<p><a href=\"/\">← dashboard</a></p><h1>\(HTMLPage.esc(symbol))</h1>"
                + "<p>Unknown entity: not on the watchlist and not mentioned since \(HTMLPage.esc(HTMLPage.time(since))).</p>"
            var response = APIRoutes.text(HTMLPage.page(title: "\(symbol) · FinSent Monitor", firing: firing, body: body), type: "text/html; charset=utf-8")
            response.status = .notFound
            return response
        }
        let observations = try await deps.store.observations(symbol: symbol, from: since, to: now, modelVersion: deps.modelVersion)

        var html = "<p class=\"small\"><a href=\"/\">← dashboard</a></p>"
        html += "<h1>\(HTMLPage.esc(e.symbol)) <span class=\"muted\">\(HTMLPage.esc(e.name ?? ""))</span></h1>"
        html += "<p class=\"muted small\">since \(HTMLPage.esc(HTMLPage.time(since))) · \(e.onWatchlist ? "on the watchlist" : "not on the watchlist") · model \(HTMLPage.esc(deps.modelVersion))</p>"
        html += "<div class=\"card\"><div class=\"nums\"><span>risk index (\(DurationText.format(query.window))) <b>\(HTMLPage.number(e.riskIndex, "%.2f"))</b></span>"
        html += "<span>mean sentiment <b>\(HTMLPage.number(e.meanSentiment, "%+.2f"))</b></span><span>negative <b>\(HTMLPage.percent(e.negativeShare))</b></span>"
        html += "<span>items <b>\(e.items)</b></span><span>stories <b>\(e.stories)</b></span><span>burst <b>\(HTMLPage.number(e.burst, "%.1f"))</b></span></div>"
        let chart = RiskChart(riskIndex: e.riskTrend, itemRisk: e.trend, stepEnds: e.stepEnds,
                              thresholds: RiskChart.thresholds(config, symbol: e.symbol), window: query.window, width: 1200, height: 260)
        html += chart.svg() + chart.legend() + "</div>"
        html += "<h2>Alerts, last 7 days</h2>"
        html += AlertCards.html(alerts.filter { $0.alert.kind == .threshold && $0.alert.entity == symbol }, now: now, emptyText: "No alerts for \(symbol).")
        let stories = try await deps.store.stories(StoryQuery(modelVersion: deps.modelVersion, since: since, symbol: symbol, limit: 200))
            .sorted { ($0.size, $0.lastSeen) > ($1.size, $1.lastSeen) }
        html += "<h2>Top stories (\(stories.count)\(stories.count > maxStories ? ", largest \(maxStories) shown" : ""))</h2>"
        if stories.isEmpty { html += "<p class=\"muted\">No stories for \(HTMLPage.esc(symbol)) since \(HTMLPage.esc(HTMLPage.time(since))).</p>" }
        else {
            html += "<table class=\"stack\" id=\"stories\"><thead><tr><th>first seen</th><th>story</th><th>items</th><th>sources</th><th>last seen</th></tr></thead><tbody>"
            for story in stories.prefix(maxStories) {
                html += "<tr><td data-label=\"first seen\">\(HTMLPage.time(story.firstSeen))</td>"
                html += "<td data-label=\"story\" class=\"wrap\">\(HTMLPage.itemLink(story.title, story.link)) <span class=\"muted small\">#\(story.id)</span></td>"
                html += "<td data-label=\"items\">\(story.size)</td><td data-label=\"sources\" class=\"wrap\">\(HTMLPage.esc(story.sources.joined(separator: ", ")))</td>"
                html += "<td data-label=\"last seen\">\(HTMLPage.time(story.lastSeen))</td></tr>"
            }
            html += "</tbody></table>"
        }
        html += "<h2>Items (\(observations.count)\(observations.count > maxItems ? ", newest \(maxItems) shown" : ""))</h2>"
        html += "<table class=\"stack\"><thead><tr><th>published</th><th>item</th><th>source</th><th>label</th><th>sentiment</th><th>risk</th><th>topic</th><th>words</th></tr></thead><tbody>"
        for o in observations.sorted(by: { $0.publishedAt > $1.publishedAt }).prefix(maxItems) {
            let labelClass = o.label == "negative" ? "bad" : o.label == "positive" ? "up" : "muted"
            html += "<tr><td data-label=\"published\">\(HTMLPage.time(o.publishedAt))</td><td data-label=\"item\" class=\"wrap\">\(HTMLPage.itemLink(o.title, o.link)) <span class=\"muted small\">#\(o.itemID)</span></td>"
            html += "<td data-label=\"source\">\(HTMLPage.esc(o.feedID))</td><td data-label=\"label\" class=\"\(labelClass)\">\(HTMLPage.esc(o.label))</td>"
            html += "<td data-label=\"sentiment\">\(String(format: "%+.2f", o.sentiment))</td><td data-label=\"risk\">\(String(format: "%.2f", o.risk))</td>"
            html += "<td data-label=\"topic\">\(HTMLPage.esc(o.topic ?? "—"))</td><td data-label=\"words\" class=\"muted wrap\">\(HTMLPage.esc(o.words.prefix(5).joined(separator: ", ")))</td></tr>"
        }
        html += "</tbody></table>"
        return APIRoutes.text(HTMLPage.page(title: "\(e.symbol) · FinSent Monitor", firing: firing, body: html), type: "text/html; charset=utf-8")
    }
}
