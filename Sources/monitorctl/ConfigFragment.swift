import Config
import Foundation

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
}
