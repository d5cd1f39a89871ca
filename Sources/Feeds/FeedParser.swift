import Foundation

/// The one entry point for reading a fetched document, used by monitord and monitorctl alike.
/// The format comes from the document itself, never from the URL or Content-Type.
public enum FeedParser {
    public static func parse(_ body: [UInt8], contentType: String? = nil, url: URL? = nil, mapping: JSONMapping? = nil,
                             limits: XMLTreeParser.Limits = .init()) throws(FeedError) -> ParsedFeed {
        let text = TextDecoding.decode(body, httpCharset: TextDecoding.charset(fromContentType: contentType))
        guard let first = text.unicodeScalars.first(where: { !$0.properties.isWhitespace && $0 != "\u{FEFF}" }) else {
            throw FeedError.notXML("the document is empty")
        }
        let feed: ParsedFeed
        switch first {
        case "<":
            let root = try XMLTreeParser.parse(text, documentURL: url, limits: limits)
            var read = try XMLFeedReader.read(root)
            read.cutOff = root.cutOff
            feed = read
        case "{", "[":
            feed = try JSONFeedReader.read(text, base: url, mapping: mapping)
        default:
            let start = String(text.drop { $0.isWhitespace }.prefix(40)).replacingOccurrences(of: "\n", with: " ")
            throw FeedError.notXML("it starts with \"\(start)\", neither XML nor JSON")
        }
        return feed
    }
}
