import Foundation

/// RSS 0.9x/1.0/2.0, Atom 0.3/1.0 and CDF, from a parsed XML tree.
enum XMLFeedReader {
    static func read(_ root: XMLElement) throws(FeedError) -> ParsedFeed {
        switch (root.name, root.namespace) {
        case ("rss", _):
            // Items belong in <channel>, but some feeds put them straight under <rss>.
            let channel = root.first("channel")
            let version = root.attribute("version") ?? ""
            let items = (channel?.all("item") ?? []) + root.all("item")
            let site = channel.flatMap { link(of: $0) }
            return ParsedFeed(format: version.hasPrefix("0.9") ? .rss09x : .rss20, title: plain(channel.flatMap { core($0, "title") }),
                              link: site, ttlSeconds: channel?.first("ttl").flatMap { Int($0.text.trimmed) }.map { $0 * 60 },
                              items: items.map { rssItem($0, site: site) })
        case ("RDF", _), ("rdf", ""):
            let channel = root.first("channel")
            let format: ParsedFeed.Format = root.elements.contains { $0.namespace == XMLNamespace.rss09 } ? .rss090 : .rss10
            let site = channel.flatMap { link(of: $0) }
            return ParsedFeed(format: format, title: plain(channel.flatMap { core($0, "title") }), link: site,
                              ttlSeconds: nil, items: root.all("item").map { rssItem($0, site: site) })
        case ("feed", XMLNamespace.atom03):
            return atomFeed(root, format: .atom03)
        case ("feed", _):
            // Atom 1.0, or an Atom-like feed under a namespace of its own (as feedparser reads it).
            return atomFeed(root, format: .atom10)
        case ("entry", XMLNamespace.atom):
            // An Atom entry document (RFC 4287 §4.1.2): one entry, no feed around it.
            return ParsedFeed(format: .atom10, title: "", link: nil, ttlSeconds: nil, items: [atomEntry(root, feedAuthors: [])])
        case ("CHANNEL", _), ("channel", ""):
            return cdfChannel(root)
        case ("html", _), ("HTML", _):
            // A feed wrapped in an (X)HTML page: read the first feed element inside it.
            let feedNamespaces: Set<String> = [XMLNamespace.atom, XMLNamespace.atom03, "", XMLNamespace.xhtml]
            if let inner = root.descendant("feed", in: feedNamespaces) ?? root.descendant("rss", in: feedNamespaces) {
                return try read(inner)
            }
            throw FeedError.notAFeed("an HTML page, not a feed")
        default:
            throw FeedError.notAFeed("root element <\(root.name)> is not RSS, RDF or Atom")
        }
    }

    // MARK: - RSS

    /// The namespaces RSS's own elements live in: none (0.9x, 2.0), RSS 1.0, RSS 0.90, and the RSS 2.0
    /// namespace a few early writers declared.
    static let rssNamespaces: Set<String> = ["", XMLNamespace.rss10, XMLNamespace.rss09, "http://backend.userland.com/rss2"]

    /// An RSS element of the core vocabulary (not a module's element that shares its local name).
    static func core(_ element: XMLElement, _ name: String) -> XMLElement? {
        for case let .element(e) in element.children where e.name == name && rssNamespaces.contains(e.namespace) { return e }
        return nil
    }

    /// Where an RSS item's date may be, in order: RSS, Dublin Core, DC terms, an Atom element inside RSS.
    static let rssDateElements: [(String, String?)] = [
        ("pubDate", nil), ("date", XMLNamespace.dc), ("issued", XMLNamespace.dcterms), ("created", XMLNamespace.dcterms),
        ("modified", XMLNamespace.dcterms), ("published", XMLNamespace.atom), ("updated", XMLNamespace.atom), ("updated", nil),
    ]

    /// Where an RSS item's text may be, in order.
    static let rssBodyElements: [(String, String?)] = [
        ("description", nil), ("encoded", XMLNamespace.content), ("body", XMLNamespace.xhtml), ("body", nil), ("fullitem", nil),
        ("summary", XMLNamespace.itunes), ("summary", XMLNamespace.itunesAsApplePrintsIt), ("description", XMLNamespace.media),
        ("description", XMLNamespace.dc), ("summary", nil),
    ]

