import ArgumentParser
import Monitor

/// `monitorctl version`: this build and the native libraries under it.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print versions of FinSent Monitor and its native libraries.")

    func run() {
        print("FinSent Monitor \(ComponentVersions.monitor)")
        print("libcurl: \(ComponentVersions.curl)")
        print("OpenBLAS: \(ComponentVersions.openBLAS)")
        print("SQLite: \(ComponentVersions.sqlite)")
    }
}
