import Foundation
import GRDB

/// Applies `migrations/*.sql` in order, each in its own transaction, and
/// records every applied one with its checksum in `schema_migrations`.
///
/// Refuses a database whose applied migrations differ from the shipped text,
/// and one that has migrations this binary does not know (written by a newer version).
public struct Migrator: Sendable {
    public typealias AppliedMigration = Store.AppliedMigration
    let plan: MigrationPlan
    /// The migrations this migrator knows, in ascending version order.
    public var migrations: [Migration] { plan.migrations }

    /// Creates a migrator; `migrations` must have distinct versions.
    public init(migrations: [Migration] = Migration.shipped) throws {
        plan = try MigrationPlan(migrations)
    }

    /// The highest version this migrator knows (0 with none).
    public var latestVersion: Int { plan.latestVersion }

    /// Applies what is missing; returns the versions applied by this call.
    @discardableResult
    public func migrate(_ writer: some DatabaseWriter, path: String) throws -> [Int] {
        try writer.write { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    INTEGER PRIMARY KEY,
                    name       TEXT NOT NULL,
                    checksum   TEXT NOT NULL,
                    applied_at INTEGER NOT NULL
                )
                """)
        }
        let applied = try writer.read { try Self.applied(in: $0) }
        try plan.verify(applied, location: path)
        var done: [Int] = []
        for migration in plan.pending(applied) {
            do {
                // writeWithoutTransaction + inTransaction: one explicit transaction per migration,
                // so a failure rolls back that migration alone and leaves earlier ones recorded.
                try writer.writeWithoutTransaction { db in
                    try db.inTransaction(.immediate) {
                        try db.execute(sql: migration.sql)
                        try db.execute(
                            sql: "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
                            arguments: [migration.version, migration.name, migration.checksum, Date().millis])
                        return .commit
                    }
                }
            } catch let error as DatabaseError {
                throw StoreError.migrationFailed(version: migration.version, name: migration.name,
                                                 message: error.message ?? error.description)
            }
            done.append(migration.version)
        }
        return done
    }

    /// Checks a database opened read-only: every shipped migration applied, unchanged, none unknown.
    public func verify(_ reader: some DatabaseReader, path: String) throws {
        let applied = try reader.read { db -> [AppliedMigration] in
            guard try db.tableExists("schema_migrations") else { return [] }
            return try Self.applied(in: db)
        }
        try plan.verifyComplete(applied, location: path)
    }

    /// The migrations recorded in a database, in version order.
    public static func applied(in db: Database) throws -> [AppliedMigration] {
        try Row.fetchAll(db, sql: "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version")
            .map { row in
                AppliedMigration(version: row["version"], name: row["name"], checksum: row["checksum"],
                                 appliedAt: Date(millis: row["applied_at"]))
            }
    }
}
