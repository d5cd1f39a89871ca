@testable import Config
import Foundation
import GRDB
import LocalHTTPServer
import Monitor
import Synchronization
import Testing

/// A webhook receiver on 127.0.0.1 that checks every signature and keeps what arrived.
final class WebhookReceiver: Sendable {
    struct Message: Sendable {
        let id: String
        let type: String
        let body: [String: any Sendable]
        let verified: Bool
        /// The body as sent.
        var raw = ""
        /// The body's `data` object.
        var data: [String: Any]? { ((try? JSONSerialization.jsonObject(with: Data(raw.utf8))) as? [String: Any])?["data"] as? [String: Any] }
    }

    static let secretText = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let secret = WebhookSecret(key: Array(Data(base64Encoded: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")!))

    let server: LocalHTTPServer
    private let received = Mutex<[Message]>([])
    /// What to answer: 204 unless told otherwise.
    let status = Atomic<Int>(204)

    /// On a free port, or coming back on the port a `RefusingPort` held.
    init(comingUpOn down: RefusingPort? = nil) throws {
        let box = Mutex<WebhookReceiver?>(nil)
        let handler: LocalHTTPServer.Handler = { request in box.withLock { $0 }?.handle(request) ?? .init(status: 503) }
        server = try down.map { try LocalHTTPServer(comingUpOn: $0, handler: handler) } ?? LocalHTTPServer(handler: handler)
        box.withLock { $0 = self }
    }

    var url: String { server.url("/hook").absoluteString }
    var messages: [Message] { received.withLock { $0 } }
    /// Distinct messages by webhook-id (what a receiver that dedupes sees).
    var distinct: [Message] {
        var seen = Set<String>()
        return messages.filter { seen.insert($0.id).inserted }
    }

    func handle(_ request: LocalHTTPServer.Request) -> LocalHTTPServer.Response {
        let body = String(decoding: request.body, as: UTF8.self)
        let id = request.header("webhook-id") ?? ""
        let timestamp = Int64(request.header("webhook-timestamp") ?? "") ?? 0
        let verified = WebhookSignature.verify(id: id, timestamp: timestamp, body: body, header: request.header("webhook-signature") ?? "",
                                               secrets: [Self.secret])
        let answer = status.load(ordering: .relaxed)
        if (200..<300).contains(answer) {
            let object = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any] ?? [:]
            received.withLock {
                $0.append(Message(id: id, type: object["type"] as? String ?? "", body: object.mapValues { "\($0)" }, verified: verified, raw: body))
            }
        }
        return .init(status: answer)
    }
}

@Suite("Alerts reach webhooks signed, at least once, across crashes", .serialized)
struct WebhookDeliveryTests {
    static let model = repositoryRoot.appendingPathComponent("models/finsent-minilm").path

    /// A feed whose items are made fresh (published now) by `items`.
    static func feed(_ items: [(guid: String, title: String)]) -> String {
        let now = Date()
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        var text = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Wire</title>"
        for item in items {
            text += "<item><guid isPermaLink=\"false\">\(item.guid)</guid><title>\(item.title)</title><pubDate>\(formatter.string(from: now))</pubDate></item>"
        }
        return text + "</channel></rss>"
    }

    struct Daemon {
        let folder: TemporaryFolder
        var process: Process
        var database: String { folder.path("monitor.sqlite") }

        /// `moreFeeds`: feed id → URL, polled as often as the wire.
        init(folder: TemporaryFolder, feedURL: String, webhookURL: String, rules: [[String: Any]], interval: String = "1s",
             moreFeeds: [(id: String, url: String)] = [], api: String = "127.0.0.1:0", apiSettings: [String: Any] = [:]) throws {
            self.folder = folder
            let config: [String: Any] = [
                "database": "monitor.sqlite", "model": WebhookDeliveryTests.model, "engine": ["threads": 1, "batchSize": 16], "api": apiSettings.merging(["listen": api]) { $1 },
                "feeds": [["id": "wire", "url": feedURL, "interval": interval]] + moreFeeds.map { ["id": $0.id, "url": $0.url, "interval": interval] },
                "watchlist": [["symbol": "CTSO", "names": ["Contoso"]], ["symbol": "FBKM", "names": ["Fabrikam"]]],
                "rules": rules,
                "webhooks": [["id": "desk", "url": webhookURL, "secretEnv": "DESK_SECRET"]],
                "delivery": ["retrySchedule": ["500ms", "1s"], "timeout": "2s"],
                "logLevel": "debug",
            ]
            let data = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .withoutEscapingSlashes])
            try folder.write("config.json", String(decoding: data, as: UTF8.self))
            process = try Self.launch(folder)
        }

        static func launch(_ folder: TemporaryFolder) throws -> Process {
            try startProduct("monitord", ["--config", folder.path("config.json")], environment: ["DESK_SECRET": WebhookReceiver.secretText],
                             stdout: folder.path("stdout"), stderr: folder.path("stderr"))
        }

        mutating func restart() throws { process = try Self.launch(folder) }

        func killIfRunning() {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }

        func kill9() async throws {
            kill(process.processIdentifier, SIGKILL)
            _ = try await waitForExit(process, timeout: .seconds(10))
        }

        /// Waits until monitord is serving (SIGTERM before that ends it by the signal's default action).
        func ready() async throws {
            try await eventually("monitord ready") { log.contains("monitord is ready") }
        }

        func stop() async throws {
            try await ready()
            kill(process.processIdentifier, SIGTERM)
            let status = try await waitForExit(process, timeout: .seconds(10))
            #expect(status == 0)
        }

        func read<T>(_ body: (Database) throws -> T) throws -> T {
            var configuration = Configuration()
            configuration.readonly = true
            configuration.busyMode = .timeout(5)
            return try DatabaseQueue(path: database, configuration: configuration).read(body)
        }

        func count(_ sql: String) -> Int { (try? read { try Int.fetchOne($0, sql: sql) }) ?? nil ?? -1 }
        var log: String { (try? String(contentsOfFile: folder.path("stderr"), encoding: .utf8)) ?? "" }
    }


