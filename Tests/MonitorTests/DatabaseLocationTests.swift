@testable import Config
import Foundation
@testable import Store
import Testing

@Suite("Database locations and the PostgreSQL schema")
struct DatabaseLocationTests {
    @Test("libpq-style URIs: user, password, host, port, database, sslmode, application_name, sockets, IPv6")
    func uris() throws {
        let full = try PostgresLocation(uri: "postgresql://monitor:s%40cret@db.internal:6543/finsent?sslmode=require&application_name=desk-1")
        #expect(full == PostgresLocation(host: "db.internal", port: 6543, user: "monitor", password: "s@cret", database: "finsent",
                                         sslMode: .require, applicationName: "desk-1"))
        #expect(full.description == "postgresql://monitor@db.internal:6543/finsent?sslmode=require", "the password is never printed")
        let short = try PostgresLocation(uri: "postgres://monitor@db/finsent")
        #expect(short.port == 5432 && short.sslMode == .prefer && short.password == nil && short.applicationName == "monitord")
        let socket = try PostgresLocation(uri: "postgresql://monitor@/finsent?host=/run/postgresql")
        #expect(socket.isUnixSocket && socket.unixSocketPath == "/run/postgresql/.s.PGSQL.5432")
        let v6 = try PostgresLocation(uri: "postgresql://monitor@[::1]:5433/finsent")
        #expect(v6.host == "::1" && v6.port == 5433 && v6.description == "postgresql://monitor@[::1]:5433/finsent")
        for (bad, message) in [("postgresql://monitor@db", "no database name (…/dbname)"),
                               ("postgresql://monitor@db:99999/x", "port must be 1–65535, got \"99999\""),
                               ("postgresql://monitor@db/x?connect_timeout=3", "unsupported parameter \"connect_timeout\"")] {
            let error = #expect(throws: DatabaseLocationError.self) { try PostgresLocation(uri: bad) }
            #expect(error?.description.hasPrefix(message) == true, "\(bad): \(String(describing: error))")
        }
    }

    @Test("database: a path is SQLite, a URI PostgreSQL; the password from the URI, an environment variable or a file, never printed")
    func configuration() throws {
        let folder = try TemporaryFolder()
        try folder.write("pgpass", "from-file\n")
        func load(_ extra: String, database: String = "postgresql://monitor@db.internal/finsent") throws -> MonitorConfig {
            try ConfigLoader.parse(Array(configJSON(database: "\"\(database)\"", extra: extra).utf8), file: folder.path("config.json"),
                                   environment: ["PGPASS": "from-env"])
        }
        #expect(try load("", database: "data/m.sqlite").database == .sqlite(path: folder.path("data/m.sqlite")))
        guard case let .postgres(env) = try load(#", "databasePasswordEnv": "PGPASS""#).database,
              case let .postgres(file) = try load(#", "databasePasswordFile": "pgpass""#).database,
              case let .postgres(inline) = try load("", database: "postgresql://monitor:inline@db.internal/finsent").database
        else {
            Issue.record("a URI is PostgreSQL")
            return
        }
        #expect(env.password == "from-env" && file.password == "from-file" && inline.password == "inline")
        let config = try load(#", "databasePasswordEnv": "PGPASS", "cluster": {"leaseTimeout": "45s", "maxConnections": 4}"#)
        #expect(config.cluster == ClusterSettings(leaseTimeout: .seconds(45), maxConnections: 4))
        #expect(!"\(config.database)".contains("from-env") && !"\(config)".contains("from-env"), "never printed")
    }

    @Test("the PostgreSQL migrations compiled in are the files in migrations/postgres, and they split into statements")
    func postgresMigrations() throws {
        let folder = repositoryRoot.appendingPathComponent("migrations/postgres")
        let onDisk = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
            .map { Migration(fileName: $0, sql: try String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8)) }
        #expect(onDisk.compactMap { $0 } == Migration.shippedPostgres, "run scripts/embed-migrations.sh after editing migrations/postgres")
        let statements = PostgresMigrator.statements("""
            -- a comment; with a semicolon
            CREATE TABLE a (x text DEFAULT '--not a comment;', -- trailing
                y int);
            CREATE INDEX a_x ON a (x);
            """)
        #expect(statements == ["CREATE TABLE a (x text DEFAULT '--not a comment;', \n    y int)", "CREATE INDEX a_x ON a (x)"])
        let tables = Migration.shippedPostgres.flatMap { PostgresMigrator.statements($0.sql) }
            .filter { $0.hasPrefix("CREATE TABLE ") }.map { $0.split(separator: " ")[2] }.map(String.init)
        #expect(Set(tables) == Set(StoreInfo.tables), "the same tables as SQLite")
    }

    @Test("PostgreSQL refuses an edited migration and a database newer than the binary, as SQLite does",
          .enabled(if: PostgresTestServer.isInstalled))
    func postgresRefusals() async throws {
        let server = try await PostgresTestServer.shared()
        let location = server.location(try await server.createDatabase())
        await (try PostgresStore.open(location, mode: .createAndMigrate, logger: quietLogger)).close()
        var edited = Migration.shippedPostgres
        edited[0] = Migration(version: 1, name: edited[0].name, sql: edited[0].sql + "-- edited\n")
        let changed = await #expect(throws: StoreError.self) {
            try await PostgresStore.open(location, mode: .createAndMigrate, migrations: edited, logger: quietLogger)
        }
        #expect(changed.map { if case .migrationChanged = $0 { true } else { false } } == true, "\(String(describing: changed))")
        let shipped = Migration.shippedPostgres.count
        let future = Migration.shippedPostgres + [Migration(version: shipped + 1, name: "future", sql: "CREATE TABLE future (x int);\n")]
        await (try PostgresStore.open(location, mode: .createAndMigrate, migrations: future, logger: quietLogger)).close()
        let newer = await #expect(throws: StoreError.self) { try await PostgresStore.open(location, mode: .readOnly, logger: quietLogger) }
        #expect(newer == .databaseNewer(path: location.description, databaseVersion: shipped + 1, binaryVersion: shipped))
        let unreachable = PostgresLocation(host: "127.0.0.1", port: try freePort(), user: "x", database: "x", sslMode: .disable)
        let refused = await #expect(throws: StoreError.self) { try await PostgresStore.open(unreachable, mode: .readOnly, logger: quietLogger) }
        #expect(refused.map { if case .cannotOpen = $0 { true } else { false } } == true, "\(String(describing: refused))")
    }
}