    /// An RSS item; relative links resolve against `xml:base`, else the channel's site link, else the document URL.
    static func rssItem(_ item: XMLElement, site: String?) -> FeedItem {
        let guidElement = core(item, "guid")
        var guid = (guidElement ?? core(item, "id")).map(\.text.trimmed).flatMap { $0.isEmpty ? nil : $0 }
        if guid == nil, let about = item.attribute(XMLNamespace.rdf + "|about")?.trimmed, !about.isEmpty { guid = about }  // RSS 1.0
        let siteBase = site.flatMap { URL(string: $0) }
        var link = link(of: item, fallbackBase: siteBase)
        // A <guid> is the item's page unless it says isPermaLink="false".
        if link == nil, let guid, let guidElement, guidElement.attribute("isPermaLink") != "false" {
            link = CanonicalLink.absolute(guid, base: item.base).flatMap { $0.hasPrefix("http") ? $0 : nil }
        }
        let body = rssBodyElements.lazy.compactMap { child(item, $0, $1) }.map { HTMLText.plainText($0.htmlSource) }.first { !$0.isEmpty } ?? ""
        let dateText = rssDateElements.lazy.compactMap { child(item, $0, $1) }.map(\.text.trimmed).first { !$0.isEmpty }
        var authors = item.all("creator", in: XMLNamespace.dc).map { plain($0) } + item.all("author").map { plain($0) }
        authors = authors.filter { !$0.isEmpty }
        var raw: [String: String] = [:]
        if let dateText { raw["date"] = dateText }
        let categories = item.all("category").map { HTMLText.plainText($0.text) }.filter { !$0.isEmpty }
        if !categories.isEmpty { raw["categories"] = categories.joined(separator: "; ") }
        return FeedItem(guid: guid, title: (core(item, "title") ?? item.first("title", in: XMLNamespace.media) ?? item.first("title", in: XMLNamespace.dc)).map { plain($0) },
                        link: link, published: dateText.flatMap(FeedDate.parse), summary: body, authors: authors, raw: raw)
    }

    /// A child by name: RSS's own element when `namespace` is nil, else the module's; `media:description`
    /// also inside `<media:group>`.
    static func child(_ item: XMLElement, _ name: String, _ namespace: String?) -> XMLElement? {
        guard let namespace else { return core(item, name) }
        if namespace == XMLNamespace.media, name == "description" { return mediaDescription(item) }
        return item.first(name, in: namespace)
    }

    /// `<media:description>`, or inside `<media:group>` where YouTube-style feeds keep an item's text.
    static func mediaDescription(_ element: XMLElement) -> XMLElement? {
        element.first("description", in: XMLNamespace.media)
            ?? element.first("group", in: XMLNamespace.media)?.first("description", in: XMLNamespace.media)
    }

