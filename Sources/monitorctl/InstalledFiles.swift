import Foundation

/// Where monitorctl finds its companions: the monitord executable and the shipped data
/// (demo/, models/), both in a checkout and after `make install`.
enum InstalledFiles {
    /// This executable's real path (argv[0] is a bare name when run from PATH).
    static var executable: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    }

    /// The folders the executable was started from: the invoked one (a symlink's folder) and the real one.
    static var executableFolders: [URL] {
        var folders = [executable.deletingLastPathComponent()]
        let invoked = CommandLine.arguments[0]
        if invoked.contains("/") {
            folders.insert(URL(fileURLWithPath: invoked).standardizedFileURL.deletingLastPathComponent(), at: 0)
        }
        return folders
    }

    /// monitord beside this monitorctl, else the first on PATH.
    static func monitord() -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = executableFolders + path.split(separator: ":").map { URL(fileURLWithPath: String($0)) }
        return candidates.map { $0.appendingPathComponent("monitord") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// The first folder holding `relative`: the current folder (a checkout), then `../share/finsent`
    /// beside the executable (an install), each as invoked and as resolved.
    static func dataRoot(holding relative: String) -> URL? {
        let current = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let candidates = [current] + executableFolders.map { $0.appendingPathComponent("../share/finsent").standardizedFileURL }
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent(relative).path) }
    }
}
