import Foundation
import Logging
import NIOSSL
import PostgresNIO

/// The PostgreSQL backend: several monitord instances share one database. PostgresNIO's
/// connection pool (`PostgresClient`) carries every query; row locks, `FOR UPDATE SKIP LOCKED`
/// and an advisory lock (migrations) coordinate the instances, and leases (`Lease`) hand the
/// work of an instance that died to the others.
public final class PostgresStore: Sendable {
    public let location: PostgresLocation
    let client: PostgresClient
    let runner: Task<Void, Never>
    /// PostgresNIO's logger, at warning and above (it reports every connection below that).
    let logger: Logger
    /// The store's own events (migrations applied).
    let events: Logger

    /// The advisory lock key migrations run under (any fixed 64-bit number; "FinSent" in ASCII).
    static let migrationLock: Int64 = 0x46_696E_53_65_6E_74

    private init(location: PostgresLocation, readOnly: Bool, maximumConnections: Int, logger: Logger) {
        self.location = location
        events = logger
        // Not `logLevel = …`: a handler may share its level with every logger of the process.
        let quiet = Logger(label: logger.label) { _ in MinimumLevelHandler(wrapped: logger.handler, floor: .warning) }
        self.logger = quiet
        var configuration: PostgresClient.Configuration
        if location.isUnixSocket {
            configuration = .init(unixSocketPath: location.unixSocketPath, username: location.user, password: location.password,
                                  database: location.database)
        } else {
            // libpq's sslmode=prefer and require encrypt without verifying the server's certificate; so do these.
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .none
            let mode: PostgresClient.Configuration.TLS
            switch location.sslMode {
            case .disable: mode = .disable
            case .prefer: mode = .prefer(tls)
            case .require: mode = .require(tls)
            }
            configuration = .init(host: location.host, port: location.port, username: location.user, password: location.password,
                                  database: location.database, tls: mode)
        }
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = .seconds(10)
        var parameters = [("application_name", location.applicationName)]
        if readOnly { parameters.append(("default_transaction_read_only", "on")) }
        configuration.options.additionalStartupParameters = parameters
        let client = PostgresClient(configuration: configuration, backgroundLogger: quiet)
        self.client = client
        runner = Task { await client.run() }
    }

    /// Connects, then migrates (`createAndMigrate`, under an advisory lock, so instances starting
    /// together migrate once) or checks the schema is this binary's (`existing`, `readOnly`).
    public static func open(_ location: PostgresLocation, mode: StoreOpenMode, maximumConnections: Int = 10,
                            migrations: [Migration] = Migration.shippedPostgres,
                            logger: Logger = Logger(label: "postgres")) async throws -> PostgresStore {
        let store = PostgresStore(location: location, readOnly: mode == .readOnly, maximumConnections: maximumConnections, logger: logger)
        do {
            try await store.checkConnection()
            let migrator = try PostgresMigrator(plan: MigrationPlan(migrations), store: store)
            if mode == .createAndMigrate { try await migrator.migrate() } else { try await migrator.verify() }
        } catch {
            await store.close()
            throw error
        }
        return store
    }

    /// Closes the pool's connections.
    public func close() async {
        runner.cancel()
        _ = await runner.value
    }

    /// The first connection, made directly (the pool would retry quietly): an unreachable server or
    /// a wrong password fails here at once with the server's words, not at the first poll.
    func checkConnection() async throws {
        do {
            var direct: PostgresConnection.Configuration
            if location.isUnixSocket {
                direct = .init(unixSocketPath: location.unixSocketPath, username: location.user, password: location.password,
                               database: location.database)
            } else {
                var tls = TLSConfiguration.makeClientConfiguration()
                tls.certificateVerification = .none
                let mode: PostgresConnection.Configuration.TLS
                switch location.sslMode {
                case .disable: mode = .disable
                case .prefer: mode = .prefer(try NIOSSLContext(configuration: tls))
                case .require: mode = .require(try NIOSSLContext(configuration: tls))
                }
                direct = .init(host: location.host, port: location.port, username: location.user, password: location.password,
                               database: location.database, tls: mode)
            }
            direct.options.connectTimeout = .seconds(10)
            let connection = try await PostgresConnection.connect(on: PostgresClient.defaultEventLoopGroup.next(), configuration: direct,
                                                                  id: 0, logger: logger).get()
            try await connection.close()
        } catch {
            throw StoreError.cannotOpen(path: location.description, message: Self.describe(error))
        }
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { _ = try await self.client.query("SELECT 1", logger: self.logger).collect() }
                group.addTask {
                    try await Task.sleep(for: .seconds(15))
                    throw StoreError.cannotOpen(path: self.location.description, message: "no answer within 15 s")
                }
                try await group.next()
                group.cancelAll()
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.cannotOpen(path: location.description, message: Self.describe(error))
        }
    }

    /// What went wrong, in the server's words (PSQLError's own description hides them).
    static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if let server = error.serverInfo, let message = server[.message] {
            return message + (server[.sqlState].map { " (SQLSTATE \($0))" } ?? "")
        }
        if let underlying = error.underlying { return "\(error.code): \(underlying)" }
        return "\(error.code)"
    }

    // MARK: Running queries

    func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        do { return try await client.query(query, logger: logger).collect() } catch { throw Self.mapped(error) }
    }

    /// Cancellation stays cancellation (services stop on it quietly); anything else carries the server's words.
    static func mapped(_ error: any Error) -> any Error {
        if error is CancellationError || Task.isCancelled { return CancellationError() }
        return StoreQueryError(error)
    }

    func run(_ query: PostgresQuery) async throws {
        _ = try await rows(query)
    }

    func records<T: Decodable>(_ type: T.Type, _ query: PostgresQuery) async throws -> [T] {
        try await rows(query).map { try PostgresRowDecoder.decode(T.self, from: $0) }
    }

    /// Runs `body` in one transaction (committed when it returns, rolled back when it throws).
    func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withTransaction(logger: logger) { connection in try await body(connection) }
        } catch let error as PostgresTransactionError {
            throw Self.mapped(error.closureError ?? error.beginError ?? error.commitError ?? error)
        } catch let error as StoreQueryError {
            throw error
        } catch {
            throw Self.mapped(error)
        }
    }
}

/// A query the server refused, with its message.
public struct StoreQueryError: Error, CustomStringConvertible {
    public let message: String
    public let underlying: any Error
    init(_ error: any Error) {
        if let already = error as? StoreQueryError { self = already; return }
        underlying = error
        message = PostgresStore.describe(error)
    }
    public var description: String { "PostgreSQL: \(message)" }
}

extension PostgresConnection {
    func rows(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        try await self.query(query, logger: logger).collect()
    }

    func records<T: Decodable>(_ type: T.Type, _ query: PostgresQuery, logger: Logger) async throws -> [T] {
        try await rows(query, logger: logger).map { try PostgresRowDecoder.decode(T.self, from: $0) }
    }
}

/// Passes on what is at `floor` or above, whatever the wrapped handler's own level.
struct MinimumLevelHandler: LogHandler {
    var wrapped: any LogHandler
    let floor: Logger.Level

    var logLevel: Logger.Level {
        get { max(wrapped.logLevel, floor) }
        set {}  // the wrapped handler's level is not this logger's to change
    }

    var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        guard event.level >= floor else { return }
        wrapped.log(event: event)
    }
}
