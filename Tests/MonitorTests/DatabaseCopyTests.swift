import Foundation
import Store
import Testing
import Transformer

/// `monitorctl db copy`: an embedded database moves into PostgreSQL with its history, and monitorctl
/// tells the same story from either backend.
@Suite("Growing from SQLite to PostgreSQL", .enabled(if: PostgresTestServer.isInstalled))
struct DatabaseCopyTests {
    /// An hour of history in an SQLite file: 60 scored items about Apple, a firing alert with its outbox row.
    func history(in path: String) async throws {
        let version = try TextClassifier.version(of: WebhookDeliveryTests.model)
        let store = try SQLiteStore(path: path, mode: .createAndMigrate)
        let now = Date()
        _ = try await store.syncFeeds([FeedSpec(id: "wire", url: "http://127.0.0.1:1/wire")], at: now)
        let items = (0..<60).map { i in
            NewItem(canonicalID: "c\(i)", contentHash: "h\(i)", dedupeByContent: false, title: "Apple story \(i)", link: "https://x/\(i)",
                    summary: "", authorsJSON: "[]", rawJSON: "{}", publishedAt: now.addingTimeInterval(Double(-i * 60)), publishedEstimated: false)
        }
        _ = try await store.recordPoll(FeedPollUpdate(feedID: "wire", status: 200, outcome: .success(etag: "\"v1\"", lastModified: nil,
                                                                                                      url: "http://127.0.0.1:1/wire"),
                                                      nextPollAt: now, at: now), items: items, sourceAlert: nil)
        let pending = try await store.unscoredItems(after: 0, modelVersion: version, limit: 100, publishedSince: nil, claim: nil)
        try await store.writeScores(pending.map { item in
            ScoredItem(score: ScoreRecord(itemID: item.id, modelVersion: version, heads: "{}", sentiment: item.id % 3 == 0 ? -0.8 : 0.2,
                                          risk: item.id % 3 == 0 ? 0.9 : 0.1, label: item.id % 3 == 0 ? "negative" : "neutral",
                                          topic: "Earnings", explanation: #"[{"word":"plunge","weight":0.4}]"#, scoredAt: now),
                       mentions: [MentionRecord(itemID: item.id, symbol: "AAPL", kind: .name, matched: "Apple")],
                       entities: [EntityRecord(symbol: "AAPL", name: "Apple", onWatchlist: true, firstSeenAt: now)],
                       // Stories of three items each, with embeddings (bytea on PostgreSQL).
                       story: StoryLink(storyID: item.id - (item.id - 1) % 3, embedding: [127, -127, 0, Int8(item.id % 100)],
                                        publishedAt: item.publishedAt, feedID: item.feedID))
        })
        let alert = AlertRecord(fingerprint: "neg:AAPL", kind: .threshold, ruleID: "neg", entity: "AAPL", state: .firing, severity: .critical,
                                value: 0.33, startedAt: now, firedAt: now, lastNotifiedAt: now, updatedAt: now)
        try await store.applyAlertWrites([AlertWrite(alert: alert, event: .firing, details: #"{"value":0.33}"#, notifications: [
            NewDelivery(messageID: "msg_1", webhookID: "desk", eventType: .alertFiring, payload: #"{"type":"alert.firing"}"#, createdAt: now),
        ])])
    }

    func config(_ folder: TemporaryFolder, database: String, name: String) throws -> String {
        try folder.write(name, configJSON(database: "\"\(database)\"", feeds: #"[{"id": "wire", "url": "http://127.0.0.1:1/wire", "interval": "1m"}]"#,
                                          rules: #"[{"id": "neg", "metric": "negativeShare", "window": "1h", "above": 0.3, "cooldown": "1h"}]"#))
    }

    @Test("copy moves every table with its ids; a non-empty target is refused without --append; --append resumes; monitorctl reads both alike")
    func copy() async throws {
        let server = try await PostgresTestServer.shared()
        let folder = try TemporaryFolder()
        let sqlite = folder.path("monitor.sqlite")
        try await history(in: sqlite)
        let database = try await server.createDatabase()
        let sqliteConfig = try config(folder, database: sqlite, name: "sqlite.json")
        let postgresConfig = try config(folder, database: server.uri(database), name: "postgres.json")

        let copied = try await runProduct("monitorctl", ["db", "copy", "--config", sqliteConfig, "--to", server.uri(database)])
        #expect(copied.status == 0, "\(copied.stderr)")
        #expect(copied.stdout.contains("items                60 rows copied") && copied.stdout.contains("webhook_deliveries   1 rows copied"),
                "\(copied.stdout)")
        for table in ["items", "scores", "mentions", "stories", "story_items", "alerts", "alert_events", "webhook_deliveries", "feeds"] {
            let sqliteRows = try await SQLiteStore(path: sqlite, mode: .readOnly).info().rowCounts.first { $0.table == table }?.rows
            #expect(await server.count("SELECT count(*) FROM \(table)", database: database) == sqliteRows, "\(table)")
        }
        #expect(try await server.psql("SELECT etag FROM feeds", database: database) == "\"v1\"", "feed state moves too")
        #expect(await server.count("SELECT count(*) FROM stories", database: database) == 20)
        #expect(try await server.psql("SELECT encode(embedding, 'hex') FROM story_items WHERE item_id = 5", database: database) == "7f810005",
                "embeddings move byte for byte")

        // Same commands, same output. The report's range is fixed: its decayed risk moves with the time it is computed at.
        let iso = ISO8601DateFormatter()
        let until = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.up) + 1)
        let range = ["--since", iso.string(from: until.addingTimeInterval(-7200)), "--until", iso.string(from: until)]
        for arguments in [["query"] + range + ["--format", "json"], ["alerts", "list"], ["deliveries", "list"], ["feeds"],
                          ["stories", "--since", "3h", "--format", "json"]] {
            let a = try await runProduct("monitorctl", arguments + ["--config", sqliteConfig])
            let b = try await runProduct("monitorctl", arguments + ["--config", postgresConfig])
            #expect(a.status == 0 && b.status == 0, "\(arguments): \(a.stderr) \(b.stderr)")
            let expected = ["feeds": "wire", "deliveries": "alert.firing", "stories": "Apple story"][arguments[0]] ?? "AAPL"
            #expect(a.stdout.contains(expected), "\(a.stdout)")
            #expect(Self.withoutTimes(a.stdout) == Self.withoutTimes(b.stdout), "\(arguments):\n\(a.stdout)\n---\n\(b.stdout)")
        }

