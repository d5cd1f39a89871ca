import Foundation

/// The folder the demo writes to. It is cleared before each run, so it must be one the demo made:
/// a new or empty folder, or one holding the demo's marker file. Anything else is refused,
/// so `--folder .` or `--folder ~` can never lose a user's files.
struct DemoFolder {
    static let marker = ".finsent-demo"
    let url: URL

    enum Refusal: Error, CustomStringConvertible {
        case notOurs(String)
        case notAFolder(String)
        var description: String {
            switch self {
            case let .notOurs(path):
                "\(path) is not empty and was not made by the demo (no \(DemoFolder.marker) file in it); "
                    + "choose a new or empty folder with --folder"
            case let .notAFolder(path): "\(path) exists and is not a folder"
            }
        }
    }

    /// Empties the folder (only if the demo made it) and marks it as the demo's.
    func prepare() throws {
        let files = FileManager.default
        var isFolder: ObjCBool = false
        if files.fileExists(atPath: url.path, isDirectory: &isFolder) {
            guard isFolder.boolValue else { throw Refusal.notAFolder(url.path) }
            let entries = try files.contentsOfDirectory(atPath: url.path)
            if !entries.isEmpty {
                guard entries.contains(Self.marker) else { throw Refusal.notOurs(url.path) }
                for entry in entries where entry != Self.marker { try files.removeItem(at: url.appendingPathComponent(entry)) }
            }
        }
        try files.createDirectory(at: url, withIntermediateDirectories: true)
        try Data("Made by `monitorctl demo`, which empties this folder on its next run.\n".utf8)
            .write(to: url.appendingPathComponent(Self.marker))
    }
}
