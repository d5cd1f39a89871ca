import Foundation
import Store
import Testing

/// monitorctl against a production-style configuration: secrets only in the daemon's environment,
/// and a database that may not be where a wrong --config says.
@Suite("monitorctl: no secrets needed, no database created")
struct MonitorctlDatabaseAccessTests {
    /// A folder with a migrated database and a configuration whose secrets are not in this environment.
    func production() throws -> TemporaryFolder {
        let folder = try TemporaryFolder()
        _ = try SQLiteStore(path: folder.path("monitor.sqlite"), mode: .createAndMigrate)
        try folder.write("config.json", """
            {"database": "monitor.sqlite", "model": "\(WebhookDeliveryTests.model)",
             "feeds": [{"id": "wire", "url": "https://news.example.com/rss", "interval": "5m", "headers": {"Authorization": "Bearer ${FINSENT_TEST_UNSET_TOKEN}"}}],
             "watchlist": [{"symbol": "CTSO", "names": ["Contoso"]}],
             "rules": [{"id": "neg", "metric": "negativeShare", "window": "1h", "above": 0.5}],
             "webhooks": [{"id": "desk", "url": "https://hooks.example.com/x", "secretEnv": "FINSENT_TEST_UNSET_SECRET"}]}
            """)
        try folder.write("wrong.json", #"{"database": "elsewhere/monitor.sqlite", "model": "m"}"#)
        return folder
    }

    @Test("read-only commands work with the webhook secret and feed token unset", arguments: [
        ["query"], ["query", "--format", "json"], ["stats"], ["alerts"], ["alerts", "list", "--format", "json"], ["feeds"],
        ["deliveries"], ["db"], ["config", "check", "--no-secrets"],
    ])
    func readOnlyWithoutSecrets(_ command: [String]) async throws {
        let folder = try production()
        let result = try await runProduct("monitorctl", command + ["--config", folder.path("config.json")])
        #expect(result.status == 0, "\(command): \(result.stderr)")
        #expect(!result.stderr.contains("is not set"))
    }

    @Test("config check without --no-secrets still insists on them, naming the variable")
    func checkInsists() async throws {
        let folder = try production()
        let result = try await runProduct("monitorctl", ["config", "check", "--config", folder.path("config.json")])
        #expect(result.status == 78)
        #expect(result.stderr.contains("FINSENT_TEST_UNSET_SECRET"), "\(result.stderr)")
    }

    @Test("a wrong --config never creates a database: exit 73 naming the path looked for", arguments: [
        ["query"], ["alerts", "silence", "CTSO", "--for", "1h"], ["alerts", "unsilence", "1"], ["deliveries", "retry", "1"], ["db"], ["feeds"],
        ["rescore"],
    ])
    func wrongConfigCreatesNothing(_ command: [String]) async throws {
        let folder = try production()
        let result = try await runProduct("monitorctl", command + ["--config", folder.path("wrong.json")])
        #expect(result.status == 73, "\(command): \(result.stderr)")
        #expect(result.stderr.contains(folder.path("elsewhere/monitor.sqlite")), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.path("elsewhere")), "nothing created")
    }

    @Test("writing commands work on an existing database: silence, list it, lift it")
    func silenceRoundTrip() async throws {
        let folder = try production()
        let config = folder.path("config.json")
        let added = try await runProduct("monitorctl", ["alerts", "silence", "CTSO", "--for", "2h", "--comment", "earnings", "--config", config])
        #expect(added.status == 0 && added.stdout.hasPrefix("silence 1: CTSO until"), "\(added.stdout)\(added.stderr)")
        let listed = try await runProduct("monitorctl", ["alerts", "--config", config])
        #expect(listed.stdout.contains("earnings"))
        let lifted = try await runProduct("monitorctl", ["alerts", "unsilence", "1", "--config", config])
        #expect(lifted.status == 0)
        let again = try await runProduct("monitorctl", ["alerts", "unsilence", "1", "--config", config])
        #expect(again.status == 64 && again.stderr.contains("no silence 1"))
    }
}
