import Foundation

/// Where the items and their fields are in a JSON document that is no standard feed,
/// as dotted paths (`data.articles`, `author.name`). Set per feed in config.json under "json".
public struct JSONMapping: Sendable, Equatable {
    /// Path to the array of items ("" when the document itself is the array).
    public var items: String
    public var id: String?
    public var title: String?
    public var text: String?
    public var url: String?
    /// A date string (RFC 822, RFC 3339, ISO 8601) or epoch seconds/milliseconds.
    public var time: String?
    public var author: String?

    public static let keys = ["items", "id", "title", "text", "url", "time", "author"]

    public init(items: String, id: String? = nil, title: String? = nil, text: String? = nil, url: String? = nil,
                time: String? = nil, author: String? = nil) {
        self.items = items
        self.id = id
        self.title = title
        self.text = text
        self.url = url
        self.time = time
        self.author = author
    }

    /// A mapping from its JSON text (`{"items": "data.articles", "title": "headline", …}`).
    public static func parse(_ text: String) throws(FeedError) -> JSONMapping {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            throw FeedError.badJSON("the mapping must be a JSON object")
        }
        for key in object.keys where !keys.contains(key) {
            throw FeedError.badJSON("unknown mapping key \"\(key)\" (known: \(keys.joined(separator: ", ")))")
        }
        var fields: [String: String] = [:]
        for (key, value) in object {
            guard let path = value as? String else { throw FeedError.badJSON("mapping key \"\(key)\" must be a string path") }
            fields[key] = path
        }
        guard let items = fields["items"] else { throw FeedError.badJSON("the mapping needs \"items\" (the path to the item array)") }
        return JSONMapping(items: items, id: fields["id"], title: fields["title"], text: fields["text"], url: fields["url"],
                           time: fields["time"], author: fields["author"])
    }

    func read(_ document: Any, base: URL?) throws(FeedError) -> ParsedFeed {
        guard let array = Self.value(at: items, in: document) as? [Any] else {
            throw FeedError.badJSON("no array at \"\(items.isEmpty ? "(document)" : items)\"")
        }
        let parsed = array.map { element -> FeedItem in
            func field(_ path: String?) -> Any? { path.flatMap { Self.value(at: $0, in: element) } }
            let timeValue = field(time)
            var published: Date?
            if let n = timeValue as? NSNumber {
                let v = n.doubleValue
                published = Date(timeIntervalSince1970: v > 100_000_000_000 ? v / 1000 : v)
            } else if let s = timeValue as? String {
                published = FeedDate.parse(s) ?? Double(s).map { Date(timeIntervalSince1970: $0 > 100_000_000_000 ? $0 / 1000 : $0) }
            }
            let body = (field(text) as? String).map(HTMLText.plainText) ?? ""
            let title = (field(self.title) as? String).map(HTMLText.plainText)
            var raw: [String: String] = [:]
            if let s = timeValue.map({ "\($0)" }) { raw["date"] = s }
            return FeedItem(guid: JSONFeedReader.string(field(id)), title: title,
                            link: (field(url) as? String).flatMap { CanonicalLink.absolute($0, base: base) },
                            published: published, summary: body,
                            authors: JSONFeedReader.string(field(author)).map { [$0] } ?? [], raw: raw)
        }
        return ParsedFeed(format: .jsonMapped, title: "", link: nil, ttlSeconds: nil, items: parsed)
    }

    /// Follows a dotted path through objects (and numeric indexes through arrays).
    static func value(at path: String, in document: Any) -> Any? {
        var current: Any? = document
        for key in path.split(separator: ".") where !key.isEmpty {
            if let object = current as? [String: Any] { current = object[String(key)] }
            else if let array = current as? [Any], let i = Int(key), array.indices.contains(i) { current = array[i] }
            else { return nil }
        }
        return current
    }
}