        let again = try await runProduct("monitorctl", ["db", "copy", "--config", sqliteConfig, "--to", server.uri(database)])
        #expect(again.status == 65 && again.stderr.contains("already holds") && again.stderr.contains("--append"), "\(again.stderr)")
        let resumed = try await runProduct("monitorctl", ["db", "copy", "--config", sqliteConfig, "--to", server.uri(database), "--append"])
        #expect(resumed.status == 0 && resumed.stdout.contains("items                0 rows copied"), "\(resumed.stdout) \(resumed.stderr)")

        // New rows continue after the copied ids.
        let store = try await PostgresStore.open(server.location(database), mode: .existing, logger: quietLogger)
        let now = Date()
        _ = try await store.recordPoll(FeedPollUpdate(feedID: "wire", status: 200, outcome: .success(etag: nil, lastModified: nil, url: "http://x"),
                                                      nextPollAt: now, at: now),
                                       items: [NewItem(canonicalID: "new", contentHash: "new", dedupeByContent: false, title: "New", link: nil,
                                                       summary: "", authorsJSON: "[]", rawJSON: "{}", publishedAt: now, publishedEstimated: false)],
                                       sourceAlert: nil)
        #expect(try await store.scoringCursor(modelVersion: TextClassifier.version(of: WebhookDeliveryTests.model)) == 60,
                "the new item got id 61")
        await store.close()
    }

    /// The output with clock times and ages masked (the two commands ran a moment apart).
    /// The text with times masked: the two commands run a moment apart, so "1s ago", "now" and "in 1s"
    /// may name the same time; table columns are padded to their widest cell, so spacing is collapsed too.
    static func withoutTimes(_ text: String) -> String {
        text.replacingOccurrences(of: #"\d{4}-\d\d-\d\dT[\d:.]+Z"#, with: "TIME", options: .regularExpression)
            .replacingOccurrences(of: #"\b(\d+(ms|s|m|h|d))+ ago\b"#, with: "WHEN", options: .regularExpression)
            .replacingOccurrences(of: #"\bin (\d+(ms|s|m|h|d))+\b"#, with: "WHEN", options: .regularExpression)
            .replacingOccurrences(of: #"\bnow\b"#, with: "WHEN", options: .regularExpression)
            .replacingOccurrences(of: #" +"#, with: " ", options: .regularExpression)
    }
}
