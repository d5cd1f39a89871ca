import Foundation

/// JSON documents: JSON Feed 1.0/1.1, Mastodon statuses, Reddit listings, or any JSON with a
/// mapping from the feed's configuration.
enum JSONFeedReader {
    static let maxDepth = 64

    static func read(_ text: String, base: URL?, mapping: JSONMapping?) throws(FeedError) -> ParsedFeed {
        let data = Data(text.utf8)
        try checkDepth(data)
        let document: Any
        do {
            document = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw FeedError.badJSON("does not parse as JSON (\(error.localizedDescription))")
        }
        if let mapping { return try mapping.read(document, base: base) }
        if let object = document as? [String: Any] {
            if let version = object["version"] as? String, version.contains("jsonfeed.org") { return try jsonFeed(object, base: base) }
            if object["kind"] as? String == "Listing" { return reddit(object, base: base) }
            if let items = object["items"] as? [Any], object["title"] != nil || object["home_page_url"] != nil, !items.isEmpty || object["version"] != nil {
                return try jsonFeed(object, base: base)
            }
            throw FeedError.notAFeed("a JSON object that is not a JSON Feed or Reddit listing (set a \"json\" mapping for this feed)")
        }
        if let array = document as? [Any] {
            if array.isEmpty { return ParsedFeed(format: .mastodon, title: "", link: nil, ttlSeconds: nil, items: []) }
            if array.allSatisfy({ ($0 as? [String: Any]).map { $0["content"] != nil && $0["account"] != nil } ?? false }) {
                return mastodon(array.compactMap { $0 as? [String: Any] }, base: base)
            }
            throw FeedError.notAFeed("a JSON array that is not a Mastodon timeline (set a \"json\" mapping for this feed)")
        }
        throw FeedError.notAFeed("JSON that is neither an object nor an array")
    }

    /// Refuses nesting deeper than `maxDepth` before the real parse (outside strings).
    static func checkDepth(_ data: Data) throws(FeedError) {
        var depth = 0, inString = false, escaped = false
        for b in data {
            if inString {
                if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
            } else if b == UInt8(ascii: "\"") {
                inString = true
            } else if b == UInt8(ascii: "[") || b == UInt8(ascii: "{") {
                depth += 1
                if depth > maxDepth { throw FeedError.badJSON("nested deeper than \(maxDepth) levels") }
            } else if b == UInt8(ascii: "]") || b == UInt8(ascii: "}") {
                depth -= 1
            }
        }
    }

    // MARK: - JSON Feed

    static func jsonFeed(_ object: [String: Any], base: URL?) throws(FeedError) -> ParsedFeed {
        guard let items = object["items"] as? [Any] else { throw FeedError.badJSON("JSON Feed without an \"items\" array") }
        let feedURL = (object["home_page_url"] as? String).flatMap { URL(string: $0, relativeTo: base) } ?? base
        let feedAuthors = names(object)
        let parsed = items.compactMap { $0 as? [String: Any] }.map { item -> FeedItem in
            let html = item["content_html"] as? String
            let body = [(item["summary"] as? String).map(HTMLText.plainText), (item["content_text"] as? String).map(HTMLText.collapseWhitespace),
                        html.map(HTMLText.plainText)].compactMap { $0 }.first { !$0.isEmpty } ?? ""
            let dateText = (item["date_published"] ?? item["date_modified"]) as? String
            var raw: [String: String] = [:]
            if let dateText { raw["date"] = dateText }
            if let external = item["external_url"] as? String { raw["external_url"] = external }
            let authors = names(item)
            return FeedItem(guid: string(item["id"]), title: (item["title"] as? String).map(HTMLText.plainText),
                            link: ((item["url"] ?? item["external_url"]) as? String).flatMap { CanonicalLink.absolute($0, base: feedURL) },
                            published: dateText.flatMap(FeedDate.parse), summary: body, authors: authors.isEmpty ? feedAuthors : authors, raw: raw)
        }
        return ParsedFeed(format: .jsonFeed, title: HTMLText.plainText(object["title"] as? String ?? ""),
                          link: (object["home_page_url"] as? String).flatMap { CanonicalLink.absolute($0, base: base) }, ttlSeconds: nil, items: parsed)
    }

