import Config
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads the configuration on SIGHUP. The new file is validated first: an
/// invalid one is logged with every problem and the running configuration stays.
public struct ConfigReloadService: Service {
    let signals: UnixSignalsSequence
    let current: CurrentConfig
    let file: String
    let notifier: SystemdNotifier
    let logger: Logger

    /// `signals` must already trap SIGHUP (create it before the daemon reports ready).
    public init(signals: UnixSignalsSequence, current: CurrentConfig, file: String,
                notifier: SystemdNotifier, logger: Logger) {
        self.signals = signals
        self.current = current
        self.file = file
        self.notifier = notifier
        self.logger = logger
    }

    public func run() async throws {
        for await _ in signals.cancelOnGracefulShutdown() {
            reload()
        }
    }

    /// Reads, validates and installs the configuration file; returns whether it was installed.
    @discardableResult
    public func reload() -> Bool {
        try? notifier.notify("RELOADING=1\nSTATUS=reloading configuration")
        defer { try? notifier.notify("READY=1\nSTATUS=serving") }
        do {
            let new = try ConfigLoader.load(file: file)
            let old = current.replace(with: new)
            StderrLogHandler.sharedLevel.withLock { $0 = new.logLevel }
            for change in Self.restartOnlyChanges(from: old, to: new) {
                logger.warning("configuration change needs a restart to take effect", metadata: ["key": "\(change)"])
            }
            logger.info("configuration reloaded", metadata: ["config.file": "\(file)", "feeds": "\(new.feeds.count)",
                                                             "rules": "\(new.rules.count)"])
            return true
        } catch {
            for issue in error.issues {
                logger.error("configuration not reloaded: \(issue)", metadata: ["config.file": "\(file)"])
            }
            return false
        }
    }

    /// Settings read once at start-up.
    static func restartOnlyChanges(from old: MonitorConfig, to new: MonitorConfig) -> [String] {
        var changes: [String] = []
        if old.database != new.database { changes.append("database") }
        if old.cluster != new.cluster { changes.append("cluster") }
        if old.api.host != new.api.host || old.api.port != new.api.port { changes.append("api.listen") }  // the token and the rest apply at once
        if old.shutdownTimeout != new.shutdownTimeout { changes.append("shutdownTimeout") }
        return changes
    }
}
