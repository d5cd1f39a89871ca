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

    @Test("500s back off exponentially to the cap, turn the feed unhealthy with a source alert, and recovery resolves it")
    func backoffAndHealth() async throws {
        let server = try LocalHTTPServer { _ in .init(status: 500, text: "oops") }
        defer { server.stop() }
        server.setHandler { [server] _ in server.requests.count <= 5 ? .init(status: 500, text: "oops") : .init(text: Self.feed) }
        let config = try makeConfig("""
            {"database": "m.sqlite", "model": "m", "polling": {"unhealthyAfter": 3, "maxBackoff": "3s"},
             "feeds": [{"id": "flaky", "url": "\(server.url("/flaky"))", "interval": "1s"}],
             "webhooks": [{"id": "desk", "url": "http://127.0.0.1:1/h", "secretEnv": "S"}]}
            """)
        let store = try makeStore()
        let time = ManualTime()
        let outbox = PipelineSignal()
        let poller = FeedPoller(current: CurrentConfig(config), store: store, outboxWritten: outbox, time: time, logger: quietLogger)
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

    @Test("a reload that changes the feeds restarts the poller on the new list at once; other reloads do not")
    func reloadRestartsPolling() async throws {
        let server = try LocalHTTPServer { _ in .init(text: Self.feed) }
        defer { server.stop() }
        func config(_ paths: [String], logLevel: String = "info") throws -> MonitorConfig {
            let feeds = paths.map { #"{"id": "\#($0)", "url": "\#(server.url("/" + $0))", "interval": "1h"}"# }.joined(separator: ",")
            return try makeConfig(#"{"database": "m.sqlite", "model": "m", "logLevel": "\#(logLevel)", "feeds": [\#(feeds)]}"#)
        }
        let store = try makeStore()
        let current = CurrentConfig(try config(["a"]))
        let poller = FeedPoller(current: current, store: store, time: ManualTime(), logger: quietLogger)
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
}
