import Foundation
import GRDB

/// Opens the monitor's SQLite database.
///
/// The daemon opens it read-write: WAL mode (readers never block the writer),
/// foreign keys on, a busy timeout, and migrations applied. `monitorctl` opens
/// it read-only while the daemon writes, after checking the schema matches.
public enum MonitorDatabase {
    /// How long a connection waits for a lock held by another connection.
    public static let busyTimeout: TimeInterval = 5

    /// Opens (creating if needed) the database at `path` for writing and migrates it.
    public static func openForWriting(path: String, migrator: Migrator? = nil) throws -> DatabasePool {
        let migrator = try migrator ?? Migrator()
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw StoreError.cannotOpen(path: path, message: "cannot create folder \(folder): \(error.localizedDescription)")
        }
        do {
            let pool = try DatabasePool(path: path, configuration: configuration(readOnly: false))
            try migrator.migrate(pool, path: path)
            return pool
        } catch let error as DatabaseError {
            throw classified(error, path: path)
        }
    }

    /// Opens an existing database (read-only, or for writing without creating anything) and checks
    /// its schema is the one this binary expects.
    public static func openExisting(path: String, readOnly: Bool, migrator: Migrator? = nil) throws -> DatabasePool {
        let migrator = try migrator ?? Migrator()
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError.cannotOpen(path: path, message: "no such file (has monitord run with this configuration?)")
        }
        do {
            let pool = try DatabasePool(path: path, configuration: configuration(readOnly: readOnly))
            try migrator.verify(pool, path: path)
            return pool
        } catch let error as DatabaseError {
            throw classified(error, path: path)
        }
    }

    /// An SQLite error at opening, as what the operator must do about it: a damaged file, a lock held
    /// by another process, or a file that cannot be opened.
    static func classified(_ error: DatabaseError, path: String) -> StoreError {
        let message = error.message ?? error.description
        switch error.resultCode {
        case .SQLITE_NOTADB, .SQLITE_CORRUPT: return .damaged(path: path, message: message)
        case .SQLITE_BUSY, .SQLITE_LOCKED: return .locked(path: path, seconds: Int(busyTimeout), message: message)
        default: return .cannotOpen(path: path, message: message)
        }
    }

    static func configuration(readOnly: Bool) -> Configuration {
        var configuration = Configuration()
        configuration.readonly = readOnly
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(busyTimeout)
        configuration.label = readOnly ? "monitor.read" : "monitor"
        return configuration
    }
}
