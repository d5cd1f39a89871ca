@testable import Config
import Foundation
@testable import Monitor
import Store
import Synchronization
import Testing

/// Retention deletes old rows in small batches while ingest goes on.
@Suite("Retention")
struct RetentionTests {
    let model = "m@1"
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// Stores `count` scored items about CTSO fetched and published at `at`; returns their ids.
    func ingest(_ store: any MonitorStore, count: Int, at: Date, prefix: String) async throws {
        let items = (0..<count).map { i in
            NewItem(canonicalID: "\(prefix)-\(i)", contentHash: "\(prefix)-\(i)", dedupeByContent: false, title: "Contoso \(prefix) \(i)",
                    link: nil, summary: "", authorsJSON: "[]", rawJSON: #"{"big":"raw json"}"#, publishedAt: at, publishedEstimated: false)
        }
        _ = try await store.recordPoll(FeedPollUpdate(feedID: "wire", status: 200, outcome: .success(etag: nil, lastModified: nil, url: "http://x"),
                                                      nextPollAt: at, at: at), items: items, sourceAlert: nil)
        let pending = try await store.unscoredItems(after: 0, modelVersion: model, limit: 100_000, publishedSince: nil, claim: nil)
        try await store.writeScores(pending.map { item in
            ScoredItem(score: ScoreRecord(itemID: item.id, modelVersion: model, heads: "{}", sentiment: -0.5, risk: 0.5, label: "negative",
                                          topic: nil, explanation: nil, scoredAt: at),
                       mentions: [MentionRecord(itemID: item.id, symbol: "CTSO", kind: .name, matched: "Contoso")],
                       entities: [EntityRecord(symbol: "CTSO", name: nil, onWatchlist: true, firstSeenAt: at)])
        })
    }

    func rows(_ store: any MonitorStore, _ table: String) async throws -> Int {
        try await store.info().rowCounts.first { $0.table == table }?.rows ?? -1
    }

    @Test("old items go with their scores and mentions, in batches, while new items keep arriving; the pass is recorded", arguments: Backend.available)
    func deletesWhileIngesting(backend: Backend) async throws {
        let store = try await backend.makeStore()
        _ = try await store.syncFeeds([FeedSpec(id: "wire", url: "http://x")], at: now)
        try await ingest(store, count: 3000, at: now.addingTimeInterval(-100 * 86_400), prefix: "old")
        try await ingest(store, count: 50, at: now.addingTimeInterval(-86_400), prefix: "recent")
        let policy = RetentionPolicy(items: .seconds(90 * 86_400))
        #expect(try await store.retentionPreview(policy, at: now) == RetentionCounts(items: 3000))

        let config = try makeConfig(#"{"database": "m.sqlite", "model": "m", "retention": {"items": "90d"}}"#)
        #expect(config.retention.policy == policy)
        let service = RetentionService(current: CurrentConfig(config), store: store, time: ManualTime(now), batchSize: 100,
                                       pause: .milliseconds(5), instanceID: "test", logger: quietLogger)
        let passRunning = Atomic<Bool>(true)
        // Ingest polls run while the pass deletes; count how many complete before it ends.
        let ingest = Task {
            var during = 0, round = 0
            while passRunning.load(ordering: .relaxed) {
                try await self.ingest(store, count: 5, at: now, prefix: "live-\(round)")
                round += 1
                if passRunning.load(ordering: .relaxed) { during += 1 }
            }
            return (during, round)
        }
        let removed = try await service.runPass(policy)
        passRunning.store(false, ordering: .relaxed)
        let (during, rounds) = try await ingest.value

        #expect(removed.items == 3000)
        #expect(during >= 5, "ingest went on during the pass (\(during) polls stored while it ran)")
        #expect(try await rows(store, "items") == 50 + rounds * 5)
        #expect(try await rows(store, "scores") == 50 + rounds * 5, "scores of deleted items are gone with them")
        #expect(try await rows(store, "mentions") == 50 + rounds * 5)
        #expect(try await store.retentionPreview(policy, at: now) == RetentionCounts())
        let last = try #require(try await store.lastRetentionRun())
        #expect(last.removed.items == 3000 && last.startedAt == now)
    }

    @Test("alert history and the delivery log have their own ages; pending deliveries and each alert's latest event stay", arguments: Backend.available)
    func historyAndLog(backend: Backend) async throws {
        let store = try await backend.makeStore()
        let old = now.addingTimeInterval(-40 * 86_400)
        func write(_ fingerprint: String, _ state: AlertState, _ event: AlertEventKind, at: Date, messages: Int) -> AlertWrite {
            let alert = AlertRecord(fingerprint: fingerprint, kind: .threshold, ruleID: "r", entity: "CTSO", state: state, severity: .warning,
                                    value: 1, startedAt: old, resolvedAt: state == .resolved ? at : nil, updatedAt: at)
            let deliveries = (0..<messages).map { i in
                NewDelivery(messageID: "\(fingerprint)-\(event)-\(i)-\(at.timeIntervalSince1970)", webhookID: "desk",
                            eventType: .alertFiring, payload: "{}", createdAt: at)
            }
            return AlertWrite(alert: alert, event: event, details: "{}", notifications: deliveries)
        }
        // An old alert that fired and resolved long ago; a firing one whose first event is old.
        try await store.applyAlertWrites([write("gone", .firing, .firing, at: old, messages: 1), write("gone", .resolved, .resolved, at: old, messages: 0),
                                          write("live", .firing, .firing, at: old, messages: 1)])
        let sent = try await store.deliveries(failedOnly: false, limit: 10)
        try await store.recordDelivery(sent.first { $0.delivery.messageID.hasPrefix("gone") }!.delivery, outcome: .delivered,
                                       attempt: DeliveryAttempt(httpStatus: 204, latency: .milliseconds(3), error: nil), at: old)
        try await store.applyAlertWrites([write("live", .firing, .firing, at: now, messages: 0)])
        let policy = RetentionPolicy(alertHistory: .seconds(30 * 86_400), deliveryLog: .seconds(30 * 86_400))
        let preview = try await store.retentionPreview(policy, at: now)
        #expect(preview == RetentionCounts(alerts: 1, alertEvents: 2, deliveries: 1), "\(preview)")
        var removed = RetentionCounts()
        while true {
            let batch = try await store.deleteExpired(policy, at: now, limit: 1)
            if batch.total == 0 { break }
            removed = removed + batch
        }
        #expect(removed.alerts == 1 && removed.deliveries == 1)
        #expect(try await store.alerts(fingerprints: ["gone", "live"]).keys.sorted() == ["live"])
        let live = try await store.alerts(activeOrResolvedAfter: now, limit: 10)
        #expect(live.count == 1 && live[0].details == "{}", "the firing alert keeps its latest event")
        let left = try await store.deliveries(failedOnly: false, limit: 10).map(\.delivery)
        #expect(left.count == 1 && left[0].status == .pending, "a pending delivery is never removed, however old")
        #expect(try await rows(store, "delivery_attempts") == 0)
    }

    @Test("retention settings: ages of at least an hour, an interval; everything kept by default")
    func settings() throws {
        #expect(try makeConfig(#"{"database": "m", "model": "m"}"#).retention.policy.keepsEverything)
        let config = try makeConfig(#"{"database": "m", "model": "m", "retention": {"items": "90d", "alertHistory": "365d", "deliveryLog": "30d", "interval": "10m"}}"#)
        #expect(config.retention.policy == RetentionPolicy(items: .seconds(90 * 86_400), alertHistory: .seconds(365 * 86_400),
                                                           deliveryLog: .seconds(30 * 86_400)))
        #expect(config.retention.interval == .seconds(600))
        #expect(throws: ConfigError.self) { try makeConfig(#"{"database": "m", "model": "m", "retention": {"items": "5m"}}"#) }
        #expect(throws: ConfigError.self) { try makeConfig(#"{"database": "m", "model": "m", "retention": {"itemz": "90d"}}"#) }
    }

}