    static let negative = [("n1", "Contoso shares plunge 25% as SEC opens fraud probe"), ("n2", "Contoso shares tumble after profit warning"),
                           ("n3", "Contoso cuts guidance, shares sink 12%"), ("n4", "Contoso misses earnings estimates and slashes dividend"),
                           ("n5", "Contoso \u{1B}[2J\u{1B}[31mshares crash\u{1B}]0;pwned\u{07} as auditors quit")]
    static let calm = [("c1", "Contoso opens a new office in Dublin"), ("c2", "Contoso to present at an industry conference next week")]

    @Test("news about a ticker turns sharply negative: the alert fires, arrives signed with evidence, and resolves when the news calms")
    func story() async throws {
        let receiver = try WebhookReceiver()
        defer { receiver.server.stop() }
        let phase = Atomic<Int>(0)
        let feed = try LocalHTTPServer { _ in
            .init(text: phase.load(ordering: .relaxed) == 0 ? Self.feed(Self.negative) : Self.feed(Self.calm))
        }
        defer { feed.stop() }
        let daemon = try Daemon(folder: TemporaryFolder(), feedURL: feed.url("/wire").absoluteString, webhookURL: receiver.url,
                                rules: [["id": "neg-share", "metric": "negativeShare", "window": "30s", "above": 0.6, "resolveBelow": 0.5,
                                         "minItems": 3, "cooldown": "1h", "severity": "critical"]])
        try await eventually("alert.firing") { receiver.distinct.contains { $0.type == "alert.firing" } }
        // The risk report tells the same story; hostile terminal sequences in feed text never reach the screen.
        let config = daemon.folder.path("config.json")
        let environment = ["DESK_SECRET": WebhookReceiver.secretText]
        let json = try await runProduct("monitorctl", ["query", "--config", config, "--since", "1h", "--format", "json"], environment: environment)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], "\(json.stderr)")
        let ctso = try #require((report["entities"] as? [[String: Any]])?.first { $0["symbol"] as? String == "CTSO" })
        #expect((ctso["items"] as? Int ?? 0) >= 5)
        #expect((ctso["negativeShare"] as? Double ?? 0) > 0.6)
        #expect((ctso["firingAlerts"] as? [String]) == ["neg-share"])
        #expect(((ctso["topNegative"] as? [[String: Any]])?.count ?? 0) == 3)
        let table = try await runProduct("monitorctl", ["query", "--config", config, "--since", "1h", "--entity", "CTSO"], environment: environment)
        #expect(table.stdout.contains("CTSO") && table.stdout.contains("neg-share"), "\(table.stdout)\(table.stderr)")
        #expect(!table.stdout.contains("\u{1B}"), "escape sequences from feed text reached the terminal")
        let csv = try await runProduct("monitorctl", ["query", "--config", config, "--since", "1h", "--format", "csv"], environment: environment)
        #expect(csv.stdout.hasPrefix("symbol,name,items,") && csv.stdout.contains("\nCTSO,Contoso,"), "\(csv.stdout)")
        phase.store(1, ordering: .relaxed)
        try await eventually("alert.resolved", timeout: .seconds(40)) { receiver.distinct.contains { $0.type == "alert.resolved" } }
        try await daemon.stop()
        let messages = receiver.distinct
        #expect(messages.allSatisfy { $0.verified }, "every message's signature verifies")
        let firing = try #require(messages.first { $0.type == "alert.firing" })
        let data = "\(firing.body["data"] ?? "")"
        #expect(data.contains("CTSO") && data.contains("neg-share") && data.contains("evidence") && data.contains("plunge"), "\(data)")
        #expect(messages.filter { $0.type == "alert.firing" }.count == 1, "cooldown 1h: no repeat")
    }

    @Test("SIGKILL at random moments during ingest, scoring, alerting and delivery, 100 rounds: the database intact after each, no item stored twice, every item scored once, every alert delivered under one webhook-id")
    func sigkillRounds() async throws {
        let receiver = try WebhookReceiver()
        defer { receiver.server.stop() }
        // Each request serves the next 5 items of a growing burst; ticker mentions rotate over 4 symbols.
        let served = Atomic<Int>(0)
        let symbols = ["Contoso", "Fabrikam"]
        let feed = try LocalHTTPServer { _ in
            let end = served.add(5, ordering: .relaxed).newValue
            let items = (max(0, end - 30)..<end).map { i in ("b\(i)", "\(symbols[i % 2]) shares slump as outlook darkens, report \(i)") }
            return .init(text: Self.feed(items))
        }
        defer { feed.stop() }
        var daemon = try Daemon(folder: TemporaryFolder(), feedURL: feed.url("/wire").absoluteString, webhookURL: receiver.url,
                                // The burst's items are one story per ticker (the same headline, numbered): count items.
                                rules: [["id": "volume5", "metric": "volume", "window": "1h", "above": 5, "cooldown": "1h", "count": "items"],
                                        ["id": "volume15", "metric": "volume", "window": "1h", "above": 15, "cooldown": "1h", "count": "items"]])
        var integrity: [String] = []
        for _ in 0..<100 {
            try await Task.sleep(for: .milliseconds(Int.random(in: 300...1200)))
            try await daemon.kill9()
            integrity.append((try? daemon.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } ?? "") ?? "unreadable")
            try daemon.restart()
        }
        #expect(integrity.allSatisfy { $0 == "ok" }, "\(integrity.filter { $0 != "ok" })")
        // Let it finish: the last poll's items scored, every alert delivered.
        let final = served.load(ordering: .relaxed)
        try await eventually("every item scored", timeout: .seconds(60)) {
            daemon.count("SELECT count(*) FROM scores") == daemon.count("SELECT count(*) FROM items") && daemon.count("SELECT count(*) FROM items") >= min(final, 30)
        }
        try await eventually("every delivery done", timeout: .seconds(60)) {
            daemon.count("SELECT count(*) FROM webhook_deliveries WHERE status != 'delivered'") == 0
                && daemon.count("SELECT count(*) FROM webhook_deliveries") >= 4
        }
        try await daemon.stop()
        let guids = try daemon.read { try String.fetchAll($0, sql: "SELECT canonical_id FROM items") }
        #expect(Set(guids).count == guids.count)
        #expect(daemon.count("SELECT count(*) FROM (SELECT item_id FROM scores GROUP BY item_id HAVING count(*) > 1)") == 0)
        let outbox = try daemon.read { try String.fetchAll($0, sql: "SELECT message_id FROM webhook_deliveries") }
        #expect(Set(receiver.distinct.map(\.id)) == Set(outbox), "each queued message arrived (at least once)")
        #expect(receiver.messages.allSatisfy { $0.verified })
        // A message sent again after a kill carries the same webhook-id and the same body.
        let bodies = Dictionary(grouping: receiver.messages, by: \.id).mapValues { Set($0.map(\.raw)) }
        #expect(bodies.values.allSatisfy { $0.count == 1 })
        // Two rules × two tickers fired once each (cooldown 1h): exactly four alert.firing messages after dedupe.
        #expect(receiver.distinct.filter { $0.type == "alert.firing" }.count == 4, "\(receiver.distinct.map(\.type))")
    }

    /// One event, five outlets' versions (and the same company's other news on the wire).
    static let syndicated: [(feed: String, guid: String, title: String)] = [
        ("wire", "w1", "Contoso shares plunge 25% after SEC opens fraud probe"),
        ("wire", "w2", "Contoso to open a new research centre in Dublin"),
        ("bloomberg", "b1", "Contoso Tumbles 25% on SEC Fraud Investigation"),
        ("marketwatch", "m1", "SEC investigating Contoso over accounting fraud; stock sinks 25%"),
        ("cnbc", "c1", "Contoso stock craters 25% on SEC fraud probe"),
        ("social", "s1", "$CTSO -25% on an SEC fraud probe. Brutal."),
    ]

    @Test("one event from five feeds counts once: the alert's burst and evidence show one story with five sources; after a restart the next copy joins it")
    func syndicatedStory() async throws {
        let receiver = try WebhookReceiver()
        defer { receiver.server.stop() }
        let phase = Atomic<Int>(0)
        let feed = try LocalHTTPServer { request in
            let name = String(request.path.dropFirst())
            var items = Self.syndicated.filter { $0.feed == name }.map { (guid: $0.guid, title: $0.title) }
            if name == "wire", phase.load(ordering: .relaxed) == 1 {
                items.append((guid: "w3", title: "UPDATE 1-Contoso shares plunge 25% after SEC opens fraud probe"))
            }
            return .init(text: Self.feed(items))
        }
        defer { feed.stop() }
        let others = ["bloomberg", "marketwatch", "cnbc", "social"].map { (id: $0, url: feed.url("/\($0)").absoluteString) }
        // Fires once the window has one negative story against a quiet day; `for` lets every outlet's copy arrive first.
        var daemon = try Daemon(folder: TemporaryFolder(), feedURL: feed.url("/wire").absoluteString, webhookURL: receiver.url,
                                rules: [["id": "neg-burst", "metric": "burst", "window": "1h", "above": 0.5, "for": "6s", "cooldown": "1h"]],
                                moreFeeds: others)
        try await eventually("alert.firing", timeout: .seconds(60)) { receiver.distinct.contains { $0.type == "alert.firing" } }
        let firing = try #require(receiver.distinct.first { $0.type == "alert.firing" })
        let data = try #require(firing.data)
        let metrics = try #require(data["metrics"] as? [String: Any])
        #expect(metrics["negatives"] as? Int == 1 && metrics["burst"] as? Double == 1, "five copies are one negative story: \(metrics)")
        #expect(metrics["volume"] as? Int == 2, "the fraud story and the Dublin news: \(metrics)")
        let evidence = try #require(data["evidence"] as? [[String: Any]])
        let story = try #require(evidence.first)
        #expect(story["size"] as? Int == 5 && (story["sources"] as? [String])?.count == 5, "\(story)")
        #expect(Set(evidence.compactMap { $0["storyId"] as? Int }).count == evidence.count, "each story listed once")
        #expect((data["rule"] as? [String: Any])?["count"] as? String == "stories")

        // Restart: the stories of the window are read back, and the wire's update joins the same story.
        try await daemon.stop()
        phase.store(1, ordering: .relaxed)
        try daemon.restart()
        do {
            try await eventually("the update scored", timeout: .seconds(60)) {
                daemon.count("SELECT count(*) FROM story_items si JOIN items i ON i.id = si.item_id WHERE i.title LIKE 'UPDATE 1-%'") == 1
            }
        } catch {
            Issue.record("\(daemon.log.suffix(4000))")
            throw error
        }
        let config = daemon.folder.path("config.json")
        let listed = try await runProduct("monitorctl", ["stories", "--config", config, "--entity", "CTSO", "--format", "json"],
                                          environment: ["DESK_SECRET": WebhookReceiver.secretText])
        let document = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: Any], "\(listed.stderr)")
        let stories = try #require(document["stories"] as? [[String: Any]])
        let fraud = try #require(stories.first { ($0["size"] as? Int ?? 0) > 1 }, "\(stories)")
        #expect(fraud["size"] as? Int == 6 && (fraud["sources"] as? [String])?.sorted() == ["bloomberg", "cnbc", "marketwatch", "social", "wire"])
        #expect((fraud["items"] as? [[String: Any]])?.count == 6)
        for key in ["id", "title", "firstSeen", "lastSeen", "size", "sources", "items"] { #expect(fraud[key] != nil, "\(key)") }
        #expect(stories.count == 2, "\(stories.map { $0["title"] ?? "" })")
        let table = try await runProduct("monitorctl", ["stories", "--config", config], environment: ["DESK_SECRET": WebhookReceiver.secretText])
        #expect(table.stdout.contains("6 items from bloomberg, cnbc, marketwatch, social, wire"), "\(table.stdout)")
        try await daemon.stop()
    }

    @Test("a receiver that answers 500 three times gets the alert on the 4th attempt; every attempt is recorded")
    func retriesAfterErrors() async throws {
        let receiver = try WebhookReceiver()
        defer { receiver.server.stop() }
        receiver.status.store(500, ordering: .relaxed)
        let feed = try LocalHTTPServer { _ in .init(text: Self.feed(Self.negative)) }
        defer { feed.stop() }
        let daemon = try Daemon(folder: TemporaryFolder(), feedURL: feed.url("/wire").absoluteString, webhookURL: receiver.url,
                                rules: [["id": "volume", "metric": "volume", "window": "1h", "above": 2, "cooldown": "1h"]])
        try await eventually("three failed attempts") { receiver.server.requests.filter { $0.path == "/hook" }.count >= 3 }
        receiver.status.store(204, ordering: .relaxed)
        try await eventually("delivery") { !receiver.distinct.isEmpty }
        try await daemon.stop()
        #expect(receiver.distinct.count == 1 && receiver.distinct[0].verified)
        let attempts = try daemon.read { try Int.fetchAll($0, sql: "SELECT coalesce(http_status, 0) FROM delivery_attempts ORDER BY id") }
        #expect(attempts.count == receiver.server.requests.filter { $0.path == "/hook" }.count)
        #expect(attempts.last == 204 && attempts.dropLast().allSatisfy { $0 == 500 }, "\(attempts)")
        #expect(daemon.count("SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered'") == 1)
        let ids = Set(receiver.server.requests.filter { $0.path == "/hook" }.compactMap { $0.header("webhook-id") })
        #expect(ids.count == 1, "webhook-id is stable across retries")
    }

    @Test("receiver down, monitord killed with SIGKILL, receiver back, monitord restarted: the alert arrives within seconds")
    func downAcrossSigkill() async throws {
        let closed = try RefusingPort()
        let feed = try LocalHTTPServer { _ in .init(text: Self.feed(Self.negative)) }
        defer { feed.stop() }
        var daemon = try Daemon(folder: TemporaryFolder(), feedURL: feed.url("/wire").absoluteString, webhookURL: closed.url("/hook").absoluteString,
                                rules: [["id": "volume", "metric": "volume", "window": "1h", "above": 2, "cooldown": "1h"]])
        try await eventually("a failed delivery attempt") { daemon.count("SELECT count(*) FROM delivery_attempts") >= 2 }
        try await daemon.kill9()
        let receiver = try WebhookReceiver(comingUpOn: closed)
        defer { receiver.server.stop() }
        let restarted = ContinuousClock.now
        try daemon.restart()
        try await eventually("delivery after restart") { !receiver.distinct.isEmpty }
        #expect(ContinuousClock.now - restarted < .seconds(10))
        try await daemon.stop()
        #expect(receiver.distinct.count == 1 && receiver.distinct.allSatisfy { $0.verified })
        #expect(receiver.distinct[0].type == "alert.firing")
    }
}
