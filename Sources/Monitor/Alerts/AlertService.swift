import Alerts
import Config
import Foundation
import Logging
import ServiceLifecycle
import Store

/// Keeps the alerts up to date: evaluates every rule when new scores are written (at most once per
/// `minimumGap`, since a pass reads every watched entity's window), and every `idleTick` when
/// nothing arrives, so alerts resolve and pending ones fire as time passes. With several instances
/// on one database, the one holding the `alerts` role evaluates (renewed every pass; taken over by
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

    public init(current: CurrentConfig, store: any AlertStore & ClusterStore, modelVersion: String, scoresWritten: PipelineSignal,
                outboxWritten: PipelineSignal, time: any TimeSource = SystemTime(), minimumGap: Duration = .seconds(1),
                idleTick: Duration = .seconds(2), instanceID: String, logger: Logger) {
        self.roles = store
        self.instanceID = instanceID
        self.current = current
        self.evaluator = AlertEvaluator(store: store)
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
                    if try await holdsRole(at: started) { try await evaluateOnce() }
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("alert evaluation failed: \(error)")
                }
                // At most one pass per minimumGap however fast scores arrive; otherwise wait for scores or the idle tick.
                try? await time.sleep(until: started.addingTimeInterval(minimumGap.seconds))
                await scoresWritten.wait(timeout: idleTick - minimumGap)
            }
        }
    }

    /// Takes or renews the `alerts` role; false while another instance holds it.
    func holdsRole(at now: Date) async throws -> Bool {
        let lease = Lease(owner: instanceID, now: now, duration: current.config.cluster.leaseTimeout)
        return try await roles.acquireRole(.alerts, lease: lease)
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
