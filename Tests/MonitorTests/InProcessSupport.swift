@testable import Config
import Foundation
import Logging
import Store
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
func until(_ what: String, timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if (try? await condition()) == true { return }
        try await Task.sleep(for: .milliseconds(5))
    }
    throw TestSupportError("timed out waiting for \(what)")
}

/// A logger that drops everything (services log a lot in these tests).
let quietLogger: Logger = {
    var logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    logger.logLevel = .critical
    return logger
}()
