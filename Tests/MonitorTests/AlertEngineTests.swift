import Foundation
import GRDB
import Store
import Testing
@testable import Monitor

@Suite("Entities, signatures and the alert lifecycle")
struct AlertEngineTests {
    // MARK: - Entities

    let tagger = EntityTagger(watchlist: [
        WatchlistEntry(symbol: "AAPL", names: ["Apple", "Apple Inc."], aliases: ["iPhone maker"]),
        WatchlistEntry(symbol: "JPM", names: ["JPMorgan", "J.P. Morgan"], aliases: []),
    ])

    func symbols(_ text: String) -> [String] { tagger.mentions(in: text).map(\.symbol) }

    @Test("names match whole words, case-sensitively; aliases too")
    func names() {
        #expect(symbols("Apple's profit rises") == ["AAPL"])
        #expect(symbols("pineapple prices soar").isEmpty)
        #expect(symbols("apple pie recipes").isEmpty)
        #expect(symbols("Apples and oranges").isEmpty)
        #expect(symbols("The iPhone maker cut prices") == ["AAPL"])
        #expect(symbols("J.P. Morgan and Apple Inc. sign a deal") == ["AAPL", "JPM"])
    }

    @Test("cashtags count for any symbol; amounts are not cashtags; exchange tags count")
    func cashtags() {
        let found = tagger.mentions(in: "$aapl up, $BRK.B flat, $TSLA down, raised $5bn and $5 (NASDAQ: CTSO)")
        #expect(found.map(\.symbol) == ["AAPL", "BRK.B", "CTSO", "TSLA"])
        #expect(found.first { $0.symbol == "TSLA" }?.kind == .cashtag)
        #expect(symbols("costs $100 or US$5").isEmpty)
    }

    // MARK: - Signatures

