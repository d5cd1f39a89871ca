import API
import Config
import Foundation
import Logging
import ServiceLifecycle
import Store

/// Deletes what `retention` says is too old, every `retention.interval` (the first pass a minute
/// after start). Rows go in small batches, each its own short transaction with a pause between,
/// so ingest and scoring keep their turn at the database. A pass is recorded for `monitorctl db`.
/// With several instances, the one that takes the `retention` role runs the pass.
public struct RetentionService: Service {
    let current: CurrentConfig
    let store: any MaintenanceStore & ClusterStore
    let instanceID: String
    let time: any TimeSource
    let logger: Logger
    let batchSize: Int
    let pause: Duration
    let firstPassAfter: Duration
    let storage: StorageHealth

    public init(current: CurrentConfig, store: any MaintenanceStore & ClusterStore, time: any TimeSource = SystemTime(), batchSize: Int = 500,
                pause: Duration = .milliseconds(20), firstPassAfter: Duration = .seconds(60), storage: StorageHealth = StorageHealth(),
                instanceID: String, logger: Logger) {
        self.storage = storage
        self.instanceID = instanceID
        self.current = current
        self.store = store
        self.time = time
        self.batchSize = batchSize
        self.pause = pause
        self.firstPassAfter = firstPassAfter
        self.logger = logger
    }

    public func run() async throws {
        try await runUntilShutdown {
            var wait = firstPassAfter
            while !Task.isCancelled {
                do { try await time.sleep(for: wait) } catch { return }
                let settings = current.config.retention
                wait = settings.interval
                guard !settings.policy.keepsEverything else { continue }
                do {
                    let lease = Lease(owner: instanceID, now: time.now, duration: current.config.cluster.leaseTimeout)
                    if try await store.acquireRole(.retention, lease: lease) { try await runPass(settings.policy) }
                } catch is CancellationError {
                    return
                } catch where storage.failed(error, at: time.now, logger: logger) {
                    // Deleting needs room too (the journal): the next pass, an interval later, tries again.
                } catch {
                    logger.error("retention pass failed; will retry: \(error)")
                }
            }
        }
    }

    /// One pass: batches until nothing expired is left. Returns what it removed.
    @discardableResult
    public func runPass(_ policy: RetentionPolicy) async throws -> RetentionCounts {
        let started = time.now
        var removed = RetentionCounts()
        while !Task.isCancelled {
            let batch = try await store.deleteExpired(policy, at: started, limit: batchSize)
            removed = removed + batch
            if batch.total == 0 { break }
            try await Task.sleep(for: pause)
        }
        try await store.recordRetentionRun(RetentionRun(startedAt: started, finishedAt: time.now, removed: removed))
        if removed.total > 0 {
            logger.info("retention removed old rows", metadata: [
                "items": "\(removed.items)", "alerts": "\(removed.alerts)", "alert_events": "\(removed.alertEvents)",
                "deliveries": "\(removed.deliveries)",
            ])
        }
        return removed
    }
}
