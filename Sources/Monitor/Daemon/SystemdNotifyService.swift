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
    let logger: Logger

    public init(notifier: SystemdNotifier, status: String, logger: Logger,
                healthCheck: @escaping @Sendable () async -> Bool) {
        self.notifier = notifier
        self.status = status
        self.logger = logger
        self.healthCheck = healthCheck
    }

    public func run() async throws {
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
