import Config
import Foundation
import Store

/// What `/healthz` says: `ok`; `degraded` (still serving, with the reasons: feeds failing or
/// stale); `unhealthy` (the database does not answer, the scorer has stopped, or no configured
/// feed is getting through).
struct HealthReport {
    enum Status: String { case ok, degraded, unhealthy }

    var status: Status
    var reasons: [String]
    var databaseOK: Bool
    var pipelineAlive: Bool
    var lastHeartbeat: Date
    var configured: Int
    var healthy: Int
    var backingOff: [String]
    var unhealthy: [String]
    /// Feeds with no success for `polling.staleAfter` (failing or not polled at all).
    var stale: [String]

    /// `started`: when this daemon started; time without a success counts from then at the earliest.
    init(databaseOK: Bool, heartbeat: Date, feeds: [FeedRecord], config: MonitorConfig, started: Date, now: Date,
         storageFailure: StorageHealth.Failure? = nil) {
        self.databaseOK = databaseOK
        lastHeartbeat = heartbeat
        pipelineAlive = now.timeIntervalSince(heartbeat) < 30
        let intervals = Dictionary(config.feeds.map { ($0.id, $0.interval) }) { a, _ in a }
        configured = intervals.count
        var healthy = 0, backingOff: [String] = [], unhealthy: [String] = [], stale: [String] = []
        for feed in feeds {
            guard let interval = intervals[feed.id] else { continue }
            switch feed.health(configured: true) {
            case .unhealthy: unhealthy.append(feed.id)
            case .backingOff: backingOff.append(feed.id)
            case .healthy: healthy += 1
            default: break
            }
            let since = max(feed.lastSuccessAt ?? feed.createdAt, started)
            if now.timeIntervalSince(since) >= config.polling.staleAfter(interval: interval).seconds { stale.append(feed.id) }
        }
        self.healthy = healthy
        self.backingOff = backingOff.sorted()
        self.unhealthy = unhealthy.sorted()
        self.stale = stale.sorted()

        var reasons: [String] = []
        if !databaseOK { reasons.append("the database does not answer") }
        if let storageFailure {
            reasons.append("the database cannot be written since \(JSONText.timestamp(storageFailure.since)): \(storageFailure.message); polling stopped")
        }
        if !pipelineAlive { reasons.append("the scorer has not reported for \(Int(now.timeIntervalSince(heartbeat))) s") }
        let dead = Set(unhealthy + stale)
        let noneGetsThrough = configured > 0 && dead.count == configured
        if noneGetsThrough { reasons.append("no feed is getting through: all \(configured) are unhealthy or stale") } else {
            if !unhealthy.isEmpty { reasons.append("\(unhealthy.count) feed(s) unhealthy: \(Self.list(self.unhealthy))") }
            if !backingOff.isEmpty { reasons.append("\(backingOff.count) feed(s) failing, retrying: \(Self.list(self.backingOff))") }
            let staleOnly = self.stale.filter { !unhealthy.contains($0) }
            if !staleOnly.isEmpty { reasons.append("\(staleOnly.count) feed(s) with no success for polling.staleAfter: \(Self.list(staleOnly))") }
        }
        self.reasons = reasons
        status = !databaseOK || storageFailure != nil || !pipelineAlive || noneGetsThrough ? .unhealthy : reasons.isEmpty ? .ok : .degraded
    }

    static func list(_ ids: [String]) -> String { ids.prefix(10).joined(separator: ", ") + (ids.count > 10 ? ", …" : "") }
}
