import Config
import Foundation
import Hummingbird
import Reports
import Store

/// The dashboard at `/`: health first (why it is degraded, if it is), then alerts (firing, pending,
/// resolved in the last 24 h) with their evidence, then one card per watched entity — its numbers,
/// named, and a chart of the risk index against the rules' thresholds — then the feeds. Each entity
/// links to its own page. No scripts, no external assets; every piece of feed text is escaped.
enum Dashboard {
    static let cards = 60

    static func page(_ deps: APIRoutes.Dependencies) async throws -> Response {
        let config = deps.current.config
        let now = Date()
        var query = RiskReport.Query(since: now.addingTimeInterval(-86_400), until: now)
        query.entities = config.watchlist.map(\.symbol)
        query.top = cards
        query.riskTrend = true
        query.headlines = 2
        let finalQuery = query
        let report = try await RiskReport.build(finalQuery, config: config, modelVersion: deps.modelVersion, store: deps.store)
        let alerts = try await deps.store.alerts(activeOrResolvedAfter: now.addingTimeInterval(-86_400), limit: 200)
        let feeds = try await deps.store.feeds()
        let health = HealthReport(databaseOK: true, heartbeat: deps.stats.scorerHeartbeat ?? deps.started, feeds: feeds, config: config, started: deps.started, now: now)
        let firing = alerts.filter { $0.alert.state == .firing }.count

        var html = "<h1>FinSent Monitor</h1>"
        html += "<p class=\"muted small\">\(HTMLPage.esc(HTMLPage.time(now))) · model \(HTMLPage.esc(deps.modelVersion)) · "
            + "\(config.feeds.count) feeds · \(config.watchlist.count) entities · \(firing) firing · refreshes every 30 s</p>"
        html += healthBanner(health)
        html += "<h2>Alerts</h2>" + AlertCards.html(alerts, now: now, emptyText: "No alert firing, pending or resolved in the last 24 hours.")
        html += "<h2>Entities, last 24 hours</h2>"
        html += "<p class=\"muted small\">Risk index: time-decayed mean item risk over the last \(DurationText.format(query.window)) "
            + "(what risk rules compare). Sentiment: mean of P(positive) − P(negative) over 24 h, −1…+1. “—”: no items.</p>"
        html += "<div class=\"grid\">"
        for e in report.entities { html += card(e, config: config, window: query.window) }
        html += "</div>"
        if report.entities.isEmpty { html += "<p class=\"muted\">No entities on the watchlist.</p>" }
        if config.watchlist.count > cards {
            html += "<p class=\"muted small\">The \(cards) riskiest of \(config.watchlist.count) entities; others at /entity/SYMBOL or with monitorctl query.</p>"
        }
        html += "<h2>Feeds</h2>" + feedTable(FeedListDocument(records: feeds, config: config))
        return APIRoutes.text(HTMLPage.page(title: "FinSent Monitor", firing: firing, body: html), type: "text/html; charset=utf-8")
    }

    static func healthBanner(_ health: HealthReport) -> String {
        guard health.status != .ok else { return "" }
        var html = "<div class=\"banner \(health.status.rawValue)\"><b>\(health.status == .unhealthy ? "Unhealthy" : "Degraded")</b><ul class=\"items\">"
        for reason in health.reasons { html += "<li>\(HTMLPage.esc(reason))</li>" }
        return html + "</ul></div>"
    }

    static func card(_ e: RiskReport.Entity, config: MonitorConfig, window: Duration) -> String {
        let state = !e.firingAlerts.isEmpty ? " firing" : ""
        var html = "<div class=\"card\(state)\"><a class=\"sym\" href=\"\(HTMLPage.entityPath(e.symbol))\">\(HTMLPage.esc(e.symbol))</a> "
        html += "<span class=\"muted\">\(HTMLPage.esc(e.name ?? ""))</span>"
        html += "<div class=\"nums\"><span>risk index <b>\(HTMLPage.number(e.riskIndex, "%.2f"))</b></span>"
        html += "<span>sentiment <b>\(HTMLPage.number(e.meanSentiment, "%+.2f"))</b></span>"
        html += "<span>negative <b>\(HTMLPage.percent(e.negativeShare))</b></span><span>items <b>\(e.items)</b></span>"
        html += "<span>burst <b>\(HTMLPage.number(e.burst, "%.1f"))</b></span></div>"
        let chart = RiskChart(riskIndex: e.riskTrend, itemRisk: e.trend, stepEnds: e.stepEnds,
                              thresholds: RiskChart.thresholds(config, symbol: e.symbol), window: window, width: 420, height: 130)
        html += chart.svg() + chart.legend()
        if !e.firingAlerts.isEmpty { html += "<div class=\"bad\">firing: \(HTMLPage.esc(e.firingAlerts.joined(separator: ", ")))</div>" }
        if let worst = e.topNegative.first {
            html += "<div class=\"small\"><span class=\"bad\">▼ risk \(String(format: "%.2f", worst.risk))</span> \(HTMLPage.itemLink(worst.title, worst.link))</div>"
        }
        if let best = e.topPositive.first {
            html += "<div class=\"small\"><span class=\"up\">▲ sentiment \(String(format: "%+.2f", best.sentiment))</span> \(HTMLPage.itemLink(best.title, best.link))</div>"
        }
        return html + "</div>"
    }