    @Test("signatures match the Standard Webhooks reference vector; rotation signs with every secret")
    func signature() {
        let secret = WebhookSecret(key: Array(Data(base64Encoded: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")!))
        let other = WebhookSecret(key: Array("another-secret-key-16b".utf8))
        let header = WebhookSignature.sign(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: #"{"test": 2432232314}"#,
                                           secrets: [secret])
        #expect(header == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        let rotated = WebhookSignature.sign(id: "m", timestamp: 1, body: "{}", secrets: [other, secret])
        #expect(rotated.split(separator: " ").count == 2)
        #expect(WebhookSignature.verify(id: "m", timestamp: 1, body: "{}", header: rotated, secrets: [secret]))
        #expect(!WebhookSignature.verify(id: "m", timestamp: 1, body: "{ }", header: rotated, secrets: [secret]))
    }

    // MARK: - Lifecycle

    /// A migrated database with `negatives` negative and `others` neutral items about CTSO, published at `at`.
    func database() throws -> DatabasePool {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("finsent-alerts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let pool = try MonitorDatabase.openForWriting(path: folder.appendingPathComponent("m.sqlite").path)
        try pool.write { db in
            try db.execute(sql: "INSERT INTO feeds (id, url, created_at) VALUES ('wire', 'http://x', 0)")
            try db.execute(sql: "INSERT INTO entities (symbol, on_watchlist, first_seen_at) VALUES ('CTSO', 1, 0)")
        }
        return pool
    }

    func add(_ pool: DatabasePool, label: String, risk: Double, at: Date) throws {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO items (canonical_id, content_hash, feed_id, title, published_at, fetched_at)
                VALUES (?, ?, 'wire', ?, ?, ?)
                """, arguments: [UUID().uuidString, UUID().uuidString, "Contoso \(label)", at.millis, at.millis])
            let id = db.lastInsertedRowID
            try db.execute(sql: """
                INSERT INTO scores (item_id, model_version, heads, sentiment, risk, label, topic, explanation, scored_at)
                VALUES (?, 'm@1', '{}', ?, ?, ?, 'Earnings', '[{"word":"plunge","weight":0.3}]', ?)
                """, arguments: [id, label == "negative" ? -0.9 : 0, risk, label, at.millis])
            try db.execute(sql: "INSERT INTO mentions (item_id, symbol, kind, matched) VALUES (?, 'CTSO', 'name', 'Contoso')", arguments: [id])
        }
    }

    func config(_ rule: AlertRule) throws -> MonitorConfig {
        var config = try ConfigLoader.parse(Array(#"{"database": "/tmp/x.sqlite", "model": "m", "watchlist": [{"symbol": "CTSO", "names": ["Contoso"]}], "webhooks": [{"id": "desk", "url": "http://127.0.0.1:1/h", "secretEnv": "S"}]}"#.utf8),
                                            file: "/tmp/config.json", environment: ["S": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
        config.rules = [rule]
        return config
    }

    func rule(for duration: Duration = .zero, cooldown: Duration = .seconds(600), resolveAt: Double? = 0.3) -> AlertRule {
        AlertRule(id: "neg", metric: .negativeShare, window: .seconds(3600), above: 0.5, below: nil, minItems: 2, cooldown: cooldown,
                  forDuration: duration, resolveAt: resolveAt, entities: [], severity: "critical", webhooks: [])
    }

    func outbox(_ pool: DatabasePool) throws -> [String] {
        try pool.read { try String.fetchAll($0, sql: "SELECT event_type FROM webhook_deliveries ORDER BY id") }
    }

    @Test("pending while `for` runs, then firing with one notification; repeats after the cooldown; resolves below the hysteresis line")
    func lifecycle() throws {
        let pool = try database()
        let engine = AlertEngine(database: pool)
        let config = try config(rule(for: .seconds(60), cooldown: .seconds(600)))
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        try add(pool, label: "negative", risk: 0.8, at: t0)
        try add(pool, label: "negative", risk: 0.7, at: t0)
        try add(pool, label: "neutral", risk: 0.0, at: t0)
        #expect(try engine.evaluate(config: config, modelVersion: "m@1", now: t0).map(\.state) == ["pending"])
        #expect(try outbox(pool).isEmpty)
        #expect(try engine.evaluate(config: config, modelVersion: "m@1", now: t0 + 30).isEmpty, "still pending")
        #expect(try engine.evaluate(config: config, modelVersion: "m@1", now: t0 + 61).map(\.state) == ["firing"])
        #expect(try outbox(pool) == ["alert.firing"])
        #expect(try engine.evaluate(config: config, modelVersion: "m@1", now: t0 + 300).isEmpty, "within the cooldown")
        #expect(try engine.evaluate(config: config, modelVersion: "m@1", now: t0 + 662).map(\.state) == ["firing"])
        #expect(try outbox(pool) == ["alert.firing", "alert.firing"])
        // Share 2/5 = 0.4: below the 0.5 threshold but above resolveBelow 0.3: still firing (hysteresis).
        try add(pool, label: "neutral", risk: 0, at: t0 + 663)
        try add(pool, label: "neutral", risk: 0, at: t0 + 663)
        #expect(try engine.evaluate(config: config, modelVersion: "m@1", now: t0 + 664).isEmpty)
        // 2/7 < 0.3: resolved, notified.
        try add(pool, label: "neutral", risk: 0, at: t0 + 665)
        try add(pool, label: "neutral", risk: 0, at: t0 + 665)
        #expect(try engine.evaluate(config: config, modelVersion: "m@1", now: t0 + 666).map(\.state) == ["resolved"])
        #expect(try outbox(pool) == ["alert.firing", "alert.firing", "alert.resolved"])
        let payload = try pool.read { try String.fetchOne($0, sql: "SELECT payload FROM webhook_deliveries ORDER BY id LIMIT 1") } ?? ""
        let json = try JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any]
        let data = json?["data"] as? [String: Any]
        #expect(json?["type"] as? String == "alert.firing")
        #expect(data?["fingerprint"] as? String == AlertEngine.fingerprint(rule: "neg", symbol: "CTSO"))
        #expect((data?["evidence"] as? [[String: Any]])?.first?["words"] as? [String] == ["plunge"])
        #expect((data?["metrics"] as? [String: Any])?["volume"] as? Int == 3)
    }

    @Test("a pending alert whose condition clears is dropped without a notification; minItems guards thin windows")
    func pendingCancelled() throws {
        let pool = try database()
        let engine = AlertEngine(database: pool)
        let config = try config(rule(for: .seconds(60)))
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        try add(pool, label: "negative", risk: 0.8, at: t0)
        #expect(try engine.evaluate(config: config, modelVersion: "m@1", now: t0).isEmpty, "one item < minItems 2")
        try add(pool, label: "negative", risk: 0.8, at: t0)
        #expect(try engine.evaluate(config: config, modelVersion: "m@1", now: t0 + 1).map(\.state) == ["pending"])
        for _ in 0..<3 { try add(pool, label: "neutral", risk: 0, at: t0 + 2) }
        #expect(try engine.evaluate(config: config, modelVersion: "m@1", now: t0 + 3).map(\.state) == ["cancelled"])
        #expect(try outbox(pool).isEmpty)
    }

    @Test("a silence on the symbol or the rule records the alert but sends nothing")
    func silenced() throws {
        let pool = try database()
        let engine = AlertEngine(database: pool)
        let config = try config(rule())
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        try pool.write { try $0.execute(sql: "INSERT INTO silences (matcher, created_at, until_at) VALUES ('CTSO', 0, ?)", arguments: [(t0 + 3600).millis]) }
        for _ in 0..<3 { try add(pool, label: "negative", risk: 0.9, at: t0) }
        let changes = try engine.evaluate(config: config, modelVersion: "m@1", now: t0)
        #expect(changes.map(\.state) == ["firing"] && changes.allSatisfy { !$0.notified })
        #expect(try outbox(pool).isEmpty)
    }
}
