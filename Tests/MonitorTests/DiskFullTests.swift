import CurlHTTP
import Foundation
import GRDB
import LocalHTTPServer
import Synchronization
import Testing

/// A full disk, simulated with the file size limit (RLIMIT_FSIZE) of the running monitord, lowered
/// and raised again with prlimit(1): writes fail with EFBIG, as they would with ENOSPC.
@Suite("Disk full", .serialized)
struct DiskFullTests {
    static let client = CurlMultiClient(maxConcurrent: 2, maxPerHost: 2)

    func health(_ port: Int) async throws -> (status: Int, json: [String: Any]) {
        let response = try await Self.client.perform(HTTPRequest(url: URL(string: "http://127.0.0.1:\(port)/healthz")!, timeout: .seconds(10)))
        return (response.status, (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:])
    }

    func prlimit(_ pid: Int32, _ limit: String) async throws {
        let result = try await runCommand("/usr/bin/prlimit", ["--pid", "\(pid)", "--fsize=\(limit)"])
        try #require(result.status == 0, "prlimit --pid \(pid) --fsize=\(limit): \(result.stderr)")
    }

    @Test("the file size limit reached: one clear error, committed data kept, polling stops, /healthz unhealthy; room again: it resumes by itself and nothing is lost",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit")))
    func fileSizeLimit() async throws {
        // A wire that publishes 10 new headlines per request and shows the last 100.
        let rig = try WireRig(prefix: "d", perPoll: 10, window: 100) { i in
            "Contoso shares move as analysts revise outlook, note \(i) \(String(repeating: "x", count: 400))"
        }
        defer { rig.stop() }
        let daemon = rig.daemon, port = rig.port
        try await daemon.ready()
        try await eventually("items scored", timeout: .seconds(60)) { daemon.count("SELECT count(*) FROM scores") >= 40 }

        // The limit far below the database's size: every write that extends a file fails.
        try await prlimit(daemon.process.processIdentifier, "65536:unlimited")
        try await eventually("the failure noticed", timeout: .seconds(30)) { daemon.log.contains("cannot be written: SQLite") }
        #expect(daemon.process.isRunning)
        var (status, json) = try await health(port)
        #expect(status == 503 && json["status"] as? String == "unhealthy" && json["databaseWritable"] as? Bool == false, "\(json)")
        #expect((json["reasons"] as? [String])?.contains { $0.hasPrefix("the database cannot be written") } == true, "\(json)")
        // Polling has stopped but for a probe every 10 s (it polled every second before).
        let before = rig.requests
        try await Task.sleep(for: .seconds(12))
        #expect(rig.requests - before <= 3, "polls while the disk is full")
        #expect(daemon.log.components(separatedBy: "cannot be written: SQLite").count - 1 == 1, "one error, not one per poll")
        let stored = daemon.count("SELECT count(*) FROM items")
        #expect(try daemon.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok")

        // Room again: it resumes by itself.
        try await prlimit(daemon.process.processIdentifier, "unlimited:unlimited")
        try await eventually("writes again", timeout: .seconds(40)) { daemon.log.contains("takes writes again") }
        try await until("healthy again", timeout: .seconds(30), every: .milliseconds(200)) { try await health(port).status == 200 }
        try await eventually("new items stored and scored", timeout: .seconds(60)) {
            let items = daemon.count("SELECT count(*) FROM items")
            return items > stored && daemon.count("SELECT count(*) FROM scores") == items
        }
        (status, json) = try await health(port)
        #expect(json["databaseWritable"] as? Bool == true)
        try await daemon.stop()
        try rig.expectNothingLost()
        #expect(try daemon.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok")
    }
}
