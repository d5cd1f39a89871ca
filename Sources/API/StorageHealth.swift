import Foundation
import Logging
import Store
import Synchronization

/// Whether the database takes writes. When a write fails because the storage is full (or hits the
/// file size limit, an I/O error, read-only), the services hold their work instead of spinning:
/// polling stops but for one probe poll every `probeInterval`, the scorer and the sender wait and
/// retry the same write. The first failure is logged once, as an error naming the database's words;
/// `/healthz` says `unhealthy` meanwhile; the first write that succeeds again ends it (logged).
public final class StorageHealth: Sendable {
    public struct Failure: Sendable, Equatable {
        public let since: Date
        public let message: String
    }

    public static let probeInterval: TimeInterval = 10

    private struct State {
        var failure: Failure?
        var nextProbe = Date.distantPast
    }

    private let state = Mutex(State())
    /// The database, as the messages name it (a path, or a URI without its password).
    let database: String

    public init(database: String = "") {
        self.database = database
    }

    /// The current failure, if writes are failing.
    public var failure: Failure? { state.withLock { $0.failure } }

    /// Records a failed write. True when `error` is a storage failure (the caller holds its work and
    /// tries again later); false for any other error, which the caller handles as before.
    public func failed(_ error: any Error, at now: Date, logger: Logger) -> Bool {
        guard let message = StorageFailure.describe(error) else { return false }
        let first = state.withLock { state -> Bool in
            state.nextProbe = now.addingTimeInterval(Self.probeInterval)
            guard state.failure == nil else { return false }
            state.failure = Failure(since: now, message: message)
            return true
        }
        if first {
            let name = database.isEmpty ? "" : database + " "
            logger.error("""
                the database \(name)cannot be written: \(message). Polling stops (one probe every \(Int(Self.probeInterval)) s) \
                and the pipeline waits; what is committed is kept. Free space (or raise the limit, or end the lock): it resumes by itself.
                """)
        }
        return true
    }

    /// Records a write that succeeded: a failure, if any, is over.
    public func succeeded(at now: Date, logger: Logger) {
        let ended = state.withLock { state -> Failure? in
            defer { state.failure = nil }
            return state.failure
        }
        if let ended {
            logger.notice("the database \(database.isEmpty ? "" : database + " ")takes writes again after \(Int(now.timeIntervalSince(ended.since))) s; resuming")
        }
    }

    /// While writes fail: whether the caller may try one now (one probe per `probeInterval` across all callers).
    public func mayProbe(at now: Date) -> Bool {
        state.withLock { state in
            guard state.failure != nil else { return true }
            guard now >= state.nextProbe else { return false }
            state.nextProbe = now.addingTimeInterval(Self.probeInterval)
            return true
        }
    }
}
