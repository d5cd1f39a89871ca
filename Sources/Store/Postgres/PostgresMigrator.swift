import Foundation
import Logging
import PostgresNIO

/// Applies `migrations/postgres/*.sql` with the rules of the SQLite migrator (recorded checksums,
/// refusal of edited or unknown migrations), each in its own transaction, all under one advisory
/// lock: instances that start together wait for the first, which migrates; the others find the
/// schema current.
struct PostgresMigrator {
    let plan: MigrationPlan
    let store: PostgresStore

    static let createTable: PostgresQuery = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version    integer PRIMARY KEY,
            name       text NOT NULL,
            checksum   text NOT NULL,
            applied_at bigint NOT NULL
        )
        """

    /// Applies what is missing; returns the versions this call applied.
    @discardableResult
    func migrate() async throws -> [Int] {
        let logger = store.logger
        let location = store.location.description
        return try await store.client.withConnection { connection in
            // Session-level: held until unlocked below, or until the connection drops with the process.
            _ = try await connection.rows("SELECT pg_advisory_lock(\(PostgresStore.migrationLock))", logger: logger)
            do {
                _ = try await connection.rows(Self.createTable, logger: logger)
                let applied = try await Self.applied(connection, logger: logger)
                try plan.verify(applied, location: location)
                var done: [Int] = []
                for migration in plan.pending(applied) {
                    do {
                        try await connection.withTransaction(logger: logger) { connection in
                            for statement in Self.statements(migration.sql) {
                                _ = try await connection.rows(PostgresQuery(unsafeSQL: statement), logger: logger)
                            }
                            _ = try await connection.rows("""
                                INSERT INTO schema_migrations (version, name, checksum, applied_at)
                                VALUES (\(migration.version), \(migration.name), \(migration.checksum), \(Date().millis))
                                """, logger: logger)
                        }
                    } catch let error as PostgresTransactionError {
                        throw StoreError.migrationFailed(version: migration.version, name: migration.name,
                                                         message: PostgresStore.describe(error.closureError ?? error.commitError ?? error))
                    }
                    done.append(migration.version)
                    store.events.notice("applied migration \(migration.fileName)", metadata: ["database": "\(location)"])
                }
                _ = try await connection.rows("SELECT pg_advisory_unlock(\(PostgresStore.migrationLock))", logger: logger)
                return done
            } catch {
                _ = try? await connection.rows("SELECT pg_advisory_unlock(\(PostgresStore.migrationLock))", logger: logger)
                throw error
            }
        }
    }

    /// Checks an existing database: every shipped migration applied, unchanged, none unknown.
    func verify() async throws {
        let logger = store.logger
        let applied = try await store.client.withConnection { connection -> [AppliedMigration] in
            let exists = try await connection.rows("SELECT to_regclass('schema_migrations') IS NOT NULL", logger: logger)
                .first?.decode(Bool.self) ?? false
            return exists ? try await Self.applied(connection, logger: logger) : []
        }
        try plan.verifyComplete(applied, location: store.location.description)
    }

    static func applied(_ connection: PostgresConnection, logger: Logger) async throws -> [AppliedMigration] {
        try await connection.rows("SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version", logger: logger)
            .map { row in
                let (version, name, checksum, appliedAt) = try row.decode((Int, String, String, Int64).self)
                return AppliedMigration(version: version, name: name, checksum: checksum, appliedAt: Date(millis: appliedAt))
            }
    }

    /// The statements of a migration file: each ends with ";" at the end of a line; `--` comments
    /// (outside quotes) are dropped. The shipped files use nothing more (no dollar quoting).
    static func statements(_ sql: String) -> [String] {
        var statements: [String] = []
        var current = ""
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            var code = ""
            var quoted = false
            var previous: Character = " "
            for character in line {
                if character == "'" { quoted.toggle() }
                if !quoted, character == "-", previous == "-" { code.removeLast(); break }
                code.append(character)
                previous = character
            }
            let trimmed = code.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { continue }
            current += (current.isEmpty ? "" : "\n") + code
            if trimmed.hasSuffix(";") {
                statements.append(String(current.trimmingCharacters(in: .whitespacesAndNewlines).dropLast()))
                current = ""
            }
        }
        let rest = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !rest.isEmpty { statements.append(rest) }
        return statements
    }
}
