import Config
import Foundation

/// The dashboard's shared page frame and text helpers. Pages carry no scripts and no external
/// assets (the CSP says so), and every piece of feed text goes through `esc`.
enum HTMLPage {
    static let style = """
        *{box-sizing:border-box}
        body{font:14px/1.45 system-ui,-apple-system,"DejaVu Sans",sans-serif;margin:0;padding:1rem 1.25rem 2rem;color:#1d2330;background:#f5f6f8;max-width:1400px}
        a{color:#1a56b0}h1{font-size:1.3rem;margin:.2rem 0}h2{font-size:1.05rem;margin:1.6rem 0 .6rem}
        .muted{color:#5b6472}.small{font-size:12px}
        .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,420px),1fr));gap:12px}
        .card{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:10px 12px;min-width:0}
        .card.firing{border-color:#c62828;box-shadow:inset 4px 0 #c62828}.card.pending{box-shadow:inset 4px 0 #b26a00}
        .sym{font-weight:650;font-size:1.05rem}
        .nums{display:flex;flex-wrap:wrap;gap:4px 14px;margin:4px 0}.nums b{font-variant-numeric:tabular-nums}
        .banner{padding:8px 12px;border-radius:6px;margin:.6rem 0}.banner.degraded{background:#fff4e0;border:1px solid #e0a040}
        .banner.unhealthy{background:#fde8e8;border:1px solid #c62828}
        .bad{color:#b71c1c}.warn{color:#8a5300}.ok{color:#1e6b24}.up{color:#1e6b24}
        table{border-collapse:collapse;background:#fff;width:100%}td,th{border:1px solid #dde1e7;padding:4px 8px;text-align:left;vertical-align:top}
        td.wrap{overflow-wrap:anywhere}td{overflow-wrap:break-word}
        ul.items{padding-left:1.1rem;margin:.3rem 0}ul.items li{margin:.15rem 0}
        svg text{font:10px system-ui,"DejaVu Sans",sans-serif;fill:#5b6472}
        .legend{display:flex;flex-wrap:wrap;gap:2px 12px;font-size:12px;color:#5b6472}
        .swatch{display:inline-block;width:14px;height:3px;vertical-align:middle;margin-right:4px}
        @media (max-width:640px){
          body{padding:.75rem}
          table.stack thead{display:none}
          table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:100%}
          table.stack tr{border:1px solid #dde1e7;margin-bottom:8px;background:#fff}
          table.stack td{border:none;border-bottom:1px solid #eef0f3}
          table.stack td::before{content:attr(data-label) ": ";font-weight:600;color:#5b6472}
        }
        """

    /// A whole page; the title carries the firing count first, so a browser tab shows it.
    static func page(title: String, firing: Int, body: String) -> String {
        let prefix = firing > 0 ? "(\(firing) firing) " : ""
        return """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="30">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:">
            <title>\(esc(prefix + title))</title><style>\(style)</style></head><body>
            \(body)
            </body></html>

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

    /// A number, or "—" where there is no data (no data is not a zero).
    static func number(_ value: Double?, _ format: String) -> String {
        value.map { String(format: format, $0) } ?? "—"
    }

    static func percent(_ value: Double?) -> String {
        value.map { "\(Int(($0 * 100).rounded()))%" } ?? "—"
    }

    /// "2026-12-01 14:05 UTC": `JSONText.timestamp` (one cached format style) cut to the minute, as a row of
    /// thousands of feeds needs it without a formatter each.
    static func time(_ date: Date?) -> String {
        guard let date else { return "—" }
        return JSONText.timestamp(date).prefix(16).replacingOccurrences(of: "T", with: " ") + " UTC"
    }

    /// "14:05" in UTC.
    static func clock(_ date: Date) -> String { String(JSONText.timestamp(date).dropFirst(11).prefix(5)) }

    /// A link to the item itself when it is http(s), else the escaped title alone.
    static func itemLink(_ title: String, _ link: String?) -> String {
        guard let link, link.hasPrefix("http://") || link.hasPrefix("https://") else { return esc(title) }
        return "<a href=\"\(esc(link))\" rel=\"noreferrer noopener\">\(esc(title))</a>"
    }

    /// The path of an entity's page (the symbol percent-encoded as one path segment).
    static func entityPath(_ symbol: String) -> String {
        "/entity/" + (symbol.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? symbol)
    }
}
