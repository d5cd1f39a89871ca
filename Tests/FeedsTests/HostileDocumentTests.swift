import Foundation
import Testing
@testable import Feeds

@Suite("Hostile and broken documents: an error for that feed, never a crash, hang or leak")
struct HostileDocumentTests {
    func parse(_ text: String) throws(FeedError) -> ParsedFeed { try FeedParser.parse(Array(text.utf8)) }

    @Test("XXE: an external entity pointing at /etc/passwd is never loaded")
    func xxe() throws {
        let doc = """
            <?xml version="1.0"?>
            <!DOCTYPE rss [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> <!ENTITY % remote SYSTEM "http://127.0.0.1:1/evil.dtd"> %remote; ]>
            <rss version="2.0"><channel><title>t</title><item><title>Leak: &xxe;</title><description>&xxe;</description></item></channel></rss>
            """
        let item = try #require(try parse(doc).items.first)
        #expect(item.title == "Leak: &xxe;")
        #expect(!item.summary.contains("root:"))
    }

    @Test("billion laughs and quadratic blow-up: declared entities are not expanded, so the output stays small")
    func entityExpansion() throws {
        var laughs = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n"
        for i in 1...9 { laughs += "<!ENTITY lol\(i) \"" + String(repeating: "&lol\(i - 1 == 0 ? "" : String(i - 1));", count: 10) + "\">\n" }
        laughs += "]>\n<rss version=\"2.0\"><channel><item><title>&lol9;</title></item></channel></rss>"
        let start = ContinuousClock.now
        let feed = try parse(laughs)
        #expect(feed.items.first?.title == "&lol9;")
        let big = String(repeating: "A", count: 100_000)
        let quadratic = "<!DOCTYPE r [<!ENTITY a \"\(big)\">]><rss version=\"2.0\"><channel><item><title>" + String(repeating: "&a;", count: 20_000)
            + "</title></item></channel></rss>"
        let title = try #require(try parse(quadratic).items.first?.title)
        #expect(title.count < 100_000)
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test("a document cut off keeps its complete items and drops the one it ends in; cut inside a tag or the only entry, it is an error")
    func truncated() throws {
        let cut = try parse("<rss version=\"2.0\"><channel><item><title>One</title></item><item><title>Two</title></item><item><title>Half a")
        #expect(cut.items.map(\.title) == ["One", "Two"])
        #expect(try parse("<rss version=\"2.0\"><channel><item><title>x</title></item>").items.map(\.title) == ["x"])
        #expect(try parse("<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><title>x</title></entry></fe").items.count == 1)
        #expect(throws: FeedError.self) { try parse("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><item><title>Half a feed</title><descr") }
        #expect(throws: FeedError.malformed("document ends inside its only <entry> (truncated?)")) {
            try parse("<entry xmlns=\"http://www.w3.org/2005/Atom\"><title>x</title>")
        }
    }

    @Test("invalid UTF-8 in a UTF-8 document is repaired with U+FFFD, and the items survive; undeclared, it is read as Windows-1252")
    func invalidUTF8() throws {
        let bytes = Array("<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><item><title>Bad ".utf8)
            + [0xC3, 0x28, 0xFF, 0xFE] + Array(" bytes</title></item></channel></rss>".utf8)
        let title = try #require(try FeedParser.parse(bytes).items.first?.title)
        #expect(title.contains("\u{FFFD}"))
        #expect(title.hasSuffix("bytes"))
        let legacy = Array("<rss version=\"2.0\"><channel><item><title>don".utf8) + [0x92] + Array("t</title></item></channel></rss>".utf8)
        #expect(try FeedParser.parse(legacy).items.first?.title == "don\u{2019}t")
    }

    @Test("nesting deeper than the limit is refused, quickly, in XML and JSON")
    func deepNesting() {
        let xml = "<rss version=\"2.0\">" + String(repeating: "<a>", count: 100_000) + String(repeating: "</a>", count: 100_000) + "</rss>"
        #expect(throws: FeedError.malformed("elements nested deeper than 128 levels")) { try parse(xml) }
        let json = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: FeedError.badJSON("nested deeper than 64 levels")) { try parse(json) }
    }

    @Test("things that are not feeds say what they are", arguments: [
        ("", "not a feed document: the document is empty"),
        ("<!DOCTYPE html><html><head><title>404</title></head><body>Not found</body></html>", "not a feed: an HTML page, not a feed"),
        ("Service Unavailable", "not a feed document: it starts with \"Service Unavailable\", neither XML nor JSON"),
        ("<opml version=\"2.0\"><body/></opml>", "not a feed: root element <opml> is not RSS, RDF or Atom"),
        ("{\"error\": \"rate limited\"}", "not a feed: a JSON object that is not a JSON Feed or Reddit listing (set a \"json\" mapping for this feed)"),
        ("{\"items\": [1, 2", "bad JSON feed: does not parse as JSON"),
    ])
    func notFeeds(_ text: String, _ message: String) {
        do {
            _ = try parse(text)
            Issue.record("parsed as a feed: \(text)")
        } catch {
            #expect(error.description.hasPrefix(message), "\(error.description)")
        }
    }

    @Test("a 50 MB document of junk is refused or read without trouble")
    func hugeDocument() {
        var doc = "<rss version=\"2.0\"><channel>"
        doc += String(repeating: "<item><title>spam</title></item>", count: 1_600_000)
        let start = ContinuousClock.now
        #expect(throws: FeedError.self) { try parse(doc) }  // no </channel></rss>: truncated
        #expect(ContinuousClock.now - start < .seconds(60))
    }

    @Test("stray ampersands, unknown entities and undeclared prefixes are read leniently")
    func lenient() throws {
        let doc = "<rss version=\"2.0\"><channel><item><title>AT&T & J&J &nbsp;rise &copy; &bogus;</title><dc:creator>Ann</dc:creator></item></channel></rss>"
        let item = try #require(try parse(doc).items.first)
        #expect(item.title == "AT&T & J&J rise © &bogus;")
        #expect(item.authors == ["Ann"])
    }
}
