import Alerts
import API
import Config
import Foundation
import Logging
import ServiceLifecycle
import Store
import Transformer
import UnixSignals

/// monitord: loads the configuration, opens and migrates the database, then runs
/// its services until SIGTERM or SIGINT, stopping gracefully within
/// `shutdownTimeout`.
public enum Daemon {
    /// Runs the daemon to completion and returns the process exit status.
    public static func run(configFile: String?) async -> Int32 {
        // A write past the file size limit (RLIMIT_FSIZE, e.g. systemd's LimitFSIZE=) would kill the
        // process with SIGXFSZ; ignored, the write fails with EFBIG and is handled like a full disk.
        signal(SIGXFSZ, SIG_IGN)
        let config: MonitorConfig
        do {
            config = try ConfigLoader.load(file: ConfigLoader.locate(configFile))
        } catch {
            FileHandle.standardError.write(Data("monitord: \(error)\n".utf8))
            return ExitStatus.configError
        }
        StderrLogHandler.bootstrap(level: config.logLevel)
        let logger = Logger(label: "monitord")

        let instance = InstanceRecord.current(version: FinSentVersion.string, startedAt: Date())
        var lock: SQLiteDaemonLock?
        let store: any MonitorStore
        do {
            if case let .sqlite(path) = config.database {
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                lock = try SQLiteDaemonLock(database: path)
            }
            store = try await StoreOpener.open(config.database, mode: .createAndMigrate, maxConnections: config.cluster.maxConnections,
                                               logger: Logger(label: "store"))
            try await store.registerInstance(instance)
        } catch let error as StoreError {
            logger.critical("\(error)")
            return ExitStatus.of(error)
        } catch where StorageFailure.isLock(error) {
            let locked = StoreError.locked(path: config.database.description, seconds: Int(MonitorDatabase.busyTimeout), message: "\(error)")
            logger.critical("\(locked)")
            return ExitStatus.of(locked)
        } catch {
            logger.critical("cannot open the database: \(error)", metadata: ["database": "\(config.database)"])
            return ExitStatus.cannotCreate
        }
        let schema = config.database.backend == "sqlite" ? Migration.shipped : Migration.shippedPostgres
        logger.info("database open", metadata: ["database": "\(config.database)", "backend": "\(config.database.backend)",
                                                "schema.version": "\(schema.last?.version ?? 0)", "instance": "\(instance.id)"])

        // The port first: a busy api.listen is a clear error before the model loads, not a crash after READY=1.
        if let problem = ListenProbe.problem(host: config.api.host, port: config.api.port) {
            logger.critical("cannot listen on api.listen \(config.api.listen): \(problem)",
                            metadata: ["hint": "stop what holds the port (ss -ltnp 'sport = :\(config.api.port)') or change api.listen"])
            await store.close()
            return ExitStatus.cannotCreate
        }

        let classifier: TextClassifier
        do {
            let started = ContinuousClock.now
            classifier = try TextClassifier(folder: config.model, maxLength: config.engine.maxLength, threads: config.engine.threads,
                                            precision: config.engine.precision)
            logger.info("model loaded", metadata: ["model": "\(classifier.version)", "precision": "\(classifier.precision.rawValue)",
                                                   "seconds": "\((ContinuousClock.now - started).seconds)"])
        } catch {
            logger.critical("cannot load the model: \(error)", metadata: ["model": "\(config.model)"])
            await store.close()
            return ExitStatus.configError
        }

        let group = await makeServiceGroup(config: config, store: store, classifier: classifier, instance: instance, logger: logger)
        defer { withExtendedLifetime(lock) {} }
        do {
            try await group.run()
        } catch {
            await store.close()
            // Another process may have taken the port between the probe and the bind.
            if let problem = ListenProbe.problem(host: config.api.host, port: config.api.port) {
                logger.critical("cannot listen on api.listen \(config.api.listen): \(problem)", metadata: ["error": "\(error)"])
                return ExitStatus.cannotCreate
            }
            logger.critical("stopped on an error: \(error)")
            return ExitStatus.failure
        }
        await store.close()
        logger.info("monitord stopped")
        return ExitStatus.success
    }

    /// The daemon's services over an opened store; `time` is the clock every service reads.
    public static func makeServiceGroup(config: MonitorConfig, store: any MonitorStore, classifier: TextClassifier,
                                        instance: InstanceRecord, time: any TimeSource = SystemTime(), logger: Logger) async -> ServiceGroup {
        let id = instance.id
        let notifier = SystemdNotifier()
        let current = CurrentConfig(config)
        // Trap SIGHUP before READY=1, so a reload sent right after start-up cannot kill the process.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let reload = ConfigReloadService(signals: hangups, current: current, file: config.file,
                                         notifier: notifier, logger: logger)
        let status = "serving: \(config.feeds.count) feeds, \(config.watchlist.count) entities, \(config.rules.count) rules"
        // READY=1 waits for the API's port: a daemon that cannot serve never tells systemd it is ready.
        let (listening, listeningNow) = AsyncStream<Void>.makeStream()
        let notify = SystemdNotifyService(notifier: notifier, status: status, logger: logger,
                                          serving: { for await _ in listening {} }) { await store.ping() }
        let itemsStored = PipelineSignal(), scoresWritten = PipelineSignal(), outboxWritten = PipelineSignal()
        let backlog = ScoringBacklog()
        let stats = PipelineStats(database: config.database.description)
        let poller = FeedPoller(current: current, store: store, itemsStored: itemsStored, outboxWritten: outboxWritten, backlog: backlog,
                                stats: stats, time: time, instanceID: id, logger: Logger(label: "feeds"))
        let scoring = ScoringService(current: current, store: store, classifier: classifier, itemsStored: itemsStored,
                                     scoresWritten: scoresWritten, backlog: backlog, stats: stats, time: time, instanceID: id,
                                     logger: Logger(label: "scoring"))
        let alerts = AlertService(current: current, store: store, modelVersion: classifier.version, scoresWritten: scoresWritten,
                                  outboxWritten: outboxWritten, time: time, storage: stats.storage,
                                  explainer: OcclusionEvidence(store: store, scoring: scoring, time: time), instanceID: id, logger: Logger(label: "alerts"))
        let api = APIRoutes.application(
            .init(current: current, store: store, stats: stats, backlog: backlog, modelVersion: classifier.version, instanceID: id),
            host: config.api.host, port: config.api.port, logger: Logger(label: "api"), onRunning: { listeningNow.finish() })
        let sender = WebhookSender(current: current, store: store, outboxWritten: outboxWritten, time: time, storage: stats.storage, instanceID: id,
                                   logger: Logger(label: "webhooks"))
        let retention = RetentionService(current: current, store: store, time: time, storage: stats.storage, instanceID: id,
                                         logger: Logger(label: "retention"))
        let cluster = ClusterService(current: current, store: store, instance: instance, time: time, storage: stats.storage,
                                     logger: Logger(label: "cluster"))
        var configuration = ServiceGroupConfiguration(
            services: [
                // First in, last out: it releases this instance's leases after the others stopped.
                .init(service: cluster),
                .init(service: reload),
                .init(service: poller),
                .init(service: scoring),
                .init(service: alerts),
                .init(service: sender),
                .init(service: retention),
                .init(service: api),
                .init(service: notify),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        configuration.maximumGracefulShutdownDuration = config.shutdownTimeout
        configuration.maximumCancellationDuration = .seconds(2)
        return ServiceGroup(configuration: configuration)
    }
}
