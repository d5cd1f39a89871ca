import Foundation
import Logging
import Synchronization

/// Logs one line per message on standard error, in the form journald understands.
///
/// Under systemd (`JOURNAL_STREAM` set) each line starts with a syslog priority
/// prefix such as `<4>`, which journald turns into the entry's priority, and
/// carries no timestamp (the journal adds its own). On a terminal or in a file
/// each line starts with an ISO 8601 UTC timestamp and the level name.
/// Metadata follows the message as `key=value`, values quoted when needed.
public struct StderrLogHandler: LogHandler {
    /// The level below which messages are dropped, shared by every handler so a
    /// configuration reload (SIGHUP) changes it everywhere at once.
    public static let sharedLevel = Mutex<Logger.Level>(.info)

    private let label: String
    private let journal: Bool
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    public var logLevel: Logger.Level {
        get { Self.sharedLevel.withLock { $0 } }
        set { Self.sharedLevel.withLock { $0 = newValue } }
    }

    /// Creates a handler; `journal` defaults to whether stderr is connected to the journal.
    public init(label: String, journal: Bool = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] != nil) {
        self.label = label
        self.journal = journal
    }

    /// Installs this handler for the whole process, once.
    public static func bootstrap(level: Logger.Level) {
        sharedLevel.withLock { $0 = level }
        LoggingSystem.bootstrap { StderrLogHandler(label: $0) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        var line = journal
            ? "<\(Self.syslogPriority(event.level))>\(label): "
            : "\(Self.timestamp()) \(event.level.rawValue.uppercased()) \(label): "
        // One message is one journal entry: embedded newlines would split it.
        line += "\(event.message)".replacingOccurrences(of: "\n", with: " ⏎ ")
        for key in merged.keys.sorted() {
            line += " \(key)=\(Self.quoted("\(merged[key]!)"))"
        }
        line += "\n"
        // A single write(2) per line keeps lines from concurrent tasks whole.
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            _ = write(STDERR_FILENO, buffer.baseAddress, buffer.count)
        }
    }

    static func syslogPriority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    static func quoted(_ value: String) -> String {
        guard value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline }) else {
            return value
        }
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
        return "\"\(escaped)\""
    }

    private static func timestamp() -> String {
        Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }
}
