import CCurl
import COpenBLAS
import Config
import Store

/// Versions of the native libraries this build runs on, for `monitorctl version` and bug reports.
enum ComponentVersions {
    /// libcurl's version string with its TLS and compression libraries.
    static var curl: String { String(cString: curl_version()) }

    /// OpenBLAS's build configuration and the kernel set it picked for this CPU.
    static var openBLAS: String {
        "\(String(cString: COpenBLAS_config())) (core: \(String(cString: COpenBLAS_corename())))"
    }
}
