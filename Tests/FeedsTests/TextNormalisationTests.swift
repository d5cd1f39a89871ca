import Foundation
import Testing
@testable import Feeds

@Suite("Dates, links, text")
struct TextNormalisationTests {
    @Test("dates in the forms feeds use", arguments: [
        ("Wed, 25 Nov 2026 14:03:00 GMT", "2026-11-25T14:03:00Z"),
        ("Wed, 25 Nov 2026 09:03:00 EST", "2026-11-25T14:03:00Z"),
        ("Wed, 25 Nov 2026 06:03:00 PST", "2026-11-25T14:03:00Z"),
        ("25 Nov 2026 15:03:00 +0100", "2026-11-25T14:03:00Z"),
        ("Wed, 25 Nov 26 14:03 Z", "2026-11-25T14:03:00Z"),
        ("Wednesday, 25 November 2026 14:03:00 UT", "2026-11-25T14:03:00Z"),
        ("Wed, 25 Nov 2026 19:33:00 +05:30", "2026-11-25T14:03:00Z"),
        ("2026-11-25T14:03:00Z", "2026-11-25T14:03:00Z"),
        ("2026-11-25T16:03:00.123+02:00", "2026-11-25T14:03:00Z"),
        ("2026-11-25T14:03:00", "2026-11-25T14:03:00Z"),
        ("2026-11-25 14:03:00", "2026-11-25T14:03:00Z"),
        ("2026-11-25", "2026-11-25T00:00:00Z"),
        ("2024-02-29T23:59:59-00:30", "2024-03-01T00:29:59Z"),
    ])
    func dates(_ text: String, _ utc: String) {
        #expect(FeedDate.parse(text).map(FeedDate.rfc3339) == utc)
    }

    @Test("nonsense is no date", arguments: ["", "yesterday", "32 Nov 2026 10:00:00 GMT", "2026-13-01", "Wed, 25 Foo 2026 10:00 GMT", "2026-11-25T25:00:00Z"])
    func notDates(_ text: String) {
        #expect(FeedDate.parse(text) == nil)
    }

    @Test("links as ids lose tracking parameters and fragments, keep the rest")
    func cleanLinks() {
        #expect(CanonicalLink.clean("https://News.Example.com:443/a/b?id=7&utm_source=rss&utm_medium=feed&fbclid=x#top") == "https://news.example.com/a/b?id=7")
        #expect(CanonicalLink.clean("http://example.com/story?p=1") == "http://example.com/story?p=1")
        #expect(CanonicalLink.clean("not a url") == nil)
    }

    @Test("items without a guid get the cleaned link as id, else a content hash; syndicated copies share the hash")
    func ids() {
        let a = FeedItem(title: "Contoso plunges", link: "https://x.example/s?utm_campaign=z", summary: "SEC probe")
        #expect(a.id == "https://x.example/s")
        let b = FeedItem(title: "  CONTOSO   plunges ", summary: "SEC\nprobe")
        #expect(b.id == "sha256:" + b.contentHash)
        #expect(a.contentHash == b.contentHash)
        #expect(FeedItem(guid: "g1", title: "t", summary: "").id == "g1")
    }

    @Test("HTML to plain text: tags, scripts, comments and entities go; words stay apart; '<' in prose stays")
    func plainText() {
        #expect(HTMLText.plainText("<p>Shares <b>fell</b>&nbsp;4%.</p><p>Bonds rose.</p><script>alert(1)</script><!-- x -->") == "Shares fell 4%. Bonds rose.")
        #expect(HTMLText.plainText("S&amp;P 500 < 4,000 and 3 > 2") == "S&P 500 < 4,000 and 3 > 2")
        #expect(HTMLText.plainText("a<br/>b<br>c") == "a b c")
        #expect(HTMLText.plainText("&#x1F4C9; &#8364; &#0; &#xD800;") == "📉 € \u{FFFD} \u{FFFD}")
    }
}
