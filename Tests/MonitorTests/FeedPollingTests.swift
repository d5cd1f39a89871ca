import Foundation
import GRDB
import LocalHTTPServer
import Testing

/// monitord polling feeds from a real HTTP server on 127.0.0.1 into a real SQLite file.
@Suite("monitord polls feeds", .serialized)
struct FeedPollingTests {
    /// A monitord with the given feeds; `stop()` ends it with SIGTERM and checks it exits 0.
    struct PollingDaemon {
        let folder: TemporaryFolder
        let process: Process
        var database: String { folder.path("monitor.sqlite") }

        init(feeds: [[String: Any]], polling: [String: Any] = [:], http: [String: Any] = [:], environment: [String: String] = [:]) throws {
            folder = try TemporaryFolder()
            var httpSettings: [String: Any] = ["userAgent": "FinSentTest/1 (ops@example.com)", "timeout": "2s", "connectTimeout": "1s"]
            httpSettings.merge(http) { $1 }
            let config: [String: Any] = [
                "database": "monitor.sqlite", "model": WebhookDeliveryTests.model, "engine": ["threads": 1], "api": ["listen": "127.0.0.1:0"], "feeds": feeds, "http": httpSettings,
                "polling": ["maxBackoff": "4s", "unhealthyAfter": 3].merging(polling) { $1 }, "logLevel": "debug",
            ]
            let data = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .withoutEscapingSlashes])
            try folder.write("config.json", String(decoding: data, as: UTF8.self))
            process = try startProduct("monitord", ["--config", folder.path("config.json")], environment: environment,
                                       stdout: folder.path("stdout"), stderr: folder.path("stderr"))
        }

        var log: String { (try? String(contentsOfFile: folder.path("stderr"), encoding: .utf8)) ?? "" }

        func read<T>(_ body: (Database) throws -> T) throws -> T {
            var configuration = Configuration()
            configuration.readonly = true
            configuration.busyMode = .timeout(5)
            return try DatabaseQueue(path: database, configuration: configuration).read(body)
        }

        func count(_ sql: String, _ arguments: StatementArguments = []) -> Int {
            (try? read { try Int.fetchOne($0, sql: sql, arguments: arguments) }) ?? nil ?? -1
        }

        /// Kills a monitord the test left running (a failed test must not leave one polling in the background).
        func killIfRunning() {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }

        func stop() async throws {
            kill(process.processIdentifier, SIGTERM)
            let status = try await waitForExit(process, timeout: .seconds(10))
            #expect(status == 0, "monitord exited \(status); log:\n\(log.suffix(3000))")
        }
    }


    static func rss(_ items: [(guid: String, title: String)], ttl: Int? = nil) -> String {
        var text = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Test</title><link>https://news.example.com/</link>"
        if let ttl { text += "<ttl>\(ttl)</ttl>" }
        for item in items {
            text += "<item><guid isPermaLink=\"false\">\(item.guid)</guid><title>\(item.title)</title>"
                + "<link>https://news.example.com/\(item.guid)</link><description>Story about \(item.title).</description>"
                + "<pubDate>Wed, 25 Nov 2026 09:41:00 -0500</pubDate></item>"
        }
        return text + "</channel></rss>"
    }

    static let threeItems = rss([("a1", "Contoso shares plunge after SEC probe"), ("a2", "Fabrikam beats estimates"),
                                 ("a3", "Oil rises on OPEC cuts")])

    // Conditional GET, Retry-After, backoff, source health and recovery are tested in-process on a
    // manual clock (FeedPollerServiceTests); these spawn monitord for what needs the real process.

    @Test("timeouts, redirect loops, oversized bodies and hostile documents fail their feed alone; a cut-off document gives its complete items; the rest carry on")
    func failuresStayLocal() async throws {
        let huge = [UInt8](repeating: UInt8(ascii: " "), count: 50 << 20)
        let server = try LocalHTTPServer { request in
            switch request.path {
            case "/good": return .init(text: Self.threeItems)
            case "/slow": return .init(text: Self.threeItems, delay: .seconds(5))
            case "/loop": return .init(status: 302, headers: [("Location", "/loop")])
            case "/steal": return .init(status: 302, headers: [("Location", "file:///etc/passwd")])
            case "/huge": return .init(body: huge)
            case "/xxe":
                return .init(text: """
                    <?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
                    <rss version="2.0"><channel><item><guid>x1</guid><title>Leak &xxe;</title></item></channel></rss>
                    """)
            case "/laughs":
                var doc = "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY l0 \"lol\">"
                for i in 1...9 { doc += "<!ENTITY l\(i) \"" + String(repeating: "&l\(i - 1);", count: 10) + "\">" }
                return .init(text: doc + "]><rss version=\"2.0\"><channel><item><guid>b1</guid><title>&l9;</title></item></channel></rss>")
            case "/truncated": return .init(headers: [("ETag", "\"cut\"")], text: String(Self.rss([("t1", "Northwind cuts its outlook"), ("t2", "Tailspin recalls drones")]).dropLast(60)))
            case "/html": return .init(text: "<!DOCTYPE html><html><body>Login required</body></html>")
            default: return .init(status: 404, text: "no")
            }
        }
        defer { server.stop() }
        let bad = ["slow", "loop", "steal", "huge", "html"]
        let feeds = (["good", "xxe", "laughs", "truncated"] + bad).map { ["id": $0, "url": server.url("/\($0)").absoluteString, "interval": "1s"] }
        let daemon = try PollingDaemon(feeds: feeds, http: ["maxBodyBytes": 1 << 20, "timeout": "1s", "maxRedirects": 3])
        defer { daemon.killIfRunning() }

        try await eventually("every feed polled twice", timeout: .seconds(30)) {
            bad.allSatisfy { id in daemon.count("SELECT error_streak FROM feeds WHERE id = ?", [id]) >= 2 }
                && daemon.count("SELECT count(*) FROM feeds WHERE id IN ('good', 'xxe', 'laughs', 'truncated') AND last_status = 200") == 4
        }
        #expect(daemon.process.isRunning)
        try await daemon.stop()
        let errors = try daemon.read { db in
            try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT id, last_error FROM feeds").map { ($0["id"] as String, ($0["last_error"] as String?) ?? "") })
        }
        #expect(errors["slow"]?.contains("timed out") == true, "\(errors)")
        #expect(errors["loop"]?.contains("redirects") == true, "\(errors)")
        #expect(errors["steal"]?.contains("redirect") == true || errors["steal"]?.contains("unsupported") == true, "\(errors)")
        #expect(errors["huge"]?.contains("larger than 1048576 bytes") == true, "\(errors)")
        #expect(errors["html"]?.contains("HTML page") == true, "\(errors)")
        #expect(errors["good"] == "")
        let titles = try daemon.read { try String.fetchAll($0, sql: "SELECT title || summary FROM items") }
        // good 3, xxe 1, laughs 1, and the first of the two items of the cut-off feed (it ends inside the second)
        #expect(titles.count == 6)
        #expect(daemon.count("SELECT count(*) FROM items WHERE feed_id = 'truncated'") == 1)
        #expect(daemon.count("SELECT count(*) FROM feeds WHERE id = 'truncated' AND etag IS NULL") == 1)
        #expect(daemon.log.contains("document cut off"))
        #expect(!titles.contains { $0.contains("root:") })
        #expect(titles.allSatisfy { $0.count < 200 })
        #expect(daemon.log.contains("feed=huge"))
    }

    @Test("a permanent redirect moves the feed: the stored URL is updated and polled directly")
    func permanentRedirect() async throws {
        let server = try LocalHTTPServer { request in
            request.path == "/old" ? .init(status: 301, headers: [("Location", "/new")]) : .init(text: Self.threeItems)
        }
        defer { server.stop() }
        let daemon = try PollingDaemon(feeds: [["id": "moved", "url": server.url("/old").absoluteString, "interval": "1s"]])
        defer { daemon.killIfRunning() }
        try await eventually("three polls of /new") { server.requests.filter { $0.path == "/new" }.count >= 3 }
        try await daemon.stop()
        #expect(server.requests.filter { $0.path == "/old" }.count == 1)
        let url = try daemon.read { try String.fetchOne($0, sql: "SELECT url FROM feeds") }
        #expect(url == server.url("/new").absoluteString)
        #expect(daemon.log.contains("moved permanently"))
    }

    @Test("1,000 feeds on one server: all polled within one interval, on few threads, in bounded memory")
    func thousandFeeds() async throws {
        let server = try LocalHTTPServer { request in
            .init(text: Self.rss([(String(request.path.dropFirst()), "Story \(request.path)")]))
        }
        defer { server.stop() }
        let feeds = (0..<1000).map { ["id": "f\($0)", "url": server.url("/s\($0)").absoluteString, "interval": "30s"] }
        let start = Date()
        let daemon = try PollingDaemon(feeds: feeds, polling: ["maxPerHost": 6])
        defer { daemon.killIfRunning() }
        try await eventually("1,000 feeds polled", timeout: .seconds(30)) {
            Set(server.requests.map(\.path)).count == 1000
        }
        let elapsed = Date().timeIntervalSince(start)
        let pid = daemon.process.processIdentifier
        let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task").count) ?? 0
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let rssKB = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }.flatMap { Int($0.split(separator: " ")[1]) } ?? 0
        try await eventually("1,000 items stored") { daemon.count("SELECT count(*) FROM items") == 1000 }
        try await daemon.stop()
        #expect(elapsed < 30)
        #expect(threads > 0 && threads <= 32, "monitord ran \(threads) threads")
        #expect(rssKB > 0 && rssKB < 300_000, "peak RSS \(rssKB) kB")
        #expect(server.connections <= 6 * 3, "\(server.connections) connections: keep-alive reuse expected")
        print("1,000 feeds: all polled in \(String(format: "%.1f", elapsed)) s, \(threads) threads, peak RSS \(rssKB / 1024) MB, \(server.connections) connections")
    }
}
