import API
import Alerts
import Config
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Store

/// Keeps the alerts up to date: a pass when new scores are written (at most once per `minimumGap`)
/// and every `idleTick` when nothing arrives, so alerts resolve and pending ones fire as time
/// passes. A pass costs what changed (`AlertEvaluator`). With several instances on one database,
/// the one holding the `alerts` role evaluates (renewed when half of it has run; taken over by
/// another when it lapses), so an alert is raised once.
public struct AlertService: Service {
    let current: CurrentConfig
    let evaluator: AlertEvaluator
    let modelVersion: String
    let scoresWritten: PipelineSignal
    let outboxWritten: PipelineSignal
    let time: any TimeSource
    let logger: Logger
    let minimumGap: Duration
    let idleTick: Duration
    let roles: any ClusterStore
    let instanceID: String
    /// Until when this instance holds the role, as of its last renewal.
    let heldUntil = RoleHold()
    let storage: StorageHealth

    public init(current: CurrentConfig, store: any AlertStore & StoryStore & ClusterStore, modelVersion: String, scoresWritten: PipelineSignal,
                outboxWritten: PipelineSignal, time: any TimeSource = SystemTime(), minimumGap: Duration = .milliseconds(250),
                idleTick: Duration = .seconds(2), storage: StorageHealth = StorageHealth(), explainer: (any EvidenceExplainer)? = nil,
                instanceID: String, logger: Logger) {
        self.storage = storage
        self.roles = store
        self.instanceID = instanceID
        self.current = current
        self.evaluator = AlertEvaluator(store: store, explainer: explainer)
        self.modelVersion = modelVersion
        self.scoresWritten = scoresWritten
        self.outboxWritten = outboxWritten
        self.time = time
        self.minimumGap = minimumGap
        self.idleTick = idleTick
        self.logger = logger
    }

    public func run() async throws {
        try await runUntilShutdown {
            while !Task.isCancelled {
                let started = time.now
                do {
                    if try await holdsRole(at: started) {
                        try await evaluateOnce()
                    } else {
                        await evaluator.reset()  // the holder changes alerts meanwhile: read them again when the role comes back
                    }
                } catch is CancellationError {
                    return
                } catch where storage.failed(error, at: time.now, logger: logger) {
                    await evaluator.reset()  // nothing of the pass was written: read the alerts again on the next one
                    try? await time.sleep(for: .seconds(StorageHealth.probeInterval))
                } catch {
                    logger.error("alert evaluation failed: \(error)")
                }
                // At most one pass per minimumGap however fast scores arrive; otherwise wait for scores or the idle tick.
                try? await time.sleep(until: started.addingTimeInterval(minimumGap.seconds))
                await scoresWritten.wait(timeout: idleTick - minimumGap)
            }
        }
    }

    /// Takes or renews the `alerts` role (once half of the hold has run, so most passes write nothing
    /// for it); false while another instance holds it. When the role is taken rather than renewed
    /// (at start, or after a gap in which another instance may have held it), the evaluator reads
    /// the alerts afresh.
    func holdsRole(at now: Date) async throws -> Bool {
        let timeout = current.config.cluster.leaseTimeout
        let until = heldUntil.withLock { held in defer { held = nil }; return held }  // unknown until this renewal answers
        if let until, now.addingTimeInterval(timeout.seconds / 2) < until {
            heldUntil.withLock { $0 = until }
            return true
        }
        let lease = Lease(owner: instanceID, now: now, duration: timeout)
        let held = try await roles.acquireRole(.alerts, lease: lease)
        heldUntil.withLock { $0 = held ? lease.until : nil }
        if held, until.map({ $0 <= now }) ?? true { await evaluator.reset() }
        return held
    }

    /// One pass at the current time; logs each change and wakes the sender when messages were queued.
    @discardableResult
    public func evaluateOnce() async throws -> [AlertEvaluator.Change] {
        let changes = try await evaluator.evaluate(config: current.config, modelVersion: modelVersion, now: time.now)
        for change in changes {
            logger.log(level: change.event == .firing ? .warning : .info, "alert \(change.event.rawValue)",
                       metadata: ["rule": "\(change.rule)", "entity": "\(change.symbol)", "notified": "\(change.notified)"])
        }
        if changes.contains(where: \.notified) { outboxWritten.notify() }
        return changes
    }
}

/// Until when an instance holds a role, as of its last renewal (nil: not held).
final class RoleHold: Sendable {
    private let until = Mutex<Date?>(nil)
    func withLock<T>(_ body: (inout Date?) -> T) -> T { until.withLock { body(&$0) } }
}
