import ArgumentParser
import Config
import Foundation
import Monitor

/// A configuration fragment that `watchlist import` and `feeds import` write and monitord reads
/// through `watchlistFile` / `feedsFile`: `{"KEY": [ one entry per line ]}`, replaced atomically.
enum ConfigFragment {
    static func write(key: String, entries: [[String: Any]], to path: String) throws {
        var text = "{\"\(key)\": [\n"
        for (index, entry) in entries.enumerated() {
            text += "  " + (try JSONText.encode(entry)) + (index + 1 < entries.count ? ",\n" : "\n")
        }
        text += "]}\n"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Where a fragment goes by default: beside the configuration file.
    static func defaultPath(_ name: String, config: String?) -> String {
        let file = (try? ConfigLoader.locate(config)) ?? config ?? "config.json"
        return URL(fileURLWithPath: file).standardizedFileURL.deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// The path to write in the configuration: relative to its folder when the fragment is inside it.
    static func reference(_ path: String, config: String?) -> String {
        let folder = URL(fileURLWithPath: defaultPath("x", config: config)).deletingLastPathComponent().path + "/"
        let full = URL(fileURLWithPath: path).standardizedFileURL.path
        return full.hasPrefix(folder) ? String(full.dropFirst(folder.count)) : full
    }

    /// The lines printed after a successful import.
    static func nextSteps(key: String, path: String, config: String?) -> String {
        """
        next:
          1. in the configuration, set  "\(key)": "\(reference(path, config: config))"
          2. monitorctl config check\(config.map { " --config \($0)" } ?? "")
          3. systemctl reload monitord   (or kill -HUP the daemon: it reads the file again)
        """
    }

    /// The text of an import's input file; a clear message and exit 66 (unreadable) or 65 (not UTF-8) otherwise.
    static func input(_ file: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: file) else {
            printError("monitorctl: cannot read \(file)")
            throw ExitCode(ExitStatus.noInput)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            printError("monitorctl: \(file): not UTF-8 text")
            throw ExitCode(ExitStatus.dataError)
        }
        return text
    }

    /// Writes an import's entries to `output` (default: `defaultName` beside the configuration) and says what to do next.
    static func save(_ entries: [[String: Any]], key: String, fileKey: String, what: String, defaultName: String,
                     output: String?, config: String?) throws {
        let path = output ?? defaultPath(defaultName, config: config)
        try write(key: key, entries: entries, to: path)
        print("wrote \(entries.count) \(what) to \(path)")
        print(nextSteps(key: fileKey, path: path, config: config))
    }
}
