import Foundation

/// A claim on shared work (a feed to poll, items to score, deliveries to send, a role): held by
/// `owner` until `until`. A claim of an instance that died simply runs out, and another takes the work.
public struct Lease: Sendable, Equatable {
    /// The instance that claims (`InstanceIdentity.id`).
    public var owner: String
    /// The time of the claim.
    public var now: Date
    /// When the claim runs out unless renewed or released.
    public var until: Date

    public init(owner: String, now: Date, until: Date) {
        self.owner = owner
        self.now = now
        self.until = until
    }

    public init(owner: String, now: Date, duration: Duration) {
        self.init(owner: owner, now: now, until: now.addingTimeInterval(Double(duration.millis) / 1000))
    }
}

/// Work done by one instance at a time.
public enum ClusterRole: String, Sendable, CaseIterable, Codable {
    /// Alert evaluation: one evaluator, so an alert is raised once.
    case alerts
    /// Retention passes.
    case retention
}

/// What leasing a feed found.
public enum FeedLease: Sendable, Equatable {
    /// Due and now held by the caller: poll it (the state is the shared one, validators included).
    case leased(FeedRecord)
    /// Not due, or held by another instance: the current state says when to look again.
    case notYours(FeedRecord)
    /// No such feed row.
    case unknown
}

/// A running monitord, as it announced itself.
public struct InstanceRecord: Sendable, Equatable, Codable {
    /// hostname-pid-start time in milliseconds: unique per process.
    public var id: String
    public var host: String
    public var pid: Int
    public var version: String
    public var startedAt: Date
    /// Renewed while the instance runs; a stale one is shown as gone.
    public var heartbeatAt: Date

    public init(id: String, host: String, pid: Int, version: String, startedAt: Date, heartbeatAt: Date) {
        self.id = id
        self.host = host
        self.pid = pid
        self.version = version
        self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt
    }

    /// The identity of this process, started at `startedAt`.
    public static func current(version: String, startedAt: Date) -> InstanceRecord {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost"
        let pid = Int(ProcessInfo.processInfo.processIdentifier)
        return InstanceRecord(id: "\(host)-\(pid)-\(startedAt.millis)", host: host, pid: pid, version: version,
                              startedAt: startedAt, heartbeatAt: startedAt)
    }
}

/// A role and who holds it.
public struct RoleRecord: Sendable, Equatable {
    public var role: ClusterRole
    public var owner: String
    public var until: Date

    public init(role: ClusterRole, owner: String, until: Date) {
        self.role = role
        self.owner = owner
        self.until = until
    }
}
