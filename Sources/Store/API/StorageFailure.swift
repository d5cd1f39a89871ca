import GRDB
import PostgresNIO

/// Errors that mean the database cannot take writes at all: the disk is full, a file size limit is
/// reached, the storage reports an I/O error or has gone read-only, or another process has held
/// the SQLite file locked past the busy timeout. Nothing was written (the transaction rolled back);
/// the same write can succeed once there is room again, or the lock is released.
public enum StorageFailure {
    /// What the database said, when `error` is such a failure; nil for any other error.
    public static func describe(_ error: any Error) -> String? {
        if let error = error as? DatabaseError {
            switch error.resultCode {
            case .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_READONLY, .SQLITE_BUSY, .SQLITE_LOCKED:
                return "SQLite: \(error.message ?? "\(error.resultCode)") (\(error.extendedResultCode))"
            default: return nil
            }
        }
        let postgres = (error as? StoreQueryError)?.underlying ?? error
        if let error = postgres as? PSQLError, let state = error.serverInfo?[.sqlState], storageStates.contains(state) {
            return "PostgreSQL: \(PostgresStore.describe(error))"
        }
        return nil
    }

    /// Whether `error` is SQLite's lock held by another process past the busy timeout.
    public static func isLock(_ error: any Error) -> Bool {
        guard let error = error as? DatabaseError else { return false }
        return error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED
    }

    /// disk_full, insufficient_resources, io_error, read_only_sql_transaction (a server gone read-only).
    static let storageStates: Set<String> = ["53100", "53000", "58030", "25006"]
}
