@testable import Config
import CurlHTTP
import Foundation
import LocalHTTPServer
@testable import Monitor
import Store
import Synchronization
import Testing

/// The webhook sender in-process on a manual clock: the retry schedule, Retry-After, giving up and
/// 410 Gone, checked to the millisecond against a real receiver on 127.0.0.1.
@Suite("Webhook sender on a manual clock", .serialized)
struct WebhookSenderServiceTests {
    let secret = WebhookSecret(key: Array(Data(base64Encoded: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")!))

    struct Rig {
        let store: any MonitorStore
        let time: ManualTime
        let sender: WebhookSender
        let client = CurlMultiClient(maxConcurrent: 4, maxPerHost: 4)
    }

    func rig(_ backend: Backend, receiver: LocalHTTPServer, giveUpAfter: String = "1d") async throws -> Rig {
        try await rig(backend, url: receiver.url("/hook"), delivery: #"{"retrySchedule": ["5s", "30s", "2m"], "giveUpAfter": "\#(giveUpAfter)"}"#)
    }

    /// `delivery`: the configuration's `delivery` object; nil for the defaults.
    func rig(_ backend: Backend, url: URL, delivery: String?) async throws -> Rig {
        let config = try makeConfig("""
            {"database": "m.sqlite", "model": "m", \(delivery.map { "\"delivery\": \($0)," } ?? "")
             "webhooks": [{"id": "desk", "url": "\(url)", "secretEnv": "S"}]}
            """)
        let store = try await backend.makeStore()
        let time = ManualTime()
        // jitter 0.5 is the middle of ±20%: each wait is exactly its schedule step.
        let sender = WebhookSender(current: CurrentConfig(config), store: store, outboxWritten: PipelineSignal(), time: time,
                                   jitter: { 0.5 }, instanceID: "test", logger: quietLogger)
        return Rig(store: store, time: time, sender: sender)
    }

    /// Queues one alert message, as the alert service would.
    func enqueue(_ rig: Rig, fingerprint: String = "f1") async throws {
        let now = rig.time.now
        let alert = AlertRecord(fingerprint: fingerprint, kind: .threshold, ruleID: "neg", entity: "CTSO", state: .firing, severity: .critical,
                                value: 0.9, startedAt: now, firedAt: now, lastNotifiedAt: now, updatedAt: now)
        let messages = try OutboxMessagesForTests.make(now: now)
        try await rig.store.applyAlertWrites([AlertWrite(alert: alert, event: .firing, details: "{}", notifications: messages)])
    }

    func delivery(_ rig: Rig) async throws -> DeliveryRecord {
        try #require(try await rig.store.deliveries(failedOnly: false, limit: 1).first?.delivery)
    }

    @Test("failed attempts follow the retry schedule exactly, Retry-After stretches a wait, and the message id and signature hold", arguments: Backend.available)
    func retrySchedule(backend: Backend) async throws {
        let answers = Mutex<[LocalHTTPServer.Response]>([.init(status: 500), .init(status: 503, headers: [("Retry-After", "600")]),
                                                         .init(status: 502), .init(status: 204)])
        let receiver = try LocalHTTPServer { _ in answers.withLock { $0.isEmpty ? .init(status: 204) : $0.removeFirst() } }
        defer { receiver.stop() }
        let rig = try await rig(backend, receiver: receiver)
        defer { rig.client.shutdown() }
        try await enqueue(rig)
        let t0 = rig.time.now

        #expect(try await rig.sender.sendDue(client: rig.client) == 1)
        var d = try await delivery(rig)
        #expect(d.status == .pending && d.attempts == 1 && d.nextAttemptAt.millis == (t0 + 5).millis, "first retry after 5s")
        rig.time.advance(by: 4.9)
        #expect(try await rig.sender.sendDue(client: rig.client) == 0, "not due yet")
        rig.time.advance(by: 0.1)
        #expect(try await rig.sender.sendDue(client: rig.client) == 1)
        d = try await delivery(rig)
        #expect(d.attempts == 2 && d.nextAttemptAt.millis == (t0 + 5 + 600).millis, "Retry-After 600 beats the 30s step")
        rig.time.advance(by: 600)
        _ = try await rig.sender.sendDue(client: rig.client)
        d = try await delivery(rig)
        #expect(d.attempts == 3 && d.nextAttemptAt.millis == (t0 + 605 + 120).millis, "third step: 2m")
        rig.time.advance(by: 120)
        _ = try await rig.sender.sendDue(client: rig.client)
        d = try await delivery(rig)
        #expect(d.status == .delivered && d.attempts == 4 && d.deliveredAt?.millis == (t0 + 725).millis)

        let requests = receiver.requests
        #expect(Set(requests.compactMap { $0.header("webhook-id") }) == [d.messageID], "webhook-id is stable across retries")
        for request in requests {
            let timestamp = Int64(request.header("webhook-timestamp") ?? "") ?? 0
            #expect(WebhookSignature.verify(id: d.messageID, timestamp: timestamp, body: String(decoding: request.body, as: UTF8.self),
                                            header: request.header("webhook-signature") ?? "", secrets: [secret],
                                            now: Date(timeIntervalSince1970: Double(timestamp))))  // sent on the manual clock
        }
        let listed = try #require(try await rig.store.deliveries(failedOnly: false, limit: 1).first)
        #expect(listed.lastHTTPStatus == 204)
    }

    @Test("a delivery still failing when its next wait would pass giveUpAfter is marked failed, with every attempt recorded", arguments: Backend.available)
    func givesUp(backend: Backend) async throws {
        let receiver = try LocalHTTPServer { _ in .init(status: 500) }
        defer { receiver.stop() }
        let rig = try await rig(backend, receiver: receiver, giveUpAfter: "1m")
        defer { rig.client.shutdown() }
        try await enqueue(rig)
        _ = try await rig.sender.sendDue(client: rig.client)   // t+0 fails: retry at +5s
        rig.time.advance(by: 5)
        _ = try await rig.sender.sendDue(client: rig.client)   // t+5 fails: retry at +35s
        rig.time.advance(by: 30)
        _ = try await rig.sender.sendDue(client: rig.client)   // t+35 fails: the next wait (2m) ends past 1m → failed
        let d = try await delivery(rig)
        #expect(d.status == .failed && d.attempts == 3)
        let failed = try await rig.store.deliveries(failedOnly: true, limit: 10)
        #expect(failed.count == 1 && failed[0].lastError == "HTTP 500" && failed[0].lastHTTPStatus == 500)
        rig.time.advance(by: 3600)
        #expect(try await rig.sender.sendDue(client: rig.client) == 0, "a failed delivery is not sent again")
        #expect(receiver.requests.count == 3)
    }

    @Test("a receiver down for six hours: attempts follow the default schedule (5s, 30s, 2m, 10m, 30m, then hourly), each with the same webhook-id; back up, the next attempt delivers it once", arguments: Backend.available)
    func receiverDownForHours(backend: Backend) async throws {
        let down = try RefusingPort()
        let rig = try await rig(backend, url: down.url("/hook"), delivery: nil)
        defer { rig.client.shutdown() }
        try await enqueue(rig)
        let t0 = rig.time.now
        var waits: [Double] = []
        while rig.time.now.timeIntervalSince(t0) < 6 * 3600 {
            #expect(try await rig.sender.sendDue(client: rig.client) == 1)
            let d = try await delivery(rig)
            #expect(d.status == .pending && d.attempts == waits.count + 1)
            let wait = d.nextAttemptAt.timeIntervalSince(rig.time.now)
            waits.append((wait * 1000).rounded() / 1000)
            rig.time.advance(by: wait - 0.001)
            #expect(try await rig.sender.sendDue(client: rig.client) == 0, "not before its time")
            rig.time.advance(by: 0.001)
        }
        #expect(waits == [5, 30, 120, 600, 1800] + Array(repeating: 3600, count: waits.count - 5), "\(waits)")
        #expect(waits.count == 11)  // 2,555 s of steps, then hourly, to the six-hour mark
        let receiver = try LocalHTTPServer(comingUpOn: down) { _ in .init(status: 204) }
        defer { receiver.stop() }
        #expect(try await rig.sender.sendDue(client: rig.client) == 1)
        let d = try await delivery(rig)
        #expect(d.status == .delivered && d.attempts == 12)
        #expect(receiver.requests.count == 1 && receiver.requests.first?.header("webhook-id") == d.messageID)
        rig.time.advance(by: 86_400)
        #expect(try await rig.sender.sendDue(client: rig.client) == 0, "delivered once, never again")
    }

    @Test("down past giveUpAfter (24h by default): the delivery is failed after every scheduled attempt, listed as failed, and `deliveries retry` sends it with the same webhook-id", arguments: Backend.available)
    func receiverDownPastGiveUp(backend: Backend) async throws {
        let down = try RefusingPort()
        let rig = try await rig(backend, url: down.url("/hook"), delivery: nil)
        defer { rig.client.shutdown() }
        try await enqueue(rig)
        let t0 = rig.time.now
        var attempts = 0
        while try await delivery(rig).status == .pending {
            #expect(try await rig.sender.sendDue(client: rig.client) == 1)
            attempts += 1
            let d = try await delivery(rig)
            if d.status == .pending { rig.time.advance(by: d.nextAttemptAt.timeIntervalSince(rig.time.now)) }
        }
        // Attempts at 0, 5, 35, 155 and 755 s, then at 2,555 s + k hours for k = 0…23 (the last at 85,355 s): the next would pass 24h.
        #expect(attempts == 29, "\(attempts)")
        #expect(rig.time.now.timeIntervalSince(t0) < 86_400)
        let failed = try await rig.store.deliveries(failedOnly: true, limit: 10)
        #expect(failed.count == 1 && failed[0].delivery.attempts == 29 && failed[0].delivery.status == .failed)
        #expect(failed[0].lastError?.isEmpty == false)
        rig.time.advance(by: 3600)
        #expect(try await rig.sender.sendDue(client: rig.client) == 0, "a failed delivery waits for an operator")
        let receiver = try LocalHTTPServer(comingUpOn: down) { _ in .init(status: 204) }
        defer { receiver.stop() }
        _ = try await rig.store.retryDelivery(id: failed[0].delivery.id, at: rig.time.now)
        #expect(try await rig.sender.sendDue(client: rig.client) == 1)
        let d = try await delivery(rig)
        #expect(d.status == .delivered && d.messageID == failed[0].delivery.messageID)
        #expect(receiver.requests.map { $0.header("webhook-id") } == [d.messageID])
        #expect(try await rig.store.deliveries(failedOnly: true, limit: 10).isEmpty)
    }

    @Test("410 Gone switches the endpoint off: its later messages are kept, not sent, until `deliveries retry`", arguments: Backend.available)
    func goneDisables(backend: Backend) async throws {
        let gone = Atomic<Bool>(true)
        let receiver = try LocalHTTPServer { _ in .init(status: gone.load(ordering: .relaxed) ? 410 : 204) }
        defer { receiver.stop() }
        let rig = try await rig(backend, receiver: receiver)
        defer { rig.client.shutdown() }
        try await enqueue(rig, fingerprint: "f1")
        _ = try await rig.sender.sendDue(client: rig.client)
        #expect(try await rig.store.disabledEndpoints() == ["desk"])
        try await enqueue(rig, fingerprint: "f2")
        _ = try await rig.sender.sendDue(client: rig.client)
        #expect(receiver.requests.count == 1, "no request to a disabled endpoint")
        let both = try await rig.store.deliveries(failedOnly: true, limit: 10)
        #expect(both.map(\.delivery.status) == [.disabled, .disabled])
        gone.store(false, ordering: .relaxed)
        let id = both[1].delivery.id
        #expect(try await rig.store.retryDelivery(id: id, at: rig.time.now) == "desk")
        #expect(try await rig.store.disabledEndpoints().isEmpty)
        _ = try await rig.sender.sendDue(client: rig.client)
        #expect(try await rig.store.deliveries(failedOnly: false, limit: 10).first { $0.delivery.id == id }?.delivery.status == .delivered)
    }
}

/// One message for the webhook `desk`.
enum OutboxMessagesForTests {
    static func make(now: Date) throws -> [NewDelivery] {
        [NewDelivery(messageID: "msg_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""), webhookID: "desk",
                     eventType: .alertFiring, payload: #"{"type":"alert.firing","data":{}}"#, createdAt: now)]
    }
}
