import Logging
import ServiceLifecycle

/// Tells systemd the daemon is ready, keeps its watchdog fed while the daemon is
/// healthy, and says when it is stopping.
///
/// The watchdog is fed only while `healthCheck` passes, so a daemon whose
/// database stopped answering is restarted by systemd rather than kept alive.
public struct SystemdNotifyService: Service {
    let notifier: SystemdNotifier
    let status: String
    let healthCheck: @Sendable () async -> Bool
    /// Returns once the daemon serves (the API port is bound); READY=1 is not sent before.
    let serving: @Sendable () async -> Void
    let logger: Logger

    public init(notifier: SystemdNotifier, status: String, logger: Logger, serving: @escaping @Sendable () async -> Void = {},
                healthCheck: @escaping @Sendable () async -> Bool) {
        self.notifier = notifier
        self.status = status
        self.logger = logger
        self.serving = serving
        self.healthCheck = healthCheck
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await serving() }
        guard !Task.isCancelled, !Task.isShuttingDownGracefully else { return }
        send("READY=1\nSTATUS=\(status)")
        logger.info("monitord is ready", metadata: ["status": "\(status)"])
        if let interval = notifier.watchdogInterval {
            // cancelOnGracefulShutdown: the sleep ends at SIGTERM instead of delaying shutdown.
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                if await healthCheck() {
                    send("WATCHDOG=1")
                } else {
                    logger.error("health check failed; not feeding the systemd watchdog")
                }
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            }
        } else {
            try? await gracefulShutdown()
        }
        send("STOPPING=1\nSTATUS=stopping")
        logger.info("monitord is stopping")
    }

    private func send(_ message: String) {
        do {
            try notifier.notify(message)
        } catch {
            logger.warning("cannot notify systemd", metadata: ["error": "\(error)"])
        }
    }
}
