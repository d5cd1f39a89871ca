import ArgumentParser
import Config
import Store
import Transformer

/// `monitorctl version`: this build and the native libraries under it.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print versions of FinSent Monitor and its native libraries.")

    func run() {
        print("FinSent Monitor \(FinSentVersion.string)")
        print("libcurl: \(ComponentVersions.curl)")
        print("OpenBLAS: \(ComponentVersions.openBLAS)")
        print("SQLite: \(SQLiteStore.libraryVersion)")
        print("engine: precision auto is \(Precision.auto.resolved.rawValue) on this CPU"
            + (Precision.cpuHasVNNI ? " (AVX-512 VNNI)" : " (no AVX-512 VNNI: int8 would run portable C)"))
    }
}
