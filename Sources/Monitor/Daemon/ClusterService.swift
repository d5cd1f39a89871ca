import API
import Config
import Foundation
import Logging
import ServiceLifecycle
import Store

/// This instance's membership: its heartbeat in `cluster_instances` (what `monitorctl db` lists),
/// renewed every third of `cluster.leaseTimeout`; on a graceful shutdown, after the other services
/// stopped, it releases every claim and role this instance holds, so the others take them at once
/// instead of waiting for the leases to run out.
public struct ClusterService: Service {
    let current: CurrentConfig
    let store: any ClusterStore
    let instance: InstanceRecord
    let time: any TimeSource
    let logger: Logger
    let storage: StorageHealth

    public init(current: CurrentConfig, store: any ClusterStore, instance: InstanceRecord, time: any TimeSource = SystemTime(),
                storage: StorageHealth = StorageHealth(), logger: Logger) {
        self.storage = storage
        self.current = current
        self.store = store
        self.instance = instance
        self.time = time
        self.logger = logger
    }

    public func run() async throws {
        try await runUntilShutdown {
            while !Task.isCancelled {
                do { try await time.sleep(for: current.config.cluster.leaseTimeout / 3) } catch { break }
                do {
                    try await store.heartbeat(instance: instance.id, at: time.now)
                } catch where storage.failed(error, at: time.now, logger: logger) {
                    // said once, by the storage health
                } catch {
                    logger.warning("cannot renew this instance's heartbeat: \(error)")
                }
            }
        }
        do {
            // Detached: the release must run even when the shutdown cancels this service.
            let (store, id) = (store, instance.id)
            try await Task.detached { try await store.releaseAll(owner: id) }.value
            logger.info("released this instance's leases", metadata: ["instance": "\(instance.id)"])
        } catch {
            logger.warning("cannot release this instance's leases; they run out by themselves: \(error)")
        }
    }
}
