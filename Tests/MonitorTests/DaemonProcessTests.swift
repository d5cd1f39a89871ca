import Foundation
import CurlHTTP
import GRDB
import LocalHTTPServer
import Store
import Synchronization
import Testing

/// monitord and monitorctl as a user runs them: real processes, real files, a real notify socket.
@Suite("monitord and monitorctl processes", .serialized)
struct DaemonProcessTests {
    /// A folder with a valid configuration, a notify socket, and log files.
    struct DaemonFixture {
        let folder: TemporaryFolder
        let config: String
        let socket: NotifySocket
        var database: String { folder.path("var/monitor.sqlite") }
        var log: String { folder.path("stderr") }

        init() throws {
            folder = try TemporaryFolder()
            config = try folder.write("config.json", configJSON())
            socket = try NotifySocket(path: folder.path("notify.sock"))
        }

        func start(_ extraEnvironment: [String: String] = [:]) throws -> Process {
            try startProduct("monitord", ["--config", config],
                             environment: ["NOTIFY_SOCKET": socket.path].merging(extraEnvironment) { $1 },
                             stdout: folder.path("stdout"), stderr: log)
        }

        func logText() -> String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
    }

    @Test("monitord notifies READY=1, creates the database, and exits 0 soon after SIGTERM")
    func readyAndStop() async throws {
        let fixture = try DaemonFixture()
        let daemon = try fixture.start()
        try await fixture.socket.waitFor("READY=1")
        #expect(fixture.socket.messages.contains { $0.contains("STATUS=serving") })

        let database = try DatabaseQueue(path: fixture.database, configuration: {
            var configuration = Configuration()
            configuration.readonly = true
            return configuration
        }())
        let tables = try await database.read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'table'") }
        for table in ["feeds", "items", "scores", "entities", "mentions", "alerts", "webhook_deliveries", "schema_migrations"] {
            #expect(tables.contains(table), "table \(table) exists")
        }

        let stopRequested = ContinuousClock.now
        kill(daemon.processIdentifier, SIGTERM)
        let status = try await waitForExit(daemon, timeout: .seconds(10))
        #expect(status == 0, "log: \(fixture.logText())")
        #expect(ContinuousClock.now - stopRequested < .seconds(5))
        #expect(fixture.socket.count("STOPPING=1") == 1)
    }

    @Test("SIGINT stops monitord gracefully too")
    func sigint() async throws {
        let fixture = try DaemonFixture()
        let daemon = try fixture.start()
        try await fixture.socket.waitFor("READY=1")
        kill(daemon.processIdentifier, SIGINT)
        #expect(try await waitForExit(daemon, timeout: .seconds(10)) == 0)
    }

    @Test("the watchdog is fed at half of WATCHDOG_USEC")
    func watchdog() async throws {
        let fixture = try DaemonFixture()
        let daemon = try fixture.start(["WATCHDOG_USEC": "200000"])
        defer { kill(daemon.processIdentifier, SIGKILL) }
        try await fixture.socket.waitFor("READY=1")
        // A rate over a measured span: on a loaded machine this task may resume late, after pings have piled up.
        let before = fixture.socket.count("WATCHDOG=1"), start = ContinuousClock.now
        try await Task.sleep(for: .seconds(1))
        let pings = fixture.socket.count("WATCHDOG=1") - before
        let perSecond = Double(pings) / (ContinuousClock.now - start).seconds
        #expect(perSecond >= 4 && perSecond <= 15, "about 10 pings a second at 100 ms, got \(pings) in \(ContinuousClock.now - start)")
        kill(daemon.processIdentifier, SIGTERM)
        #expect(try await waitForExit(daemon, timeout: .seconds(10)) == 0)
    }

