@testable import Config
import Foundation
import Logging
import Store
import Synchronization
import Testing

/// A migrated SQLite store in a fresh folder.
func makeStore() throws -> SQLiteStore {
    let folder = try TemporaryFolder()
    return try SQLiteStore(path: folder.path("monitor.sqlite"), mode: .createAndMigrate)
}

/// A configuration from JSON text, with one webhook whose secret is in the given environment.
func makeConfig(_ json: String) throws -> MonitorConfig {
    try ConfigLoader.parse(Array(json.utf8), file: "/tmp/finsent-test/config.json",
                           environment: ["S": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
}

/// Waits (in real time, briefly) until an async condition holds.
func until(_ what: String, timeout: Duration = .seconds(30), every pause: Duration = .milliseconds(5),
           _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if (try? await condition()) == true { return }
        try await Task.sleep(for: pause)
    }
    throw TestSupportError("timed out waiting for \(what)")
}

/// A logger that drops everything (services log a lot in these tests).
let quietLogger: Logger = {
    var logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    logger.logLevel = .critical
    return logger
}()

/// Keeps every log line (message and metadata) so a test can check what was, and was not, logged.
final class CapturedLog: Sendable {
    private let lines = Mutex<[String]>([])

    var text: String { lines.withLock { $0.joined(separator: "\n") } }

    var logger: Logger {
        Logger(label: "test") { _ in Handler(log: self) }
    }

    func append(_ line: String) { lines.withLock { $0.append(line) } }

    struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            log.append("\(event.level) \(event.message) \(all.map { "\($0)=\($1)" }.sorted().joined(separator: " "))")
        }
    }
}
