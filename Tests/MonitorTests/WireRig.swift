import Foundation
import GRDB
import LocalHTTPServer
import Synchronization
import Testing

/// A wire that publishes `perPoll` new numbered headlines at each request and shows the last
/// `window` of them, a webhook receiver, and monitord polling the wire every second with its API on
/// a known port: the rig of the fault tests, which then check that every number published is stored once.
final class WireRig: Sendable {
    let feed: LocalHTTPServer
    let receiver: WebhookReceiver
    let port: Int
    let daemon: WebhookDeliveryTests.Daemon
    let prefix: String

    init(prefix: String, perPoll: Int, window: Int, apiSettings: [String: Any] = [:], headline: @escaping @Sendable (Int) -> String) throws {
        self.prefix = prefix
        receiver = try WebhookReceiver()
        port = try freePort()
        let box = Counters()
        feed = try LocalHTTPServer { _ in
            let end = box.publish(perPoll)
            let items = (max(0, end - window)..<end).map { i in ("\(prefix)\(i)", headline(i)) }
            return .init(text: WebhookDeliveryTests.feed(items))
        }
        counters = box
        daemon = try WebhookDeliveryTests.Daemon(folder: TemporaryFolder(), feedURL: feed.url("/wire").absoluteString, webhookURL: receiver.url,
                                                 rules: [], interval: "1s", api: "127.0.0.1:\(port)", apiSettings: apiSettings)
    }

    final class Counters: Sendable {
        let published = Atomic<Int>(0)
        let requests = Atomic<Int>(0)
        func publish(_ n: Int) -> Int {
            requests.add(1, ordering: .relaxed)
            return published.add(n, ordering: .relaxed).newValue
        }
    }

    let counters: Counters
    /// Requests the wire has answered.
    var requests: Int { counters.requests.load(ordering: .relaxed) }

    func stop() {
        daemon.killIfRunning()
        feed.stop()
        receiver.server.stop()
    }

    /// Checks every number the wire published up to the highest stored is stored, once.
    func expectNothingLost(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let ids = try daemon.read { try String.fetchAll($0, sql: "SELECT canonical_id FROM items") }
        #expect(Set(ids).count == ids.count, sourceLocation: sourceLocation)
        let numbers = Set(ids.compactMap { $0.components(separatedBy: ":" + prefix).last.flatMap { Int($0) } })
        let highest = try #require(numbers.max(), sourceLocation: sourceLocation)
        #expect(numbers == Set(0...highest), "missing: \(Set(0...highest).subtracting(numbers).sorted())", sourceLocation: sourceLocation)
    }
}