    @Test("SIGHUP reloads a valid configuration and keeps the old one when the new is invalid")
    func reload() async throws {
        let fixture = try DaemonFixture()
        let daemon = try fixture.start()
        defer { kill(daemon.processIdentifier, SIGKILL) }
        try await fixture.socket.waitFor("READY=1")

        try fixture.folder.write("config.json", configJSON(feeds: #"[{"id": "a", "url": "https://example.com/a", "interval": 5}]"#))
        kill(daemon.processIdentifier, SIGHUP)
        try await waitForLog(fixture, containing: #"configuration not reloaded: feeds[0].interval: expected a duration like "5m", got 5"#)
        #expect(daemon.isRunning)

        try fixture.folder.write("config.json", configJSON(feeds: "[]"))
        kill(daemon.processIdentifier, SIGHUP)
        try await waitForLog(fixture, containing: "configuration reloaded")
        #expect(fixture.socket.count("RELOADING=1") == 2)
        #expect(daemon.isRunning)

        kill(daemon.processIdentifier, SIGTERM)
        #expect(try await waitForExit(daemon, timeout: .seconds(10)) == 0)
    }

    @Test("a second monitord on the same SQLite file exits 73 naming the first one's pid; the first carries on")
    func oneInstancePerSQLiteFile() async throws {
        let fixture = try DaemonFixture()
        let first = try fixture.start()
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
        try await eventually("the first monitord ready") { fixture.logText().contains("monitord is ready") }
        let second = try await runProduct("monitord", ["--config", fixture.config])
        #expect(second.status == 73)
        #expect(second.stderr.contains("another monitord uses this database (pid \(first.processIdentifier))"), "got: \(second.stderr)")
        #expect(first.isRunning)
        kill(first.processIdentifier, SIGTERM)
        #expect(try await waitForExit(first, timeout: .seconds(10)) == 0)
    }

    @Test("monitord refuses a database written by a newer version with exit 65")
    func newerDatabase() async throws {
        let fixture = try DaemonFixture()
        let future = Migration.shipped + [Migration(version: Migration.shipped.count + 1, name: "future", sql: "CREATE TABLE f (x);")]
        _ = try MonitorDatabase.openForWriting(path: fixture.database, migrator: try Migrator(migrations: future))
        let result = try await runProduct("monitord", ["--config", fixture.config])
        #expect(result.status == 65)
        #expect(result.stderr.contains("newer than this binary knows"))
    }

    @Test("monitord exits 78 with a clear message when the model folder cannot be loaded")
    func missingModel() async throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("config.json", configJSON().replacingOccurrences(
            of: repositoryRoot.appendingPathComponent("models/finsent-minilm").path, with: folder.path("no-such-model")))
        let result = try await runProduct("monitord", ["--config", file])
        #expect(result.status == 78)
        #expect(result.stderr.contains("cannot load the model"), "got: \(result.stderr)")
        #expect(result.stderr.contains("no-such-model"))
    }

    @Test("monitord and monitorctl config check exit 78 naming the key", arguments: badConfigCases)
    func badConfigExits(_ testCase: BadConfigCase) async throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("config.json", testCase.json)
        let check = try await runProduct("monitorctl", ["config", "check", "--config", file])
        #expect(check.status == 78)
        #expect(check.stderr.contains("\(file): \(testCase.message)"), "got: \(check.stderr)")
        let daemon = try await runProduct("monitord", ["--config", file])
        #expect(daemon.status == 78)
        #expect(daemon.stderr.contains(testCase.message), "got: \(daemon.stderr)")
    }

    @Test("monitorctl config check accepts the shipped config.json, found in the current folder")
    func shippedConfigAccepted() async throws {
        let result = try await runProduct("monitorctl", ["config", "check"], currentDirectory: repositoryRoot)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.contains("config.json: OK"))
    }

    @Test("monitorctl db reads the database while monitord runs")
    func readWhileRunning() async throws {
        let fixture = try DaemonFixture()
        let daemon = try fixture.start()
        defer { kill(daemon.processIdentifier, SIGKILL) }
        try await fixture.socket.waitFor("READY=1")
        let result = try await runProduct("monitorctl", ["db", "--config", fixture.config])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.contains("schema version: \(Migration.shipped.count)"))
        #expect(result.stdout.contains("0001_initial.sql"))
        // No items yet: no data is shown as such, not as a peak of 1/h or a latency of 0.
        let stats = try await runProduct("monitorctl", ["stats", "--config", fixture.config])
        #expect(stats.status == 0 && stats.stdout.contains("— (none in the last 24 h)") && stats.stdout.contains("p50 —"), "\(stats.stdout)")
        let json = try await runProduct("monitorctl", ["stats", "--config", fixture.config, "--format", "json"])
        #expect(json.stdout.contains("\"p50\":null") && json.stdout.contains("\"itemsPerHour\":[0,"), "\(json.stdout)")
        kill(daemon.processIdentifier, SIGTERM)
        #expect(try await waitForExit(daemon, timeout: .seconds(10)) == 0)
    }

    private func waitForLog(_ fixture: DaemonFixture, containing text: String) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if fixture.logText().contains(text) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestSupportError("monitord did not log \(text); log:\n\(fixture.logText())")
    }
}

