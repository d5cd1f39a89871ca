import CCurl
import COpenBLAS
import GRDB

/// Versions of the native libraries this build runs on, for `monitorctl version`
/// and bug reports.
public enum ComponentVersions {
    /// FinSent Monitor's own version.
    public static let monitor = "0.1.0"

    /// libcurl's version string with its TLS and compression libraries.
    public static var curl: String { String(cString: curl_version()) }

    /// OpenBLAS's build configuration and the kernel set it picked for this CPU.
    public static var openBLAS: String {
        "\(String(cString: COpenBLAS_config())) (core: \(String(cString: COpenBLAS_corename())))"
    }

    /// The SQLite library GRDB is linked against.
    public static var sqlite: String {
        (try? DatabaseQueue().read { try String.fetchOne($0, sql: "SELECT sqlite_version()") }) ?? "unknown"
    }
}
