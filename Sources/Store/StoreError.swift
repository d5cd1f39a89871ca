import Foundation

/// Why the database could not be opened or brought up to date.
public enum StoreError: Error, CustomStringConvertible, Equatable {
    /// A migration that was applied earlier has different text now.
    case migrationChanged(version: Int, name: String, recorded: String, shipped: String)
    /// The database has migrations this binary does not know: it was written by a newer version.
    case databaseNewer(path: String, databaseVersion: Int, binaryVersion: Int)
    /// The database is missing migrations and was opened read-only, so they cannot be applied.
    case databaseOutdated(path: String, databaseVersion: Int, binaryVersion: Int)
    /// The migrations list itself is inconsistent (duplicate or unordered versions).
    case invalidMigrations(String)
    /// A migration's SQL failed.
    case migrationFailed(version: Int, name: String, message: String)
    /// The database file could not be opened.
    case cannotOpen(path: String, message: String)
    /// The file is not an SQLite database, or it is damaged (truncated, overwritten).
    case damaged(path: String, message: String)
    /// Another process held a lock on the database for longer than the busy timeout.
    case locked(path: String, seconds: Int, message: String)

    public var description: String {
        switch self {
        case let .migrationChanged(version, name, recorded, shipped):
            return "migration \(Migration(version: version, name: name, sql: "").fileName) was changed after it was applied "
                + "(recorded checksum \(recorded.prefix(12))…, shipped \(shipped.prefix(12))…); "
                + "shipped migrations must never be edited: restore it and add a new migration instead"
        case let .databaseNewer(path, databaseVersion, binaryVersion):
            return "database \(path) is at schema version \(databaseVersion), newer than this binary knows "
                + "(\(binaryVersion)); run a newer FinSent Monitor or restore a backup"
        case let .databaseOutdated(path, databaseVersion, binaryVersion):
            return "database \(path) is at schema version \(databaseVersion) but this binary needs \(binaryVersion); "
                + "start monitord once to migrate it"
        case let .invalidMigrations(message):
            return "invalid migrations: \(message)"
        case let .migrationFailed(version, name, message):
            return "migration \(Migration(version: version, name: name, sql: "").fileName) failed: \(message)"
        case let .cannotOpen(path, message):
            return "cannot open database \(path): \(message)"
        case let .damaged(path, message):
            return "database \(path) is not an SQLite database or is damaged (\(message)); nothing was changed. "
                + "Restore it from a backup, or move it aside to start afresh"
        case let .locked(path, seconds, message):
            return "database \(path) is locked by another process (\(message), waited \(seconds) s); "
                + "find it with `fuser \(path)` and stop it, then start again"
        }
    }
}
