import Foundation
import GRDB

/// Applies `migrations/*.sql` in order, each in its own transaction, and
/// records every applied one with its checksum in `schema_migrations`.
///
/// Refuses a database whose applied migrations differ from the shipped text,
/// and one that has migrations this binary does not know (written by a newer version).
public struct Migrator: Sendable {
    /// The migrations this migrator knows, in ascending version order.
    public let migrations: [Migration]

    /// Creates a migrator; `migrations` must have distinct versions.
    public init(migrations: [Migration] = Migration.shipped) throws {
        let sorted = migrations.sorted { $0.version < $1.version }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where previous.version == next.version {
            throw StoreError.invalidMigrations("two migrations have version \(next.version): \(previous.fileName), \(next.fileName)")
        }
        self.migrations = sorted
    }

    /// The highest version this migrator knows (0 with none).
    public var latestVersion: Int { migrations.last?.version ?? 0 }

    /// One applied migration as recorded in the database.
    public struct AppliedMigration: Sendable, Equatable {
        public let version: Int
        public let name: String
        public let checksum: String
        public let appliedAt: Date
        /// The file it was shipped as, e.g. `0002_feed_configured_url.sql`.
        public var fileName: String { Migration(version: version, name: name, sql: "").fileName }
    }

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
        try verify(applied, path: path)
        let appliedVersions = Set(applied.map(\.version))
        var done: [Int] = []
        for migration in migrations where !appliedVersions.contains(migration.version) {
            do {
                // writeWithoutTransaction + inTransaction: one explicit transaction per migration,
                // so a failure rolls back that migration alone and leaves earlier ones recorded.
                try writer.writeWithoutTransaction { db in
                    try db.inTransaction(.immediate) {
                        try db.execute(sql: migration.sql)
                        try db.execute(
                            sql: "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
                            arguments: [migration.version, migration.name, migration.checksum,
                                        Int64(Date().timeIntervalSince1970 * 1000)])
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
        try verify(applied, path: path)
        let current = applied.map(\.version).max() ?? 0
        if applied.count < migrations.count {
            throw StoreError.databaseOutdated(path: path, databaseVersion: current, binaryVersion: latestVersion)
        }
    }

    /// The migrations recorded in a database, in version order.
    public static func applied(in db: Database) throws -> [AppliedMigration] {
        try Row.fetchAll(db, sql: "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version")
            .map { row in
                AppliedMigration(version: row["version"], name: row["name"], checksum: row["checksum"],
                                 appliedAt: Date(timeIntervalSince1970: Double(row["applied_at"] as Int64) / 1000))
            }
    }

    private func verify(_ applied: [AppliedMigration], path: String) throws {
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for record in applied {
            guard let migration = known[record.version] else {
                throw StoreError.databaseNewer(path: path, databaseVersion: applied.map(\.version).max() ?? record.version,
                                               binaryVersion: latestVersion)
            }
            if migration.checksum != record.checksum {
                throw StoreError.migrationChanged(version: record.version, name: record.name,
                                                  recorded: record.checksum, shipped: migration.checksum)
            }
        }
    }
}