    static func feedTable(_ document: FeedListDocument) -> String {
        var html = "<table class=\"stack\"><thead><tr><th>feed</th><th>status</th><th>last success</th><th>HTTP</th><th>errors</th><th>items</th><th>last error</th></tr></thead><tbody>"
        for feed in document.feeds {
            let style = switch feed.status {
            case FeedHealth.unhealthy.rawValue: "bad"
            case FeedHealth.backingOff.rawValue: "warn"
            case FeedHealth.healthy.rawValue: "ok"
            default: "muted"
            }
            html += "<tr><td data-label=\"feed\" class=\"wrap\">\(HTMLPage.esc(feed.id))</td><td data-label=\"status\" class=\"\(style)\">\(HTMLPage.esc(feed.status))</td>"
            html += "<td data-label=\"last success\">\(HTMLPage.time(feed.lastSuccess))</td><td data-label=\"HTTP\">\(feed.lastStatus.map(String.init) ?? "—")</td>"
            html += "<td data-label=\"errors\">\(feed.errorStreak)</td><td data-label=\"items\">\(feed.itemsSeen)</td>"
            html += "<td data-label=\"last error\" class=\"muted wrap\">\(HTMLPage.esc(feed.lastError ?? "—"))</td></tr>"
        }
        return html + "</tbody></table>"
    }
}

/// Alert cards, firing first, then pending, then resolved; each with its evidence.
enum AlertCards {
    static func html(_ alerts: [AlertWithDetails], now: Date, emptyText: String) -> String {
        guard !alerts.isEmpty else { return "<p class=\"muted\">\(HTMLPage.esc(emptyText))</p>" }
        let order: [AlertState: Int] = [.firing: 0, .pending: 1, .resolved: 2]
        let sorted = alerts.sorted { (order[$0.alert.state] ?? 3, $1.alert.updatedAt) < (order[$1.alert.state] ?? 3, $0.alert.updatedAt) }
        var html = "<div class=\"grid\">"
        for entry in sorted {
            let a = entry.alert
            let css = a.state == .firing ? " firing" : a.state == .pending ? " pending" : ""
            let stateClass = a.state == .firing ? "bad" : a.state == .pending ? "warn" : "muted"
            html += "<div class=\"card\(css)\"><span class=\"\(stateClass)\"><b>\(a.state.rawValue)</b></span> · "
            html += a.kind == .threshold ? "<a class=\"sym\" href=\"\(HTMLPage.entityPath(a.entity))\">\(HTMLPage.esc(a.entity))</a>" : "<span class=\"sym\">\(HTMLPage.esc(a.entity))</span>"
            html += " · \(HTMLPage.esc(a.ruleID)) · \(HTMLPage.esc(a.severity?.rawValue ?? "—")) · value \(HTMLPage.number(a.value, "%.3f"))"
            html += "<div class=\"muted small\">"
            switch a.state {
            case .firing: html += "firing since \(HTMLPage.time(a.firedAt ?? a.startedAt))"
            case .pending: html += "pending since \(HTMLPage.time(a.startedAt))"
            default: html += "resolved \(HTMLPage.time(a.resolvedAt)) (fired \(HTMLPage.time(a.firedAt)))"
            }
            html += "</div>"
            let details = entry.details.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] } ?? [:]
            if let evidence = details["evidence"] as? [[String: Any]], !evidence.isEmpty {
                html += "<ul class=\"items small\">"
                for item in evidence.prefix(5) {
                    html += "<li>" + HTMLPage.itemLink(item["title"] as? String ?? "", item["link"] as? String)
                    let words = (item["words"] as? [String] ?? []).prefix(5).joined(separator: ", ")
                    html += " <span class=\"muted\">\(HTMLPage.esc(item["source"] as? String ?? "")) · risk \(HTMLPage.number(item["risk"] as? Double, "%.2f"))"
                    html += words.isEmpty ? "" : " · \(HTMLPage.esc(words))"
                    html += "</span></li>"
                }
                html += "</ul>"
            } else if let source = details["source"] as? [String: Any], let error = source["error"] as? String {
                html += "<div class=\"muted small\">\(HTMLPage.esc(error))</div>"
            }
            html += "</div>"
        }
        return html + "</div>"
    }
}
