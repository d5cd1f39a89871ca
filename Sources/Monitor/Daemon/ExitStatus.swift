import Config
import Store

/// Exit statuses of monitord and monitorctl (sysexits.h where one fits).
/// systemd/monitord.service does not restart on the "fix it first" ones.
public enum ExitStatus {
    public static let success: Int32 = 0
    /// Anything unexpected.
    public static let failure: Int32 = 1
    /// A command was used wrongly (a bad option value).
    public static let usage: Int32 = 64
    /// The database was written by a newer version, or a shipped migration was edited; or input that is not a feed.
    public static let dataError: Int32 = 65
    /// An input file does not exist or cannot be read.
    public static let noInput: Int32 = 66
    /// A remote service (a feed's server) could not be used.
    public static let unavailable: Int32 = 69
    /// The database file cannot be created or opened.
    public static let cannotCreate: Int32 = 73
    /// A temporary failure, worth trying again: the database is locked by another process.
    public static let temporaryFailure: Int32 = 75
    /// The configuration is invalid.
    public static let configError: Int32 = ConfigError.exitCode

    /// The status for a database that cannot be used: 73 cannot open, 75 locked (try again), 65 for what must
    /// be fixed first (damaged, newer, edited migrations).
    public static func of(_ error: StoreError) -> Int32 {
        switch error {
        case .cannotOpen: cannotCreate
        case .locked: temporaryFailure
        default: dataError
        }
    }
}
