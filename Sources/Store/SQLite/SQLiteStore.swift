import Dispatch
import Foundation
import GRDB

/// The SQLite backend: one database file in WAL mode (readers never block the writer),
/// foreign keys on, a busy timeout. Reads and writes run on GRDB's connection threads through
/// its async API, so no caller blocks the cooperative pool.
public final class SQLiteStore: Sendable {
    public typealias OpenMode = StoreOpenMode

    /// The database file.
    public let path: String
    let pool: DatabasePool

    /// Opens the database at `path`. Errors name the path and say what to do.
    public init(path: String, mode: OpenMode, migrator: Migrator? = nil) throws {
        self.path = path
        switch mode {
        case .createAndMigrate: pool = try MonitorDatabase.openForWriting(path: path, migrator: migrator)
        case .existing: pool = try MonitorDatabase.openExisting(path: path, readOnly: false, migrator: migrator)
        case .readOnly: pool = try MonitorDatabase.openExisting(path: path, readOnly: true, migrator: migrator)
        }
    }

    /// Opens the database off the cooperative pool: opening waits on file locks and migrating can
    /// take a while on a large file, so async callers use this rather than `init`.
    public static func open(path: String, mode: OpenMode, migrator: Migrator? = nil) async throws -> SQLiteStore {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(with: Result { try SQLiteStore(path: path, mode: mode, migrator: migrator) })
            }
        }
    }

    /// Bytes on disk: the file and its WAL.
    var bytesOnDisk: Int {
        ["", "-wal"].compactMap { try? FileManager.default.attributesOfItem(atPath: path + $0)[.size] as? Int }.reduce(0, +)
    }

    /// The SQLite library linked in (for `monitorctl version`).
    public static var libraryVersion: String {
        (try? DatabaseQueue().read { try String.fetchOne($0, sql: "SELECT sqlite_version()") }) ?? "unknown"
    }
}