    /// `<link>` text (RSS) or an Atom-style `<atom:link href>` child, resolved against the element's base.
    static func link(of element: XMLElement, fallbackBase: URL? = nil) -> String? {
        for candidate in element.all("link") where rssNamespaces.contains(candidate.namespace) || candidate.namespace == XMLNamespace.atom {
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
        // <item> is not Atom, but early Atom 0.3 writers used it for entries.
        let entries = root.elements.filter { $0.name == "entry" || $0.name == "item" }.map { atomEntry($0, feedAuthors: feedAuthors) }
        return ParsedFeed(format: format, title: atomText(root.first("title")), link: atomLink(root), ttlSeconds: nil, items: entries)
    }

    static func atomEntry(_ entry: XMLElement, feedAuthors: [String]) -> FeedItem {
        let dateElement = ["published", "issued", "updated", "modified", "created"].lazy.compactMap { entry.first($0) }.first
        let dateText: String? = dateElement?.text.trimmed
        let body = [entry.first("summary"), entry.first("content")].lazy.map { atomText($0) }.first { !$0.isEmpty }
            ?? mediaDescription(entry).map { plain($0) } ?? ""
        var authors = entry.all("author").map { plain($0.first("name")) }.filter { !$0.isEmpty }
        if authors.isEmpty { authors = feedAuthors }
        var raw: [String: String] = [:]
        if let dateText { raw["date"] = dateText }
        let categories = entry.all("category").compactMap { $0.attribute("label") ?? $0.attribute("term") }
        if !categories.isEmpty { raw["categories"] = categories.joined(separator: "; ") }
        let idElement = entry.first("id")
        let id = idElement?.text.trimmed
        // An entry without an alternate link whose id is a web address links there (as an RSS permalink guid does).
        let link = atomLink(entry) ?? id.flatMap { id in
            CanonicalLink.absolute(id, base: idElement?.base).flatMap { $0.lowercased().hasPrefix("http") && id.contains("://") ? $0 : nil }
        }
        return FeedItem(guid: id?.isEmpty == false ? id : nil, title: entry.first("title").map { atomText($0) }, link: link,
                        published: dateText.flatMap(FeedDate.parse), summary: body, authors: authors, raw: raw)
    }

    /// The entry's (or feed's) page: the first `rel="alternate"` link (the default rel), preferring an HTML
    /// type; its `href`, or its text when it has none. Enclosures, related, self and via links are not the page.
    static func atomLink(_ element: XMLElement) -> String? {
        let alternates = element.all("link").filter { ($0.attribute("rel") ?? "alternate") == "alternate" }
        let html = alternates.first { link in
            let type = (link.attribute("type") ?? "text/html").lowercased()
            return type == "text/html" || type == "application/xhtml+xml" || type == "html"
        }
        guard let chosen = html ?? alternates.first else { return nil }
        return CanonicalLink.absolute(chosen.attribute("href") ?? chosen.text, base: chosen.base)
    }

    /// Atom text constructs: `type="text"` is literal, `html` is escaped markup (or, from lax writers, bare
    /// markup), `xhtml` is inline markup; a MIME type that is not text or XML is base64 (RFC 4287 §4.1.3.3), as is
    /// Atom 0.3's `mode="base64"`; `mode="escaped"` is html.
    static func atomText(_ element: XMLElement?) -> String {
        guard let element else { return "" }
        let type = (element.attribute("type") ?? "text").lowercased()
        if element.attribute("mode") == "base64" || isBase64(type: type),
           let data = Data(base64Encoded: element.allText.trimmed, options: .ignoreUnknownCharacters),
           let decoded = String(validating: Array(data), as: UTF8.self) {
            return HTMLText.plainText(decoded)
        }  // else: a binary type that is not base64 text after all (lax writers); read it as text
        if type == "xhtml" || type == "application/xhtml+xml" { return HTMLText.plainText(element.innerMarkup) }
        if type == "html" || type == "text/html" || element.attribute("mode") == "escaped" {
            return HTMLText.plainText(element.htmlSource)
        }
        return HTMLText.collapseWhitespace(element.allText)
    }

    /// A MIME type whose content Atom carries base64-encoded: neither text nor XML.
    static func isBase64(type: String) -> Bool {
        guard type.contains("/") else { return false }
        return !(type.hasPrefix("text/") || type.hasSuffix("+xml") || type.hasSuffix("/xml") || type == "application/xhtml+xml")
    }

    /// Plain text of an RSS element, which may hold escaped HTML.
    static func plain(_ element: XMLElement?) -> String {
        element.map { HTMLText.plainText($0.allText) } ?? ""
    }

    // MARK: - CDF

    /// Microsoft's Channel Definition Format (1997): `<CHANNEL HREF>` with `<ITEM HREF LASTMOD>` children
    /// holding `<TITLE>` and `<ABSTRACT>`. Still served by a few legacy intranet feeds.
    static func cdfChannel(_ root: XMLElement) -> ParsedFeed {
        func child(_ e: XMLElement, _ name: String) -> XMLElement? {
            e.elements.first { $0.name.uppercased() == name }
        }
        func attribute(_ e: XMLElement, _ name: String) -> String? {
            e.attributes.first { $0.key.uppercased() == name }?.value
        }
        let base = attribute(root, "BASE").flatMap { URL(string: $0, relativeTo: root.base)?.absoluteURL } ?? root.base
        let items = root.elements.filter { $0.name.uppercased() == "ITEM" }.map { item in
            let dateText = attribute(item, "LASTMOD")
            var raw: [String: String] = [:]
            if let dateText { raw["date"] = dateText }
            return FeedItem(title: child(item, "TITLE").map { plain($0) },
                            link: attribute(item, "HREF").flatMap { CanonicalLink.absolute($0, base: item.hasExplicitBase ? item.base : base) },
                            published: dateText.flatMap(FeedDate.parse), summary: plain(child(item, "ABSTRACT")), raw: raw)
        }
        return ParsedFeed(format: .cdf, title: plain(child(root, "TITLE")),
                          link: attribute(root, "HREF").flatMap { CanonicalLink.absolute($0, base: root.base) }, ttlSeconds: nil, items: items)
    }
}

extension String {
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
