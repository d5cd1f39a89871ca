import Crypto
import Foundation

/// One schema step, read from `migrations/NNNN_name.sql`.
///
/// Shipped migrations are never edited: the migrator records each one's
/// checksum when it applies it and refuses a database whose record disagrees.
public struct Migration: Sendable, Equatable {
    /// The number in the file name; migrations apply in ascending order.
    public let version: Int
    /// The part of the file name after the number, e.g. `initial`.
    public let name: String
    /// The SQL text, run as one transaction.
    public let sql: String

    /// Creates a migration from its parts.
    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// Creates a migration from a file name like `0002_add_index.sql`.
    /// Returns nil when the name does not follow that pattern.
    public init?(fileName: String, sql: String) {
        guard fileName.hasSuffix(".sql") else { return nil }
        let stem = fileName.dropLast(4)
        guard let underscore = stem.firstIndex(of: "_"),
              let version = Int(stem[..<underscore]), version > 0,
              stem[..<underscore].allSatisfy(\.isASCII)
        else { return nil }
        let name = String(stem[stem.index(after: underscore)...])
        guard !name.isEmpty else { return nil }
        self.init(version: version, name: name, sql: sql)
    }

    /// The file name this migration is shipped as.
    public var fileName: String {
        let number = String(version)
        return String(repeating: "0", count: max(0, 4 - number.count)) + number + "_" + name + ".sql"
    }

    /// Lower-case hex SHA-256 of the SQL text.
    public var checksum: String {
        SHA256.hash(data: Data(sql.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}

extension Migration {
    /// The SQLite migrations compiled into this binary (generated from `migrations/`
    /// by `scripts/embed-migrations.sh`; a test keeps the two identical).
    public static let shipped: [Migration] = parse(EmbeddedMigrations.files)
    /// The PostgreSQL migrations compiled into this binary (from `migrations/postgres/`).
    public static let shippedPostgres: [Migration] = parse(EmbeddedMigrations.postgres)

    static func parse(_ files: [(name: String, sql: String)]) -> [Migration] {
        files.map { file in
            guard let migration = Migration(fileName: file.name, sql: file.sql) else {
                preconditionFailure("embedded migration \(file.name) has an invalid name")
            }
            return migration
        }
    }
}

/// One applied migration as recorded in a database's `schema_migrations`.
public struct AppliedMigration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let checksum: String
    public let appliedAt: Date
    /// The file it was shipped as, e.g. `0002_feed_configured_url.sql`.
    public var fileName: String { Migration(version: version, name: name, sql: "").fileName }
}

/// The rules both backends apply to a database's recorded migrations: every recorded one is known
/// and unchanged (else the database was written by a newer binary, or a shipped file was edited).
public struct MigrationPlan: Sendable {
    /// The migrations this binary knows, in ascending version order.
    public let migrations: [Migration]

    /// `migrations` must have distinct versions.
    public init(_ migrations: [Migration]) throws {
        let sorted = migrations.sorted { $0.version < $1.version }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where previous.version == next.version {
            throw StoreError.invalidMigrations("two migrations have version \(next.version): \(previous.fileName), \(next.fileName)")
        }
        self.migrations = sorted
    }

    /// The highest version known (0 with none).
    public var latestVersion: Int { migrations.last?.version ?? 0 }

    /// Refuses unknown or edited migrations.
    public func verify(_ applied: [AppliedMigration], location: String) throws {
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for record in applied {
            guard let migration = known[record.version] else {
                throw StoreError.databaseNewer(path: location, databaseVersion: applied.map(\.version).max() ?? record.version,
                                               binaryVersion: latestVersion)
            }
            if migration.checksum != record.checksum {
                throw StoreError.migrationChanged(version: record.version, name: record.name,
                                                  recorded: record.checksum, shipped: migration.checksum)
            }
        }
    }

    /// Also refuses a database that misses migrations (opened without migrating).
    public func verifyComplete(_ applied: [AppliedMigration], location: String) throws {
        try verify(applied, location: location)
        if applied.count < migrations.count {
            throw StoreError.databaseOutdated(path: location, databaseVersion: applied.map(\.version).max() ?? 0,
                                              binaryVersion: latestVersion)
        }
    }

    /// What is not applied yet, in order.
    public func pending(_ applied: [AppliedMigration]) -> [Migration] {
        let done = Set(applied.map(\.version))
        return migrations.filter { !done.contains($0.version) }
    }
}
