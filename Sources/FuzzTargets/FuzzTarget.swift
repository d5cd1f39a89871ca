import API
import Config
import Feeds
import Foundation
import HummingbirdCore
import Transformer
import WordPiece

/// The parsers that read untrusted bytes, one fuzz target each (`scripts/fuzz.sh --list`). A target
/// takes any bytes and must return: an error is fine, a crash, a hang or a leak is a bug.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// The XML tree parser alone.
    case xml
    /// The whole document path: character decoding (iconv), format detection, every reader.
    case feed
    /// The RSS 2.0 reader: the input is an item list inside `<rss><channel>`.
    case rss
    /// The Atom reader: the input is inside `<feed xmlns="http://www.w3.org/2005/Atom">`.
    case atom
    /// The RSS 1.0 (RDF) reader: the input is inside `<rdf:RDF>`.
    case rdf
    /// The JSON readers: JSON Feed, Mastodon, Reddit.
    case jsonFeed = "json-feed"
    /// A JSON mapping (first line) and the document it maps (the rest).
    case jsonMapping = "json-mapping"
    /// The configuration file: JSON parser, decoding, validation.
    case config
    /// Dates in feeds, durations and points in time in the CLI and API.
    case date
    /// HTML to plain text, entities included.
    case html
    /// The WordPiece tokenizer on arbitrary text, with the shipped model's vocabulary.
    case wordpiece
    /// The safetensors header reader.
    case safetensors
    /// The HTTP API's query strings: the input is a request target (`/v1/risk?since=…`).
    case apiQuery = "api-query"

    /// Runs one input.
    public func run(_ data: UnsafeRawBufferPointer) {
        let bytes = Array(data)
        switch self {
        case .xml:
            _ = try? XMLTreeParser.parse(String(decoding: bytes, as: UTF8.self))
        case .feed:
            _ = try? FeedParser.parse(bytes, url: Self.documentURL)
        case .rss:
            _ = try? FeedParser.parse(Array("<rss version=\"2.0\"><channel>".utf8) + bytes + Array("</channel></rss>".utf8), url: Self.documentURL)
        case .atom:
            _ = try? FeedParser.parse(Array("<feed xmlns=\"http://www.w3.org/2005/Atom\">".utf8) + bytes + Array("</feed>".utf8), url: Self.documentURL)
        case .rdf:
            let head = "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://purl.org/rss/1.0/\">"
            _ = try? FeedParser.parse(Array(head.utf8) + bytes + Array("</rdf:RDF>".utf8), url: Self.documentURL)
        case .jsonFeed:
            _ = try? FeedParser.parse(Array("{".utf8) + bytes, url: Self.documentURL)
            _ = try? FeedParser.parse(Array("[".utf8) + bytes, url: Self.documentURL)
        case .jsonMapping:
            let newline = bytes.firstIndex(of: 0x0A) ?? bytes.endIndex
            guard let mapping = try? JSONMapping.parse(String(decoding: bytes[..<newline], as: UTF8.self)) else { return }
            _ = try? FeedParser.parse(Array(bytes[min(newline + 1, bytes.endIndex)...]), url: Self.documentURL, mapping: mapping)
        case .config:
            _ = try? ConfigLoader.parse(bytes, file: "fuzz.json", environment: [:])
        case .date:
            let text = String(decoding: bytes, as: UTF8.self)
            if let date = FeedDate.parse(text) { _ = FeedDate.rfc3339(date) }
            _ = DurationText.parse(text)
            _ = DurationText.pointInTime(text, now: Self.now)
        case .html:
            _ = HTMLText.plainText(String(decoding: bytes, as: UTF8.self))
        case .wordpiece:
            guard let tokenizer = Self.tokenizer else { return }
            let encoding = tokenizer.encode(String(decoding: bytes, as: UTF8.self), maxLength: 128)
            _ = tokenizer.tokens(of: encoding)
        case .safetensors:
            _ = try? SafeTensorsFile.header(of: data)
        case .apiQuery:
            let uri = URI(String(decoding: bytes, as: UTF8.self))
            _ = APIQuery.unknownParameters(uri, allowed: ["since", "until", "entity", "top", "sort", "window", "limit"])
            _ = APIQuery.risk(uri, now: Self.now)
            _ = APIQuery.stories(uri, now: Self.now)
            _ = APIQuery.alertsWindow(uri)
        }
    }

    static let documentURL = URL(string: "https://feeds.example.com/feed.xml")
    static let now = Date(timeIntervalSince1970: 1_795_000_000)

    /// The shipped model's tokenizer: `FINSENT_FUZZ_MODEL`, else `models/finsent-minilm` of this checkout.
    static let tokenizer: WordPieceTokenizer? = {
        let folder = ProcessInfo.processInfo.environment["FINSENT_FUZZ_MODEL"]
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("models/finsent-minilm").path
        return try? WordPieceTokenizer(folder: folder)
    }()
}
