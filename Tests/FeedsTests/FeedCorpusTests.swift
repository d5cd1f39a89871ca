import Foundation
import Testing
@testable import Feeds

let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus")

func parseFile(_ name: String) throws -> ParsedFeed {
    let url = corpus.appendingPathComponent(name)
    return try FeedParser.parse(Array(try Data(contentsOf: url)), url: url)
}

@Suite("Feed corpus: real-world documents and their expected items")
struct FeedCorpusTests {
    static let documents = (try? FileManager.default.contentsOfDirectory(atPath: corpus.path))?
        .filter { $0.hasSuffix(".xml") || $0.hasSuffix(".json") }.sorted() ?? []

    @Test("the corpus is there")
    func corpusPresent() {
        #expect(Self.documents.count >= 10)
    }

    @Test("each document gives exactly the expected items, in order", arguments: documents)
    func expectedItems(_ name: String) throws {
        let feed = try parseFile(name)
        let expectedFile = corpus.appendingPathComponent(name.replacingOccurrences(of: #"\.(xml|json)$"#, with: ".expected.jsonl", options: .regularExpression))
        let expected = try String(contentsOf: expectedFile, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        try #require(feed.items.count == expected.count)
        for (item, want) in zip(feed.items, expected) {
            #expect(item.id == want["id"] as? String)
            #expect(item.guid == want["guid"] as? String)
            #expect(item.title == want["title"] as? String)
            #expect(item.link == want["link"] as? String)
            #expect(item.published.map(FeedDate.rfc3339) == want["published"] as? String)
            #expect(item.summary == want["summary"] as? String)
            #expect(item.authors == want["authors"] as? [String])
        }
    }

    @Test("formats are detected from the document", arguments: [
        ("fed-press-rss20.xml", ParsedFeed.Format.rss20), ("markets-rss091-cp1252.xml", .rss09x), ("ecb-rss10-rdf.xml", .rss10),
        ("sec-edgar-8k-atom.xml", .atom10), ("legacy-atom03.xml", .atom03), ("newsroom-jsonfeed11.json", .jsonFeed),
        ("mastodon-tag-timeline.json", .mastodon), ("reddit-new-listing.json", .reddit),
    ])
    func formats(_ name: String, _ format: ParsedFeed.Format) throws {
        #expect(try parseFile(name).format == format)
    }

    @Test("RSS <ttl> is read (minutes) as the publisher's minimum refresh interval")
    func ttl() throws {
        #expect(try parseFile("fed-press-rss20.xml").ttlSeconds == 3600)
    }

    @Test("the HTTP charset overrides the prolog; Latin-1 and Windows-1252 bytes decode")
    func encodings() throws {
        let doc: [UInt8] = Array("<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><item><title>Caf".utf8) + [0xE9]
            + Array(" \u{20AC}".utf8.prefix(1)) + [0x80] + Array("</title></item></channel></rss>".utf8)
        let feed = try FeedParser.parse(doc, contentType: "application/rss+xml; charset=ISO-8859-1")
        #expect(feed.items.first?.title == "Café €")
        let units: [UInt16] = Array("<rss version=\"2.0\"><channel><item><title>Zürich</title></item></channel></rss>".utf16)
        let utf16: [UInt8] = [0xFF, 0xFE] + units.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        #expect(try FeedParser.parse(utf16).items.first?.title == "Zürich")
        // A label that cannot be what the prolog was written in, or that nobody knows, is ignored.
        for label in ["EBCDIC-CP-US", "bogus"] {
            let doc = "<?xml version=\"1.0\" encoding=\"\(label)\"?><rss version=\"2.0\"><channel><item><title>Zürich</title></item></channel></rss>"
            #expect(try FeedParser.parse(Array(doc.utf8)).items.first?.title == "Zürich", "\(label)")
        }
    }

    @Test("every encoding iconv knows is read, from the prolog or the HTTP charset", arguments: [
        ("windows-1251", "Сбербанк повысил прогноз"), ("koi8-r", "Газпром снизил добычу"), ("iso-8859-7", "Τράπεζα της Ελλάδος"),
        ("shift_jis", "日経平均が反落"), ("euc-jp", "トヨタ自動車の決算"), ("euc-kr", "삼성전자 실적 발표"), ("gb2312", "人民银行降准"),
        ("big5", "台積電營收創新高"), ("iso-8859-2", "Kurs złotego spada"), ("windows-1250", "Česká národní banka"),
    ])
    func iconvEncodings(_ label: String, _ title: String) throws {
        let iconvName = ["gb2312": "GB18030"][label] ?? label
        let encoded = try #require(Self.encode(title, iconvName))
        let head = Array("<?xml version=\"1.0\" encoding=\"\(label)\"?><rss version=\"2.0\"><channel><item><title>".utf8)
        let tail = Array("</title></item></channel></rss>".utf8)
        #expect(try FeedParser.parse(head + encoded + tail).items.first?.title == title)
        let bare = Array("<rss version=\"2.0\"><channel><item><title>".utf8) + encoded + tail
        #expect(try FeedParser.parse(bare, contentType: "application/rss+xml; charset=\(label.uppercased())").items.first?.title == title)
    }

    @Test("UTF-32 with and without a byte-order mark")
    func utf32() throws {
        let doc = "<rss version=\"2.0\"><channel><item><title>Zürich €</title></item></channel></rss>"
        let le = doc.unicodeScalars.flatMap { s in (0..<4).map { UInt8(truncatingIfNeeded: s.value >> (8 * $0)) } }
        let be = doc.unicodeScalars.flatMap { s in (0..<4).reversed().map { UInt8(truncatingIfNeeded: s.value >> (8 * $0)) } }
        for bytes in [le, be, [0xFF, 0xFE, 0, 0] + le, [0, 0, 0xFE, 0xFF] + be] {
            #expect(try FeedParser.parse(bytes).items.first?.title == "Zürich €")
        }
    }

    /// The text in an encoding, through iconv (as a test would get bytes from a real server).
    static func encode(_ text: String, _ encoding: String) -> [UInt8]? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/iconv")
        process.arguments = ["-f", "UTF-8", "-t", encoding]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        guard (try? process.run()) != nil else { return nil }
        input.fileHandleForWriting.write(Data(text.utf8))
        try? input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? Array(data) : nil
    }

    @Test("a generic JSON mapping reads an API response")
    func jsonMapping() throws {
        let body = #"{"status": "ok", "data": {"articles": [{"uuid": "a1", "headline": "Northwind &amp; Contoso merge", "body": "<p>Deal done.</p>", "link": "/a1", "published": 1795615200000, "by": {"name": "Desk"}}]}}"#
        let mapping = try JSONMapping.parse(#"{"items": "data.articles", "id": "uuid", "title": "headline", "text": "body", "url": "link", "time": "published", "author": "by.name"}"#)
        let feed = try FeedParser.parse(Array(body.utf8), url: URL(string: "https://api.example.com/v2/news"), mapping: mapping)
        let item = try #require(feed.items.first)
        #expect(item.id == "a1")
        #expect(item.title == "Northwind & Contoso merge")
        #expect(item.summary == "Deal done.")
        #expect(item.link == "https://api.example.com/a1")
        #expect(item.published.map(FeedDate.rfc3339) == "2026-11-25T14:00:00Z")
        #expect(item.authors == ["Desk"])
        #expect(throws: FeedError.self) { try JSONMapping.parse(#"{"items": "x", "titel": "y"}"#) }
        #expect(throws: FeedError.badJSON("no array at \"data.missing\"")) {
            try FeedParser.parse(Array(body.utf8), mapping: JSONMapping(items: "data.missing"))
        }
    }
}
