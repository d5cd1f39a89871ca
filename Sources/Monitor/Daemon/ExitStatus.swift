/// Exit statuses of monitord and monitorctl (sysexits.h where one fits).
/// systemd/monitord.service does not restart on the "fix it first" ones.
public enum ExitStatus {
    public static let success: Int32 = 0
    /// Anything unexpected.
    public static let failure: Int32 = 1
    /// The database was written by a newer version, or a shipped migration was edited.
    public static let dataError: Int32 = 65
    /// The database file cannot be created or opened.
    public static let cannotCreate: Int32 = 73
    /// The configuration is invalid.
    public static let configError: Int32 = ConfigError.exitCode
}
