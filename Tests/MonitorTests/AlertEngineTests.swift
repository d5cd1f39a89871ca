import Alerts
@testable import Config
import Foundation
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

    @Test("a 3,000-entity watchlist: names that prefix each other match only whole, the longest name wins")
    func universe() {
        let watchlist = (0..<3000).map { WatchlistEntry(symbol: "S\($0)", names: ["Company \($0)", "Company \($0) Holdings"], aliases: []) }
        let tagger = EntityTagger(watchlist: watchlist)
        #expect(tagger.mentions(in: "Company 12 Holdings beat Company 1200").map(\.symbol) == ["S12", "S1200"])
        #expect(tagger.mentions(in: "Company 12 Holdings beat Company 1200").first?.matched == "Company 12 Holdings")
        #expect(tagger.mentions(in: "Company 7 and Company 2999 rise; Company 3000 is not listed").map(\.symbol) == ["S2999", "S7"])
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
        let then = Date(timeIntervalSince1970: 1)
        #expect(WebhookSignature.verify(id: "m", timestamp: 1, body: "{}", header: rotated, secrets: [secret], now: then))
        #expect(!WebhookSignature.verify(id: "m", timestamp: 1, body: "{ }", header: rotated, secrets: [secret], now: then))
        // Standard Webhooks: a timestamp more than 5 minutes away is refused (a replay, or a clock that is wrong).
        let signed = WebhookSignature.sign(id: "m", timestamp: 1_000_000, body: "{}", secrets: [secret])
        #expect(WebhookSignature.verify(id: "m", timestamp: 1_000_000, body: "{}", header: signed, secrets: [secret],
                                        now: Date(timeIntervalSince1970: 1_000_300)))
        #expect(!WebhookSignature.verify(id: "m", timestamp: 1_000_000, body: "{}", header: signed, secrets: [secret],
                                         now: Date(timeIntervalSince1970: 1_000_301)), "5 minutes and a second late")
        #expect(!WebhookSignature.verify(id: "m", timestamp: 1_000_000, body: "{}", header: signed, secrets: [secret],
                                         now: Date(timeIntervalSince1970: 999_699)), "from the future")
        // Only v1 signatures of the right length count; a truncated or other-scheme one never matches.
        let mac = String(signed.dropFirst(3))
        #expect(!WebhookSignature.verify(id: "m", timestamp: 1_000_000, body: "{}", header: "v1," + mac.dropLast(4), secrets: [secret],
                                         now: Date(timeIntervalSince1970: 1_000_000)))
        #expect(!WebhookSignature.verify(id: "m", timestamp: 1_000_000, body: "{}", header: "v1a," + mac, secrets: [secret],
                                         now: Date(timeIntervalSince1970: 1_000_000)))
        #expect(!WebhookSignature.verify(id: "m", timestamp: 1_000_000, body: "{}", header: signed, secrets: [other],
                                         now: Date(timeIntervalSince1970: 1_000_000)))
    }

    // MARK: - Lifecycle, through the store

    let model = "m@1"

    /// A migrated store with the feed `wire` and nothing else.
    func store(_ backend: Backend) async throws -> any MonitorStore {
        let store = try await backend.makeStore()
        _ = try await store.syncFeeds([FeedSpec(id: "wire", url: "http://x")], at: Date(millis: 0))
        return store
    }

    /// Stores one scored item about Contoso (CTSO) published at `at`, as the poller and scorer would.
    func add(_ store: any MonitorStore, label: String, risk: Double, at: Date) async throws {
        let id = UUID().uuidString
        let item = NewItem(canonicalID: id, contentHash: id, dedupeByContent: false, title: "Contoso \(label)", link: nil, summary: "",
                           authorsJSON: "[]", rawJSON: "{}", publishedAt: at, publishedEstimated: false)
        _ = try await store.recordPoll(FeedPollUpdate(feedID: "wire", status: 200, outcome: .success(etag: nil, lastModified: nil, url: "http://x"),
                                                      nextPollAt: at, at: at), items: [item], sourceAlert: nil)
        let stored = try await store.unscoredItems(after: 0, modelVersion: model, limit: 1000, publishedSince: nil, claim: nil)
        let scored = stored.map { item in
            ScoredItem(score: ScoreRecord(itemID: item.id, modelVersion: model, heads: "{}", sentiment: label == "negative" ? -0.9 : 0,
                                          risk: risk, label: label, topic: "Earnings", explanation: #"[{"word":"plunge","weight":0.3}]"#,
                                          scoredAt: at),
                       mentions: [MentionRecord(itemID: item.id, symbol: "CTSO", kind: .name, matched: "Contoso")],
                       entities: [EntityRecord(symbol: "CTSO", name: "Contoso", onWatchlist: true, firstSeenAt: at)])
        }
        try await store.writeScores(scored)
    }

    func config(_ rule: AlertRule) throws -> MonitorConfig {
        var config = try ConfigLoader.parse(Array(#"{"database": "/tmp/x.sqlite", "model": "m", "watchlist": [{"symbol": "CTSO", "names": ["Contoso"]}], "webhooks": [{"id": "desk", "url": "http://127.0.0.1:1/h", "secretEnv": "S"}]}"#.utf8),
                                            file: "/tmp/config.json", environment: ["S": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
        config.rules = [rule]
        return config
    }

    func rule(for duration: Duration = .zero, cooldown: Duration = .seconds(600), resolveAt: Double? = 0.3) -> AlertRule {
        AlertRule(id: "neg", metric: .negativeShare, window: .seconds(3600), threshold: .above(0.5, resolveBelow: resolveAt), minItems: 2,
                  cooldown: cooldown, forDuration: duration, entities: [], severity: .critical, webhooks: [])
    }

    func outbox(_ store: any MonitorStore) async throws -> [WebhookEventType] {
        try await store.deliveries(failedOnly: false, limit: 100).map(\.delivery.eventType).reversed()
    }

    func events(_ evaluator: AlertEvaluator, _ config: MonitorConfig, at now: Date) async throws -> [AlertEventKind] {
        try await evaluator.evaluate(config: config, modelVersion: model, now: now).map(\.event)
    }

    @Test("pending while `for` runs, then firing with one notification; repeats after the cooldown; resolves below the hysteresis line", arguments: Backend.available)
    func lifecycle(backend: Backend) async throws {
        let store = try await store(backend)
        let engine = AlertEvaluator(store: store)
        let config = try config(rule(for: .seconds(60), cooldown: .seconds(600)))
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        try await add(store, label: "negative", risk: 0.8, at: t0)
        try await add(store, label: "negative", risk: 0.7, at: t0)
        try await add(store, label: "neutral", risk: 0.0, at: t0)
        #expect(try await events(engine, config, at: t0) == [.pending])
        #expect(try await outbox(store).isEmpty)
        #expect(try await events(engine, config, at: t0 + 30).isEmpty, "still pending")
        #expect(try await events(engine, config, at: t0 + 61) == [.firing])
        #expect(try await outbox(store) == [.alertFiring])
        #expect(try await events(engine, config, at: t0 + 300).isEmpty, "within the cooldown")
        #expect(try await events(engine, config, at: t0 + 662) == [.firing])
        #expect(try await outbox(store) == [.alertFiring, .alertFiring])
        // Share 2/5 = 0.4: below the 0.5 threshold but above resolveBelow 0.3: still firing (hysteresis).
        try await add(store, label: "neutral", risk: 0, at: t0 + 663)
        try await add(store, label: "neutral", risk: 0, at: t0 + 663)
        #expect(try await events(engine, config, at: t0 + 664).isEmpty)
        // 2/7 < 0.3: resolved, notified.
        try await add(store, label: "neutral", risk: 0, at: t0 + 665)
        try await add(store, label: "neutral", risk: 0, at: t0 + 665)
        #expect(try await events(engine, config, at: t0 + 666) == [.resolved])
        #expect(try await outbox(store) == [.alertFiring, .alertFiring, .alertResolved])
        let first = try await store.deliveries(failedOnly: false, limit: 100).last?.delivery
        let json = try JSONSerialization.jsonObject(with: Data((first?.payload ?? "").utf8)) as? [String: Any]
        let data = json?["data"] as? [String: Any]
        #expect(json?["type"] as? String == "alert.firing")
        #expect(data?["fingerprint"] as? String == AlertStateMachine.fingerprint(rule: "neg", symbol: "CTSO"))
        #expect(data?["startsAt"] as? String == JSONText.timestamp(t0), "startsAt is when the condition began, not when it fired")
        #expect((data?["evidence"] as? [[String: Any]])?.first?["words"] as? [String] == ["plunge"])
        #expect((data?["metrics"] as? [String: Any])?["volume"] as? Int == 3)
        let alert = try await store.alerts(fingerprints: [AlertStateMachine.fingerprint(rule: "neg", symbol: "CTSO")]).values.first
        #expect(alert?.state == .resolved && alert?.resolvedAt == t0 + 666)
    }

    @Test("a pending alert whose condition clears is cancelled without a notification; minItems guards thin windows", arguments: Backend.available)
    func pendingCancelled(backend: Backend) async throws {
        let store = try await store(backend)
        let engine = AlertEvaluator(store: store)
        let config = try config(rule(for: .seconds(60)))
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        try await add(store, label: "negative", risk: 0.8, at: t0)
        #expect(try await events(engine, config, at: t0).isEmpty, "one item < minItems 2")
        try await add(store, label: "negative", risk: 0.8, at: t0)
        #expect(try await events(engine, config, at: t0 + 1) == [.pending])
        for _ in 0..<3 { try await add(store, label: "neutral", risk: 0, at: t0 + 2) }
        #expect(try await events(engine, config, at: t0 + 3) == [.cancelled])
        #expect(try await outbox(store).isEmpty)
        let alert = try await store.alerts(fingerprints: [AlertStateMachine.fingerprint(rule: "neg", symbol: "CTSO")]).values.first
        #expect(alert?.state == .resolved, "a cancelled alert is stored as resolved")
    }

    @Test("a silence on the symbol or the rule records the alert but sends nothing; lifting it notifies the still-firing alert", arguments: Backend.available)
    func silenced(backend: Backend) async throws {
        let store = try await store(backend)
        let engine = AlertEvaluator(store: store)
        let config = try config(rule())
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let id = try await store.addSilence(matcher: "CTSO", comment: "earnings day", at: t0, until: t0 + 3600)
        for _ in 0..<3 { try await add(store, label: "negative", risk: 0.9, at: t0) }
        let changes = try await engine.evaluate(config: config, modelVersion: model, now: t0)
        #expect(changes.map(\.event) == [.firing] && changes.allSatisfy { !$0.notified })
        #expect(try await outbox(store).isEmpty)
        #expect(try await store.removeSilence(id: id))
        #expect(try await events(engine, config, at: t0 + 10) == [.firing])
        #expect(try await outbox(store) == [.alertFiring])
    }

    @Test("PostgreSQL: a score committed after later-numbered ones is still counted (numbers not yet visible are asked for again)",
          .enabled(if: PostgresTestServer.isInstalled))
    func lateCommit() async throws {
        let server = try await PostgresTestServer.shared()
        let database = try await server.createDatabase()
        let store = try await StoreOpener.open(.postgres(server.location(database)), mode: .createAndMigrate, logger: quietLogger)
        _ = try await store.syncFeeds([FeedSpec(id: "wire", url: "http://x")], at: Date(millis: 0))
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let items = (0..<3).map { n in
            NewItem(canonicalID: "late-\(n)", contentHash: "late-\(n)", dedupeByContent: false, title: "Contoso plunges", link: nil, summary: "",
                    authorsJSON: "[]", rawJSON: "{}", publishedAt: t0, publishedEstimated: false)
        }
        _ = try await store.recordPoll(FeedPollUpdate(feedID: "wire", status: 200, outcome: .success(etag: nil, lastModified: nil, url: "http://x"),
                                                      nextPollAt: t0, at: t0), items: items, sourceAlert: nil)
        let stored = try await store.unscoredItems(after: 0, modelVersion: model, limit: 10, publishedSince: nil, claim: nil)
        #expect(stored.count == 3)
        let engine = AlertEvaluator(store: store)
        let config = try config(AlertRule(id: "neg", metric: .negativeShare, window: .seconds(3600), threshold: .above(0.5, resolveBelow: nil),
                                          minItems: 3, cooldown: .seconds(600), forDuration: .zero, entities: [], severity: .critical, webhooks: []))
        #expect(try await events(engine, config, at: t0).isEmpty)  // the snapshot: nothing scored yet
        // Another instance's scoring transaction takes its number first and commits last.
        try await server.psql("INSERT INTO entities (symbol, name, on_watchlist, first_seen_at) VALUES ('CTSO', 'Contoso', 1, 0)", database: database)
        let slow = Task {
            try await server.psql("""
                BEGIN;
                INSERT INTO scores (item_id, model_version, heads, sentiment, risk, label, scored_at) VALUES (\(stored[0].id), '\(model)', '{}', -0.9, 0.9, 'negative', 0);
                INSERT INTO mentions (item_id, symbol, kind, matched) VALUES (\(stored[0].id), 'CTSO', 'name', 'Contoso');
                SELECT pg_sleep(8);  -- long enough for the checks below on a loaded 2-core machine
                COMMIT;
                """, database: database)
        }
        try await until("the slow transaction holds its number", timeout: .seconds(10), every: .milliseconds(50)) {
            await server.count("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(8)%' AND state = 'active' AND pid != pg_backend_pid()",
                               database: database) == 1
        }
        try await Task.sleep(for: .milliseconds(200))
        try await store.writeScores(stored.dropFirst().map { item in
            ScoredItem(score: ScoreRecord(itemID: item.id, modelVersion: model, heads: "{}", sentiment: -0.9, risk: 0.9, label: "negative",
                                          topic: nil, explanation: nil, scoredAt: t0),
                       mentions: [MentionRecord(itemID: item.id, symbol: "CTSO", kind: .name, matched: "Contoso")],
                       entities: [EntityRecord(symbol: "CTSO", name: "Contoso", onWatchlist: true, firstSeenAt: t0)])
        })
        #expect(try await events(engine, config, at: t0 + 1).isEmpty, "two of the three items are visible: under minItems")
        _ = try await slow.value
        #expect(try await events(engine, config, at: t0 + 2) == [.firing], "the late commit is read: three negative items")
        await store.close()
    }

    @Test("a pass evaluates what changed: everything at first, then only the entity a new score mentions, nothing when quiet", arguments: Backend.available)
    func evaluatesWhatChanged(backend: Backend) async throws {
        let store = try await store(backend)
        let engine = AlertEvaluator(store: store)
        var config = try config(rule())
        config.watchlist = (0..<300).map { WatchlistEntry(symbol: "E\($0)", names: ["Entity \($0)"], aliases: []) }
            + [WatchlistEntry(symbol: "CTSO", names: ["Contoso"], aliases: [])]
        config.rules.append(AlertRule(id: "burst", metric: .burst, window: .seconds(900), threshold: .above(3, resolveBelow: nil), minItems: 3,
                                      cooldown: .seconds(600), forDuration: .zero, entities: [], severity: .warning, webhooks: []))
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(try await events(engine, config, at: t0).isEmpty)
        #expect(await engine.lastPass.evaluated == 602, "the first pass evaluates every rule for every entity")
        #expect(try await events(engine, config, at: t0 + 2).isEmpty)
        #expect(await engine.lastPass.evaluated == 0, "a quiet universe costs nothing")
        try await add(store, label: "neutral", risk: 0, at: t0 + 3)
        #expect(try await events(engine, config, at: t0 + 4).isEmpty)
        let pass = await engine.lastPass
        #expect(pass.evaluated == 2 && pass.mentionsRead == 1, "the mentioned entity's two rules")
        // Time alone: when the item leaves the 15-minute window, the burst rule looks again; then nothing until the hour ends.
        #expect(try await events(engine, config, at: t0 + 600).isEmpty)
        #expect(await engine.lastPass.evaluated == 0)
        #expect(try await events(engine, config, at: t0 + 904).isEmpty)
        #expect(await engine.lastPass.evaluated == 1)
        // Four negatives: both rules fire, and a firing alert is looked at every pass (cooldown, resolution).
        for _ in 0..<4 { try await add(store, label: "negative", risk: 0.9, at: t0 + 905) }
        #expect(Set(try await events(engine, config, at: t0 + 906)) == [.firing])
        #expect(await engine.lastPass.evaluated == 2)
        #expect(try await events(engine, config, at: t0 + 908).isEmpty)
        #expect(await engine.lastPass.evaluated == 2, "firing alerts are evaluated every pass")
    }
}