    /// `author` (1.0) and `authors` (1.1) names.
    static func names(_ object: [String: Any]) -> [String] {
        var list = (object["authors"] as? [Any] ?? []).compactMap { ($0 as? [String: Any])?["name"] as? String }
        if list.isEmpty, let single = (object["author"] as? [String: Any])?["name"] as? String { list = [single] }
        return list.map(HTMLText.collapseWhitespace).filter { !$0.isEmpty }
    }

    // MARK: - Mastodon

    /// Statuses from `/api/v1/timelines/tag/NAME` or `/api/v1/accounts/ID/statuses`; boosts read as the boosted post.
    static func mastodon(_ statuses: [[String: Any]], base: URL?) -> ParsedFeed {
        let items = statuses.map { outer -> FeedItem in
            let status = outer["reblog"] as? [String: Any] ?? outer
            let account = status["account"] as? [String: Any] ?? [:]
            var text = HTMLText.plainText(status["content"] as? String ?? "")
            if let warning = status["spoiler_text"] as? String, !warning.isEmpty { text = HTMLText.plainText(warning) + " " + text }
            let uri = string(status["uri"]) ?? string(status["url"]) ?? string(status["id"])
            let author = (account["acct"] as? String).map { "@" + $0 } ?? (account["display_name"] as? String)
            var raw: [String: String] = ["date": status["created_at"] as? String ?? ""]
            if let language = status["language"] as? String { raw["language"] = language }
            return FeedItem(guid: uri, title: nil,
                            link: (string(status["url"]) ?? string(status["uri"])).flatMap { CanonicalLink.absolute($0, base: base) },
                            published: (status["created_at"] as? String).flatMap(FeedDate.parse), summary: text,
                            authors: author.map { [$0] } ?? [], raw: raw)
        }
        return ParsedFeed(format: .mastodon, title: "", link: nil, ttlSeconds: nil, items: items)
    }

    // MARK: - Reddit

    /// A listing such as `/r/NAME/new.json`: posts (`t3`) with title, self text and permalink.
    static func reddit(_ object: [String: Any], base: URL?) -> ParsedFeed {
        let children = ((object["data"] as? [String: Any])?["children"] as? [Any] ?? []).compactMap { $0 as? [String: Any] }
        let site = URL(string: "https://www.reddit.com")
        let items = children.compactMap { child -> FeedItem? in
            guard let post = child["data"] as? [String: Any] else { return nil }
            let link = (post["permalink"] as? String).flatMap { CanonicalLink.absolute($0, base: site) }
            let created = (post["created_utc"] as? NSNumber).map { Date(timeIntervalSince1970: $0.doubleValue) }
            var raw: [String: String] = [:]
            if let url = post["url"] as? String { raw["url"] = url }
            if let sub = post["subreddit"] as? String { raw["subreddit"] = sub }
            if let name = post["name"] as? String { raw["name"] = name }
            return FeedItem(guid: link ?? string(post["name"]), title: (post["title"] as? String).map(HTMLText.plainText), link: link,
                            published: created, summary: HTMLText.plainText(post["selftext"] as? String ?? ""),
                            authors: (post["author"] as? String).map { ["u/" + $0] } ?? [], raw: raw)
        }
        return ParsedFeed(format: .reddit, title: "", link: nil, ttlSeconds: nil, items: items)
    }

    /// A string, or a number written as one (ids are often numbers).
    static func string(_ value: Any?) -> String? {
        switch value {
        case let s as String: return s.trimmed.isEmpty ? nil : s.trimmed
        case let n as NSNumber: return n.stringValue
        default: return nil
        }
    }

    /// A title for a post that has none: its first sentence or 120 characters, cut at a word.
    static func headline(from text: String) -> String {
        guard text.count > 120 else { return text }
        let head = text.prefix(120)
        let cut = head.lastIndex(of: " ").map { head[..<$0] } ?? head
        return cut + "…"
    }
}
