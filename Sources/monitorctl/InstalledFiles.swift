import Foundation

/// Where monitorctl finds its companions: the monitord executable and the shipped data
/// (demo/, models/), both in a checkout and after `make install`.
enum InstalledFiles {
    /// This executable's real path (argv[0] is a bare name when run from PATH).
    static var executable: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    }

    /// The folders the executable was started from: the invoked one (where a symlink or a PATH entry
    /// led) and the real one.
    static var executableFolders: [URL] {
        var folders = [executable.deletingLastPathComponent()]
        let invoked = CommandLine.arguments[0]
        if invoked.contains("/") {
            folders.insert(URL(fileURLWithPath: invoked).standardizedFileURL.deletingLastPathComponent(), at: 0)
        } else if let found = searchPath(invoked) {
            folders.insert(found.deletingLastPathComponent(), at: 0)
        }
        return folders
    }

    /// The first executable called `name` on PATH, as the shell found it.
    static func searchPath(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return path.split(separator: ":").map { URL(fileURLWithPath: String($0)).appendingPathComponent(name) }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// monitord beside this monitorctl, else the first on PATH.
    static func monitord() -> URL? {
        executableFolders.map { $0.appendingPathComponent("monitord") }.first { FileManager.default.isExecutableFile(atPath: $0.path) }
            ?? searchPath("monitord")
    }

    /// The first folder holding `relative`: the current folder (a checkout), then `../share/finsent`
    /// beside the executable (an install), each as invoked and as resolved.
    static func dataRoot(holding relative: String) -> URL? {
        let current = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let candidates = [current] + executableFolders.map { $0.appendingPathComponent("../share/finsent").standardizedFileURL }
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent(relative).path) }
    }
}
