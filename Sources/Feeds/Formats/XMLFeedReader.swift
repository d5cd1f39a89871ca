import Foundation

/// RSS 0.9x/1.0/2.0 and Atom 0.3/1.0, from a parsed XML tree.
enum XMLFeedReader {
    static func read(_ root: XMLElement) throws(FeedError) -> ParsedFeed {
        switch (root.name, root.namespace) {
        case ("rss", _):
            guard let channel = root.first("channel") else { throw FeedError.notAFeed("<rss> without a <channel>") }
            let version = root.attribute("version") ?? ""
            let items = channel.all("item") + root.all("item")
            let site = link(of: channel)
            return ParsedFeed(format: version.hasPrefix("0.9") ? .rss09x : .rss20, title: plain(channel.first("title")),
                              link: site, ttlSeconds: channel.first("ttl").flatMap { Int($0.text.trimmed) }.map { $0 * 60 },
                              items: items.map { rssItem($0, site: site) })
        case ("RDF", _):
            let channel = root.first("channel")
            let format: ParsedFeed.Format = root.elements.contains { $0.namespace == XMLNamespace.rss09 } ? .rss090 : .rss10
            let site = channel.flatMap { link(of: $0) }
            return ParsedFeed(format: format, title: plain(channel?.first("title")), link: site,
                              ttlSeconds: nil, items: root.all("item").map { rssItem($0, site: site) })
        case ("feed", XMLNamespace.atom), ("feed", ""):
            return atomFeed(root, format: .atom10)
        case ("feed", XMLNamespace.atom03):
            return atomFeed(root, format: .atom03)
        case ("html", _), ("HTML", _):
            throw FeedError.notAFeed("an HTML page, not a feed")
        default:
            throw FeedError.notAFeed("root element <\(root.name)> is not RSS, RDF or Atom")
        }
    }

    // MARK: - RSS

    /// An RSS item; relative links resolve against `xml:base`, else the channel's site link, else the document URL.
    static func rssItem(_ item: XMLElement, site: String?) -> FeedItem {
        let guidElement = item.first("guid")
        let guid = guidElement.map(\.text.trimmed).flatMap { $0.isEmpty ? nil : $0 }
        let siteBase = site.flatMap { URL(string: $0) }
        var link = link(of: item, fallbackBase: siteBase)
        if link == nil, let guid, guidElement?.attribute("isPermaLink") != "false" {
            link = CanonicalLink.absolute(guid, base: item.base).flatMap { $0.hasPrefix("http") ? $0 : nil }
        }
        let body = [item.first("description"), item.first("encoded", in: XMLNamespace.content),
                    item.first("description", in: XMLNamespace.media)].compactMap { $0 }
            .map { HTMLText.plainText($0.text) }.first { !$0.isEmpty } ?? ""
        let dateText = (item.first("pubDate") ?? item.first("date", in: XMLNamespace.dc))?.text.trimmed
        var authors = item.all("creator", in: XMLNamespace.dc).map { plain($0) } + item.all("author").map { plain($0) }
        authors = authors.filter { !$0.isEmpty }
        var raw: [String: String] = [:]
        if let dateText { raw["date"] = dateText }
        let categories = item.all("category").map { plain($0) }.filter { !$0.isEmpty }
        if !categories.isEmpty { raw["categories"] = categories.joined(separator: "; ") }
        return FeedItem(guid: guid, title: plain(item.first("title") ?? item.first("title", in: XMLNamespace.media)),
                        link: link, published: dateText.flatMap(FeedDate.parse), summary: body, authors: authors, raw: raw)
    }

    /// `<link>` text (RSS) or an Atom-style `<atom:link href>` child, resolved against the element's base.
    static func link(of element: XMLElement, fallbackBase: URL? = nil) -> String? {
        for candidate in element.all("link") {
            let base = candidate.hasExplicitBase ? candidate.base : fallbackBase ?? candidate.base
            if candidate.namespace == XMLNamespace.atom || candidate.attribute("href") != nil {
                let rel = candidate.attribute("rel") ?? "alternate"
                if rel == "alternate", let href = candidate.attribute("href") {
                    return CanonicalLink.absolute(href, base: base)
                }
            } else if let url = CanonicalLink.absolute(candidate.text, base: base) {
                return url
            }
        }
        return nil
    }

    // MARK: - Atom

    static func atomFeed(_ root: XMLElement, format: ParsedFeed.Format) -> ParsedFeed {
        let feedAuthors = root.all("author").map { plain($0.first("name")) }.filter { !$0.isEmpty }
        let entries = root.all("entry").map { atomEntry($0, feedAuthors: feedAuthors) }
        return ParsedFeed(format: format, title: atomText(root.first("title")), link: atomLink(root), ttlSeconds: nil, items: entries)
    }

    static func atomEntry(_ entry: XMLElement, feedAuthors: [String]) -> FeedItem {
        let dateElement = ["published", "updated", "issued", "modified", "created"].lazy.compactMap { entry.first($0) }.first
        let dateText: String? = dateElement?.text.trimmed
        let texts: [String] = [entry.first("summary"), entry.first("content")].map { atomText($0) }
        let body: String = texts.first { !$0.isEmpty } ?? ""
        var authors = entry.all("author").map { plain($0.first("name")) }.filter { !$0.isEmpty }
        if authors.isEmpty { authors = feedAuthors }
        var raw: [String: String] = [:]
        if let dateText { raw["date"] = dateText }
        let categories = entry.all("category").compactMap { $0.attribute("label") ?? $0.attribute("term") }
        if !categories.isEmpty { raw["categories"] = categories.joined(separator: "; ") }
        let id = entry.first("id")?.text.trimmed
        return FeedItem(guid: id?.isEmpty == false ? id : nil, title: atomText(entry.first("title")), link: atomLink(entry),
                        published: dateText.flatMap(FeedDate.parse), summary: body, authors: authors, raw: raw)
    }

    static func atomLink(_ element: XMLElement) -> String? {
        let links = element.all("link")
        let chosen = links.first { ($0.attribute("rel") ?? "alternate") == "alternate" } ?? links.first
        return chosen?.attribute("href").flatMap { CanonicalLink.absolute($0, base: chosen?.base) }
    }

    /// Atom text constructs: `type="text"` is literal, `html` is escaped markup, `xhtml` is inline markup;
    /// Atom 0.3's `mode="escaped"` is html, `mode="base64"` is decoded.
    static func atomText(_ element: XMLElement?) -> String {
        guard let element else { return "" }
        let type = (element.attribute("type") ?? "text").lowercased()
        if element.attribute("mode") == "base64", let data = Data(base64Encoded: element.text.trimmed) {
            return HTMLText.plainText(String(decoding: data, as: UTF8.self))
        }
        if type == "xhtml" || type == "application/xhtml+xml" { return HTMLText.plainText(element.innerMarkup) }
        if type == "html" || type == "text/html" || element.attribute("mode") == "escaped" { return HTMLText.plainText(element.text) }
        return HTMLText.collapseWhitespace(element.allText)
    }

    /// Plain text of an RSS element, which may hold escaped HTML.
    static func plain(_ element: XMLElement?) -> String {
        element.map { HTMLText.plainText($0.allText) } ?? ""
    }
}

extension String {
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