/// Databases that cannot be used as they are: not SQLite, truncated, locked by another process.
@Suite("Damaged and locked databases", .serialized)
struct DamagedDatabaseTests {
    @Test("a file that is not SQLite, and a truncated database: monitord and monitorctl exit 65 naming the file, which is left as it was",
          arguments: ["not sqlite", "truncated"])
    func damaged(_ kind: String) async throws {
        let fixture = try DaemonProcessTests.DaemonFixture()
        try FileManager.default.createDirectory(atPath: (fixture.database as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        if kind == "not sqlite" {
            try Data(String(repeating: "these are not the pages you are looking for\n", count: 200).utf8).write(to: URL(fileURLWithPath: fixture.database))
        } else {
            _ = try MonitorDatabase.openForWriting(path: fixture.database)
            let whole = try Data(contentsOf: URL(fileURLWithPath: fixture.database))
            try whole.prefix(whole.count / 3).write(to: URL(fileURLWithPath: fixture.database))
            try? FileManager.default.removeItem(atPath: fixture.database + "-wal")
            try? FileManager.default.removeItem(atPath: fixture.database + "-shm")
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: fixture.database))
        let daemon = try await runProduct("monitord", ["--config", fixture.config])
        #expect(daemon.status == 65, "\(daemon.stderr)")
        #expect(daemon.stderr.contains("database \(fixture.database) is not an SQLite database or is damaged"), "\(daemon.stderr)")
        let ctl = try await runProduct("monitorctl", ["feeds", "--config", fixture.config])
        #expect(ctl.status == 65, "\(ctl.stderr)")
        #expect(ctl.stderr.contains("is not an SQLite database or is damaged"), "\(ctl.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: fixture.database)) == before, "the file was changed")
    }

    @Test("another process holds the write lock past the busy timeout: at start monitord exits 75 naming the file; while it runs, the work waits and nothing is lost")
    func locked() async throws {
        let rig = try WireRig(prefix: "k", perPoll: 5, window: 200) { i in "Contoso update number \(i) for the desk" }
        defer { rig.stop() }
        let daemon = rig.daemon, port = rig.port
        try await daemon.ready()
        try await eventually("items scored", timeout: .seconds(60)) { daemon.count("SELECT count(*) FROM scores") >= 10 }

        // Another process (this test) holds the write lock for 12 s: longer than the 5 s busy timeout.
        let other = try DatabaseQueue(path: daemon.database)
        let holder = Task.detached {
            try other.write { db in
                try db.execute(sql: "UPDATE feeds SET etag = etag")
                Thread.sleep(forTimeInterval: 12)
            }
        }
        try await eventually("the lock noticed", timeout: .seconds(30)) { daemon.log.contains("cannot be written: SQLite: database is locked") }
        let health = try await CurlMultiClient(maxConcurrent: 1, maxPerHost: 1)
            .perform(HTTPRequest(url: URL(string: "http://127.0.0.1:\(port)/healthz")!, timeout: .seconds(10)))
        #expect(health.status == 503)
        try await holder.value
        try await eventually("writes again", timeout: .seconds(40)) { daemon.log.contains("takes writes again") }
        try await eventually("caught up", timeout: .seconds(60)) {
            let items = daemon.count("SELECT count(*) FROM items")
            return items >= 40 && daemon.count("SELECT count(*) FROM scores") == items
        }
        #expect(daemon.process.isRunning)

        // At start: the lock held while monitord starts.
        try await daemon.stop()
        let atStart = Task.detached {
            try other.write { db in
                try db.execute(sql: "UPDATE feeds SET etag = etag")
                Thread.sleep(forTimeInterval: 10)
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        let started = try await runProduct("monitord", ["--config", daemon.folder.path("config.json")], environment: ["DESK_SECRET": WebhookReceiver.secretText])
        try await atStart.value
        #expect(started.status == 75, "\(started.stderr)")
        #expect(started.stderr.contains("database \(daemon.database) is locked by another process"), "\(started.stderr)")
        try rig.expectNothingLost()
    }
}
