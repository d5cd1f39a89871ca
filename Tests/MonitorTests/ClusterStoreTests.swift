import Foundation
import Store
import Testing

/// The leases instances share work by, on both backends: a claim is exclusive while it runs, is
/// taken over when it runs out, and is released at once by a clean shutdown.
@Suite("Leases and roles between instances")
struct ClusterStoreTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func lease(_ owner: String, at seconds: Double, for duration: Duration = .seconds(30)) -> Lease {
        Lease(owner: owner, now: t0.addingTimeInterval(seconds), duration: duration)
    }

    func item(_ n: Int) -> NewItem {
        NewItem(canonicalID: "i\(n)", contentHash: "h\(n)", dedupeByContent: false, title: "Item \(n)", link: nil, summary: "",
                authorsJSON: "[]", rawJSON: "{}", publishedAt: t0, publishedEstimated: false)
    }

    func success(_ feed: String, at seconds: Double, next: Double) -> FeedPollUpdate {
        FeedPollUpdate(feedID: feed, status: 200, outcome: .success(etag: "e", lastModified: nil, url: "http://x/\(feed)"),
                       nextPollAt: t0.addingTimeInterval(next), at: t0.addingTimeInterval(seconds))
    }

    @Test("the same story polled from two feeds at the same moment is stored once (content dedupe holds under concurrent polls)",
          arguments: Backend.available)
    func concurrentCopies(backend: Backend) async throws {
        let store = try await backend.makeStore()
        _ = try await store.syncFeeds([FeedSpec(id: "wire", url: "http://x/wire"), FeedSpec(id: "copies", url: "http://x/copies")], at: t0)
        func story(_ feed: String, _ n: Int) -> NewItem {
            NewItem(canonicalID: "\(feed):\(n)", contentHash: "story-\(n)", dedupeByContent: true, title: "Story \(n) told twice", link: nil,
                    summary: "", authorsJSON: "[]", rawJSON: "{}", publishedAt: t0, publishedEstimated: false)
        }
        for round in 0..<20 {
            let stories = (round * 5..<round * 5 + 5)
            async let a = store.recordPoll(success("wire", at: 0, next: 60), items: stories.map { story("wire", $0) }, sourceAlert: nil)
            async let b = store.recordPoll(success("copies", at: 0, next: 60), items: stories.reversed().map { story("copies", $0) }, sourceAlert: nil)
            let (first, second) = try await (a, b)
            #expect(first.new + second.new == 5 && first.duplicates + second.duplicates == 5, "round \(round): \(first) \(second)")
        }
        #expect(try await store.info().rowCounts.first { $0.table == "items" }?.rows == 100)
    }

    @Test("a due feed is leased by one instance; the other sees who holds it; a lapsed lease is taken over; a poll releases it",
          arguments: Backend.available)
    func feedLeases(backend: Backend) async throws {
        let store = try await backend.makeStore()
        _ = try await store.syncFeeds([FeedSpec(id: "wire", url: "http://x/wire")], at: t0)
        guard case let .leased(first) = try await store.leaseFeed(id: "wire", lease: lease("A", at: 0)) else {
            Issue.record("a new feed is due")
            return
        }
        #expect(first.leaseOwner == "A" && first.leaseUntil == t0.addingTimeInterval(30))
        guard case let .notYours(held) = try await store.leaseFeed(id: "wire", lease: lease("B", at: 1)) else {
            Issue.record("A holds the lease")
            return
        }
        #expect(held.leaseOwner == "A")
        // A died: after its lease runs out, B polls the feed, with the shared validators.
        guard case .leased = try await store.leaseFeed(id: "wire", lease: lease("B", at: 30)) else {
            Issue.record("a lapsed lease is taken over")
            return
        }
        _ = try await store.recordPoll(success("wire", at: 31, next: 91), items: [item(1)], sourceAlert: nil)
        guard case let .notYours(polled) = try await store.leaseFeed(id: "wire", lease: lease("A", at: 32)) else {
            Issue.record("not due again before its next poll")
            return
        }
        #expect(polled.leaseOwner == nil && polled.leaseUntil == nil, "recording the poll released the lease")
        #expect(polled.etag == "e" && polled.nextPollAt == t0.addingTimeInterval(91))
        #expect(try await store.leaseFeed(id: "missing", lease: lease("A", at: 32)) == .unknown)
    }

    @Test("scoring batches: each instance claims different items; a claim that runs out is claimed again", arguments: Backend.available)
    func scoringClaims(backend: Backend) async throws {
        let store = try await backend.makeStore()
        _ = try await store.syncFeeds([FeedSpec(id: "wire", url: "http://x/wire")], at: t0)
        _ = try await store.recordPoll(success("wire", at: 0, next: 60), items: (1...10).map(item), sourceAlert: nil)
        let a = try await store.unscoredItems(after: 0, modelVersion: "m", limit: 4, publishedSince: nil, claim: lease("A", at: 1))
        let b = try await store.unscoredItems(after: 0, modelVersion: "m", limit: 4, publishedSince: nil, claim: lease("B", at: 5))
        #expect(a.count == 4 && b.count == 4)
        #expect(Set(a.map(\.id)).isDisjoint(with: b.map(\.id)), "no item in two batches")
        #expect(a.map(\.id) == a.map(\.id).sorted(), "in id order")
        // A died with its batch: once the claim runs out, C gets A's items back (and the two nobody claimed).
        let c = try await store.unscoredItems(after: 0, modelVersion: "m", limit: 10, publishedSince: nil, claim: lease("C", at: 31))
        let all: Set<Int64> = Set((1...10).map { Int64($0) })
        let expected = all.subtracting(b.map(\.id))
        #expect(Set(c.map(\.id)) == expected)
        // Reading without a claim (monitorctl rescore) sees everything unscored.
        #expect(try await store.unscoredItems(after: 0, modelVersion: "m", limit: 100, publishedSince: nil, claim: nil).count == 10)
    }

    @Test("deliveries: claimed rows are skipped by others until sent or lapsed", arguments: Backend.available)
    func deliveryClaims(backend: Backend) async throws {
        let store = try await backend.makeStore()
        let alert = AlertRecord(fingerprint: "f", kind: .threshold, ruleID: "r", entity: "CTSO", state: .firing, severity: .critical,
                                value: 1, startedAt: t0, firedAt: t0, lastNotifiedAt: t0, updatedAt: t0)
        let messages = (0..<3).map { i in
            NewDelivery(messageID: "msg_\(i)", webhookID: "desk", eventType: .alertFiring, payload: "{}", createdAt: t0)
        }
        try await store.applyAlertWrites([AlertWrite(alert: alert, event: .firing, details: "{}", notifications: messages)])
        let a = try await store.claimDueDeliveries(lease("A", at: 1), limit: 2)
        let b = try await store.claimDueDeliveries(lease("B", at: 1), limit: 10)
        #expect(a.map(\.messageID) == ["msg_0", "msg_1"] && b.map(\.messageID) == ["msg_2"])
        #expect(try await store.claimDueDeliveries(lease("B", at: 2), limit: 10).isEmpty)
        try await store.recordDelivery(a[0], outcome: .delivered, attempt: DeliveryAttempt(httpStatus: 204, latency: .milliseconds(3), error: nil),
                                       at: t0.addingTimeInterval(2))
        // A died holding msg_1: B sends it once the claim lapses; the delivered one is never claimed again.
        #expect(try await store.claimDueDeliveries(lease("B", at: 31), limit: 10).map(\.messageID) == ["msg_1", "msg_2"])
    }

    @Test("one instance holds a role at a time; it renews; another takes it when it lapses", arguments: Backend.available)
    func roles(backend: Backend) async throws {
        let store = try await backend.makeStore()
        #expect(try await store.acquireRole(.alerts, lease: lease("A", at: 0)))
        #expect(try await !store.acquireRole(.alerts, lease: lease("B", at: 1)))
        #expect(try await store.acquireRole(.retention, lease: lease("B", at: 1)), "roles are independent")
        #expect(try await store.acquireRole(.alerts, lease: lease("A", at: 20)), "the holder renews")
        #expect(try await !store.acquireRole(.alerts, lease: lease("B", at: 40)), "renewed until 50")
        #expect(try await store.acquireRole(.alerts, lease: lease("B", at: 50)), "lapsed: taken over")
        #expect(try await !store.acquireRole(.alerts, lease: lease("A", at: 51)))
        #expect(try await store.roles().map(\.owner) == ["B", "B"])
    }

    @Test("a clean shutdown releases feeds, items, deliveries and roles at once, and leaves the instance list",
          arguments: Backend.available)
    func releaseAll(backend: Backend) async throws {
        let store = try await backend.makeStore()
        let a = InstanceRecord(id: "A", host: "h", pid: 1, version: "v", startedAt: t0, heartbeatAt: t0)
        try await store.registerInstance(a)
        try await store.heartbeat(instance: "A", at: t0.addingTimeInterval(10))
        #expect(try await store.instances(heartbeatAfter: t0.addingTimeInterval(5)).map(\.id) == ["A"])
        _ = try await store.syncFeeds([FeedSpec(id: "wire", url: "http://x/wire")], at: t0)
        _ = try await store.recordPoll(success("wire", at: 0, next: 0), items: [item(1)], sourceAlert: nil)
        _ = try await store.leaseFeed(id: "wire", lease: lease("A", at: 1))
        _ = try await store.unscoredItems(after: 0, modelVersion: "m", limit: 10, publishedSince: nil, claim: lease("A", at: 1))
        _ = try await store.acquireRole(.alerts, lease: lease("A", at: 1))
        try await store.releaseAll(owner: "A")
        guard case .leased = try await store.leaseFeed(id: "wire", lease: lease("B", at: 2)) else {
            Issue.record("the feed is free at once")
            return
        }
        #expect(try await store.unscoredItems(after: 0, modelVersion: "m", limit: 10, publishedSince: nil, claim: lease("B", at: 2)).count == 1)
        #expect(try await store.acquireRole(.alerts, lease: lease("B", at: 2)))
        #expect(try await store.instances(heartbeatAfter: t0).isEmpty)
    }
}
