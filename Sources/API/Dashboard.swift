import Config
import Foundation
import Hummingbird
import Reports
import Store

/// The self-contained dashboard at `/`: risk over the last 24 h per watched entity as inline
/// SVG, firing alerts with their evidence, feed health. No scripts, no external assets;
/// every piece of feed text is HTML-escaped. Refreshes itself every 30 s.
enum Dashboard {
    static func page(_ deps: APIRoutes.Dependencies) async throws -> Response {
        let config = deps.current.config
        let now = Date()
        var query = RiskReport.Query(since: now.addingTimeInterval(-86_400), until: now)
        query.entities = config.watchlist.map(\.symbol)
        query.top = 50
        let finalQuery = query
        let report = try await RiskReport.build(finalQuery, config: config, modelVersion: deps.modelVersion, store: deps.store)
        let firing = try await deps.store.firingAlerts()
        let feeds = try await deps.store.feeds()
        var html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="30">
            <meta name="viewport" content="width=device-width, initial-scale=1"><title>FinSent Monitor</title>
            <style>
            body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1d2330;background:#f7f8fa}
            h1{font-size:1.3rem}h2{font-size:1.05rem;margin-top:1.6rem}
            .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:12px}
            .card{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:10px}
            .firing{border-color:#c62828}.sym{font-weight:600}.muted{color:#667085}
            table{border-collapse:collapse;background:#fff}td,th{border:1px solid #dde1e7;padding:4px 8px;text-align:left}
            .bad{color:#c62828}.warn{color:#b26a00}.ok{color:#2e7d32}
            </style></head><body>
            <h1>FinSent Monitor</h1>
            <p class="muted">\(esc(JSONText.timestamp(now))) · model \(esc(deps.modelVersion)) · \(config.feeds.count) feeds · \(config.watchlist.count) entities</p>
            <h2>Risk, last 24 hours</h2><div class="grid">
            """
        for e in report.entities {
            let alerting = !e.firingAlerts.isEmpty
            html += "<div class=\"card\(alerting ? " firing" : "")\"><span class=\"sym\">\(esc(e.symbol))</span> <span class=\"muted\">\(esc(e.name ?? ""))</span><br>"
            html += "<span class=\"muted\">\(e.items) items · risk \(String(format: "%.2f", e.riskIndex)) · sentiment \(String(format: "%+.2f", e.meanSentiment)) · negative \(Int((e.negativeShare * 100).rounded()))%</span>"
            html += chart(e.trend)
            if alerting { html += "<div class=\"bad\">firing: \(esc(e.firingAlerts.joined(separator: ", ")))</div>" }
            html += "</div>"
        }
        if report.entities.isEmpty { html += "<p class=\"muted\">No entities on the watchlist.</p>" }
        html += "</div><h2>Firing alerts</h2>"
        if firing.isEmpty { html += "<p class=\"muted\">None.</p>" }
        for entry in firing {
            let alert = entry.alert
            let details = entry.details.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] } ?? [:]
            html += "<div class=\"card firing\"><span class=\"sym\">\(esc(alert.entity))</span> · \(esc(alert.ruleID)) · \(esc(alert.severity?.rawValue ?? ""))"
            html += " · value \(String(format: "%.3f", alert.value ?? 0)) · since \(esc(JSONText.timestamp(alert.firedAt ?? alert.startedAt)))"
            if let evidence = details["evidence"] as? [[String: Any]], !evidence.isEmpty {
                html += "<ul>"
                for item in evidence {
                    let title = esc(item["title"] as? String ?? "")
                    let link = (item["link"] as? String).flatMap { $0.hasPrefix("http") ? $0 : nil }
                    html += "<li>" + (link.map { "<a href=\"\(esc($0))\" rel=\"noreferrer\">\(title)</a>" } ?? title)
                    html += " <span class=\"muted\">\(esc(item["source"] as? String ?? "")) · risk \(item["risk"] ?? "") · \(esc((item["words"] as? [String] ?? []).prefix(5).joined(separator: ", ")))</span></li>"
                }
                html += "</ul>"
            } else if let source = details["source"] as? [String: Any] {
                html += "<div class=\"muted\">\(esc(source["error"] as? String ?? ""))</div>"
            }
            html += "</div>"
        }
        html += "<h2>Feeds</h2><table><tr><th>feed</th><th>status</th><th>last HTTP</th><th>errors</th><th>items</th><th>last error</th></tr>"
        for feed in feeds {
            let health = feed.health(configured: true)
            let style = switch health {
            case .unhealthy: "bad"
            case .backingOff: "warn"
            case .new, .removed: "muted"
            case .healthy: "ok"
            }
            html += "<tr><td>\(esc(feed.id))</td><td class=\"\(style)\">\(health.rawValue)</td><td>\(feed.lastStatus.map(String.init) ?? "-")</td>"
            html += "<td>\(feed.errorStreak)</td><td>\(feed.itemsSeen)</td><td class=\"muted\">\(esc(feed.lastError ?? ""))</td></tr>"
        }
        html += "</table></body></html>\n"
        return APIRoutes.text(html, type: "text/html; charset=utf-8")
    }

    /// A 280×60 line chart of mean item risk (0…1) per step; gaps where a step has no items.
    static func chart(_ values: [Double?]) -> String {
        let width = 280.0, height = 60.0
        let step = width / Double(max(values.count - 1, 1))
        var paths: [String] = []
        var current = ""
        for (i, value) in values.enumerated() {
            guard let value else {
                if !current.isEmpty { paths.append(current); current = "" }
                continue
            }
            let x = Double(i) * step, y = height - value * height
            current += (current.isEmpty ? "M" : "L") + String(format: "%.1f,%.1f", x, y)
        }
        if !current.isEmpty { paths.append(current) }
        let dots = values.enumerated().compactMap { i, v in
            v.map { String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"1.8\"/>", Double(i) * step, height - $0 * height) }
        }.joined()
        return """
            <svg viewBox="-2 -2 \(Int(width) + 4) \(Int(height) + 4)" width="100%" height="64" role="img" aria-label="risk over 24 hours">\
            <line x1="0" y1="\(height / 2)" x2="\(width)" y2="\(height / 2)" stroke="#eee"/>\
            <path d="\(paths.joined(separator: " "))" fill="none" stroke="#c62828" stroke-width="1.5"/><g fill="#c62828">\(dots)</g></svg>
            """
    }

    static func esc(_ text: String) -> String {
        var out = ""
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: if c.value >= 0x20 || c == "\n" { out.unicodeScalars.append(c) }
            }
        }
        return out
    }
}
