@testable import Config
import CurlHTTP
import Foundation
import LocalHTTPServer
@testable import Monitor
import Store
import Testing

/// The poller service in-process, on a manual clock: its schedule is checked exactly, in milliseconds.
@Suite("Feed poller on a manual clock", .serialized)
struct FeedPollerServiceTests {
    static let feed = """
        <?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
        <item><guid>g1</guid><title>Contoso shares plunge after SEC probe</title></item>
        <item><guid>g2</guid><title>Fabrikam beats estimates</title></item>
        <item><guid>g3</guid><title>Oil rises on OPEC cuts</title></item></channel></rss>
        """

    @Test("500s back off exponentially to the cap, turn the feed unhealthy with a source alert, and recovery resolves it", arguments: Backend.available)
    func backoffAndHealth(backend: Backend) async throws {
        let server = try LocalHTTPServer { _ in .init(status: 500, text: "oops") }
        defer { server.stop() }
        server.setHandler { [server] _ in server.requests.count <= 5 ? .init(status: 500, text: "oops") : .init(text: Self.feed) }
        let config = try makeConfig("""
            {"database": "m.sqlite", "model": "m", "polling": {"unhealthyAfter": 3, "maxBackoff": "3s"},
             "feeds": [{"id": "flaky", "url": "\(server.url("/flaky"))", "interval": "1s"}],
             "webhooks": [{"id": "desk", "url": "http://127.0.0.1:1/h", "secretEnv": "S"}]}
            """)
        let store = try await backend.makeStore()
        let time = ManualTime()
        let outbox = PipelineSignal()
        let poller = FeedPoller(current: CurrentConfig(config), store: store, outboxWritten: outbox, time: time, instanceID: "test", logger: quietLogger)
        let task = Task { try await poller.run() }
        defer { task.cancel() }

        var delays: [Double] = []
        for attempt in 1...5 {
            try await until("failure \(attempt) recorded") { try await store.feeds().first?.errorStreak == attempt }
            try await until("the poller waits for the next poll") { time.sleeping > 0 }
            let feed = try #require(try await store.feeds().first)
            let wait = try #require(feed.nextPollAt).timeIntervalSince(time.now)
            delays.append(wait)
            #expect(feed.lastStatus == 500 && feed.lastError == "HTTP 500")
            if attempt == 3 {
                #expect(feed.unhealthySince?.millis == time.now.millis, "the third failure in a row makes the feed unhealthy")
                let alert = try await store.alerts(fingerprints: ["source:flaky"])["source:flaky"]
                #expect(alert?.state == .firing && alert?.kind == .source)
                #expect(try await store.deliveries(failedOnly: false, limit: 10).map(\.delivery.eventType) == [.sourceUnhealthy])
            }
            time.advance(by: wait + 0.001)  // the stored time is rounded to the millisecond
        }
        // Backoff 1s, 2s, then the 3s cap (each ±10%, never past the cap), then still retried at the cap.
        // (±2 ms: stored times are whole milliseconds.)
        #expect(delays[0] >= 0.898 && delays[0] <= 1.102, "\(delays)")
        #expect(delays[1] >= 1.798 && delays[1] <= 2.202, "\(delays)")
        for d in delays[2...] { #expect(d >= 2.698 && d <= 3.002, "\(delays)") }

        try await until("recovery") { try await store.alerts(fingerprints: ["source:flaky"])["source:flaky"]?.state == .resolved }
        let feed = try #require(try await store.feeds().first)
        #expect(feed.errorStreak == 0 && feed.unhealthySince == nil && feed.itemsSeen == 3 && feed.lastSuccessAt?.millis == time.now.millis)
        #expect(try await store.deliveries(failedOnly: false, limit: 10).map(\.delivery.eventType) == [.alertResolved, .sourceUnhealthy])
        let next = try #require(feed.nextPollAt).timeIntervalSince(time.now)
        #expect(next >= 0.898 && next <= 1.102, "back to the interval after a success: \(next)")
        #expect(server.requests.count == 6)
    }

    @Test("a dead feed is unhealthy once it has had no success for polling.staleAfter, before unhealthyAfter failures; backoff waits no longer than that", arguments: Backend.available)
    func unhealthyByTime(backend: Backend) async throws {
        let server = try LocalHTTPServer { _ in .init(status: 503, text: "down") }
        defer { server.stop() }
        let config = try makeConfig("""
            {"database": "m.sqlite", "model": "m", "polling": {"unhealthyAfter": 5, "staleAfter": "25m", "maxBackoff": "2h"},
             "feeds": [{"id": "dead", "url": "\(server.url("/dead"))", "interval": "10m"}]}
            """)
        let store = try await backend.makeStore()
        let time = ManualTime()
        let started = time.now
        let poller = FeedPoller(current: CurrentConfig(config), store: store, time: time, instanceID: "test", logger: quietLogger)
        let task = Task { try await poller.run() }
        defer { task.cancel() }

        var waits: [Double] = []
        for attempt in 1...3 {
            try await until("failure \(attempt) recorded") { try await store.feeds().first?.errorStreak == attempt }
            try await until("the poller waits for the next poll") { time.sleeping > 0 }
            let feed = try #require(try await store.feeds().first)
            let wait = try #require(feed.nextPollAt).timeIntervalSince(time.now)
            waits.append(wait)
            if attempt < 3 {
                #expect(feed.unhealthySince == nil, "failure \(attempt) of 5, \(Int(time.now.timeIntervalSince(started))) s without a success")
            } else {
                #expect(feed.unhealthySince != nil, "25 minutes without a success: unhealthy after 3 failures, not 5")
                #expect(try await store.alerts(fingerprints: ["source:dead"])["source:dead"]?.state == .firing)
            }
            time.advance(by: wait + 0.001)
        }
        // Backoff would be 10 min then 20 min; the second wait stops at the stale deadline (25 min after the feed was added).
        #expect(waits[0] >= 539 && waits[0] <= 661, "\(waits)")
        let deadline = started.addingTimeInterval(25 * 60)
        let secondPoll = started.addingTimeInterval(waits[0] + 0.001)
        #expect(abs(waits[1] - deadline.timeIntervalSince(secondPoll)) < 0.01, "retried at the stale deadline: \(waits)")
        #expect(waits[2] > 20 * 60, "once unhealthy, backoff runs as before: \(waits)")
    }

    @Test("after a long stop, time without a success counts from the restart: the first failure does not make the feed unhealthy", arguments: Backend.available)
    func restartAfterLongStop(backend: Backend) async throws {
        let server = try LocalHTTPServer { _ in .init(text: Self.feed) }
        defer { server.stop() }
        let config = try makeConfig("""
            {"database": "m.sqlite", "model": "m", "polling": {"staleAfter": "25m"},
             "feeds": [{"id": "wire", "url": "\(server.url("/wire"))", "interval": "10m"}]}
            """)
        let store = try await backend.makeStore()
        let time = ManualTime()
        let first = FeedPoller(current: CurrentConfig(config), store: store, time: time, instanceID: "test", logger: quietLogger)
        let before = Task { try await first.run() }
        try await until("a success") { try await store.feeds().first?.lastSuccessAt != nil }
        before.cancel()
        _ = await before.result

        time.advance(by: 2 * 86_400)  // the daemon was stopped for two days; the feed now fails
        server.setHandler { _ in .init(status: 503, text: "down") }
        let second = FeedPoller(current: CurrentConfig(config), store: store, time: time, instanceID: "test", logger: quietLogger)
        let after = Task { try await second.run() }
        defer { after.cancel() }
        try await until("a failure") { try await store.feeds().first?.errorStreak == 1 }
        #expect(try await store.feeds().first?.unhealthySince == nil, "one failure after a restart is not 25 minutes without a success")
    }

    @Test("a reload that changes the feeds restarts the poller on the new list at once; other reloads do not", arguments: Backend.available)
    func reloadRestartsPolling(backend: Backend) async throws {
        let server = try LocalHTTPServer { _ in .init(text: Self.feed) }
        defer { server.stop() }
        func config(_ paths: [String], logLevel: String = "info") throws -> MonitorConfig {
            let feeds = paths.map { #"{"id": "\#($0)", "url": "\#(server.url("/" + $0))", "interval": "1h"}"# }.joined(separator: ",")
            return try makeConfig(#"{"database": "m.sqlite", "model": "m", "logLevel": "\#(logLevel)", "feeds": [\#(feeds)]}"#)
        }
        let store = try await backend.makeStore()
        let current = CurrentConfig(try config(["a"]))
        let poller = FeedPoller(current: current, store: store, time: ManualTime(), instanceID: "test", logger: quietLogger)
        let task = Task { try await poller.run() }
        defer { task.cancel() }
        try await until("feed a polled") { server.requests.count == 1 }
        current.replace(with: try config(["a"], logLevel: "debug"))
        try await Task.sleep(for: .milliseconds(100))
        #expect(server.requests.count == 1, "a reload that leaves the feeds alone does not re-poll")
        current.replace(with: try config(["a", "b"]))
        try await until("feed b polled") { server.requests.contains { $0.path == "/b" } }
        #expect(server.requests.filter { $0.path == "/a" }.count == 1, "feed a keeps its schedule (next poll in an hour)")
    }

    /// Runs the poller over `feeds` until `done` holds, advancing the manual clock to each next poll.
    func poll(backend: Backend, _ feeds: String, environment: [String: String] = [:], time: ManualTime, log: CapturedLog = CapturedLog(),
              until done: @escaping (any MonitorStore) async throws -> Bool) async throws -> any MonitorStore {
        let config = try ConfigLoader.parse(Array("""
            {"database": "m.sqlite", "model": "m", "http": {"userAgent": "FinSentTest/1 (ops@example.com)"}, "feeds": \(feeds)}
            """.utf8), file: "/tmp/finsent-test/config.json", environment: environment)
        let store = try await backend.makeStore()
        let poller = FeedPoller(current: CurrentConfig(config), store: store, time: time, instanceID: "test", logger: log.logger)
        let task = Task { try await poller.run() }
        defer { task.cancel() }
        try await until("the polls the test waits for") {
            if try await done(store) { return true }
            // Everyone is asleep: move the clock to the earliest next poll.
            let next = try await store.feeds().compactMap(\.nextPollAt).min()
            if time.sleeping == config.feeds.count, let next, next > time.now { time.advance(by: next.timeIntervalSince(time.now) + 0.001) }
            return false
        }
        return store
    }

    static func rss(_ guids: [String]) -> String {
        var text = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Test</title>"
        for (i, title) in ["Contoso shares plunge after SEC probe", "Fabrikam beats estimates", "Oil rises on OPEC cuts"].enumerated() {
            text += "<item><guid isPermaLink=\"false\">\(guids[i])</guid><title>\(title)</title>"
                + "<link>https://news.example.com/\(guids[i])</link><description>Story about \(title).</description>"
                + "<pubDate>Wed, 25 Nov 2026 09:41:00 -0500</pubDate></item>"
        }
        return text + "</channel></rss>"
    }

    @Test("200 then 304: conditional GET with ETag and Last-Modified, User-Agent and extra headers sent, each item stored once even when syndicated", arguments: Backend.available)
    func conditionalGetAndStoreOnce(backend: Backend) async throws {
        let server = try LocalHTTPServer { request in
            switch request.path {
            case "/feed":
                if request.header("If-None-Match") == "\"v1\"" { return .init(status: 304, headers: [("ETag", "\"v1\"")]) }
                return .init(headers: [("ETag", "\"v1\""), ("Last-Modified", "Wed, 25 Nov 2026 10:00:00 GMT"),
                                       ("Content-Type", "application/rss+xml; charset=utf-8")], text: Self.rss(["a1", "a2", "a3"]))
            default:  // the same stories under other guids: syndicated copies (answered late, so /feed's are stored first)
                return .init(text: Self.rss(["copy-a1", "copy-a2", "copy-a3"]), delay: .milliseconds(200))
            }
        }
        defer { server.stop() }
        let log = CapturedLog()
        let store = try await poll(backend: backend, """
            [{"id": "wire", "url": "\(server.url("/feed"))", "interval": "1s", "headers": {"X-Api-Key": "${FEED_TOKEN}"}},
             {"id": "copies", "url": "\(server.url("/copies"))", "interval": "1s"}]
            """, environment: ["FEED_TOKEN": "tok-123"], time: ManualTime(), log: log) { store in
            guard server.requests.filter({ $0.path == "/feed" }).count >= 3 else { return false }
            let feeds = try await store.feeds()
            return feeds.first { $0.id == "copies" }?.duplicatesSeen ?? 0 >= 6 && feeds.first { $0.id == "wire" }?.lastStatus == 304
        }
        let polls = server.requests.filter { $0.path == "/feed" }
        #expect(polls[0].header("If-None-Match") == nil)
        #expect(polls[1].header("If-None-Match") == "\"v1\"")
        #expect(polls[1].header("If-Modified-Since") == "Wed, 25 Nov 2026 10:00:00 GMT")
        #expect(polls.allSatisfy { $0.header("User-Agent") == "FinSentTest/1 (ops@example.com)" && $0.header("X-Api-Key") == "tok-123" })
        let feeds = try await store.feeds()
        let wire = try #require(feeds.first { $0.id == "wire" })
        #expect(wire.lastStatus == 304 && wire.itemsSeen == 3 && wire.etag == "\"v1\"")
        #expect(try await store.info().rowCounts.first { $0.table == "items" }?.rows == 3, "syndicated copies are not stored again")
        let item = try #require(try await store.item(id: 1))
        #expect(item.publishedAt == Date(timeIntervalSince1970: 1_795_617_660) && !item.publishedEstimated)
        #expect(log.text.contains("polled") && !log.text.contains("tok-123"), "the header value (a secret) is never logged")
    }

    @Test("429 and 503 with Retry-After, in seconds and as an HTTP date, delay the next poll; then the interval again", arguments: Backend.available)
    func retryAfter(backend: Backend) async throws {
        let time = ManualTime()
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let server = try LocalHTTPServer { _ in .init(text: Self.feed) }
        defer { server.stop() }
        server.setHandler { [server] request in
            guard server.requests.filter({ $0.path == request.path }).count == 1 else { return .init(text: Self.feed) }
            if request.path == "/seconds" { return .init(status: 429, headers: [("Retry-After", "30")], text: "slow down") }
            return .init(status: 503, headers: [("Retry-After", formatter.string(from: time.now.addingTimeInterval(40)))], text: "busy")
        }
        let start = time.now
        let store = try await poll(backend: backend, """
            [{"id": "seconds", "url": "\(server.url("/seconds"))", "interval": "1s"},
             {"id": "date", "url": "\(server.url("/date"))", "interval": "1s"}]
            """, time: time) { store in
            // Both failed once (429, 503) and then answered 200.
            try await store.feeds().allSatisfy { $0.lastStatus == 200 && $0.errorStreak == 0 } && server.requests.count >= 4
        }
        let feeds = try await store.feeds()
        for feed in feeds {
            let polled = try #require(feed.lastPolledAt).timeIntervalSince(start)
            #expect(polled >= (feed.id == "seconds" ? 29.99 : 38.99), "\(feed.id) waited for Retry-After: \(polled) s")
        }
    }
}
