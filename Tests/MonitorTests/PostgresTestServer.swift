import Foundation
import Logging
import Store
import Testing

/// A real PostgreSQL server for the tests, from Debian's `postgresql` package: `initdb` into a
/// temporary folder as an unprivileged user (PostgreSQL refuses to run as root), started on a free
/// port on 127.0.0.1 with its socket in that folder, stopped when the test process exits. Each test
/// gets a database of its own. Where the binaries are absent the PostgreSQL cases are left out with a
/// message, except when FINSENT_REQUIRE_POSTGRES=1 (CI), where that is a failure.
final class PostgresTestServer: Sendable {
    let port: Int
    let folder: String
    let user = "finsent"

    /// Whether the server binaries are here (cheap: no server is started). Where they are absent the
    /// PostgreSQL cases are left out, except under FINSENT_REQUIRE_POSTGRES=1 (CI), where that is fatal.
    static let isInstalled: Bool = {
        if binaries() != nil { return true }
        if ProcessInfo.processInfo.environment["FINSENT_REQUIRE_POSTGRES"] == "1" {
            fatalError("PostgreSQL is required (FINSENT_REQUIRE_POSTGRES=1) but initdb/pg_ctl are not installed")
        }
        FileHandle.standardError.write(Data("note: PostgreSQL tests skipped: no initdb/pg_ctl (apt-get install postgresql)\n".utf8))
        return false
    }()

    /// The server of this test process, started on first use. Starting runs initdb and pg_ctl on a
    /// dispatch thread and callers wait by suspending: a static initialiser would block the cooperative
    /// pool's two threads for the seconds initdb takes, and stall every other test.
    static func shared() async throws -> PostgresTestServer {
        try await Starter.instance.server()
    }

    actor Starter {
        static let instance = Starter()
        private var started: Task<PostgresTestServer, any Error>?

        func server() async throws -> PostgresTestServer {
            if let started { return try await started.value }
            let task = Task {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<PostgresTestServer, any Error>) in
                    DispatchQueue.global().async { continuation.resume(with: Result { try PostgresTestServer() }) }
                }
            }
            started = task
            return try await task.value
        }
    }

    static func binaries() -> String? {
        let candidates = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql"))?
            .sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }.map { "/usr/lib/postgresql/\($0)/bin" } ?? []
        return (candidates + ["/usr/local/bin", "/usr/bin"]).first { FileManager.default.isExecutableFile(atPath: $0 + "/pg_ctl") }
    }

    private init() throws {
        guard let bin = Self.binaries() else { throw TestSupportError("no initdb/pg_ctl (apt-get install postgresql)") }
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("finsent-pg-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        port = try freePort()
        let runAs = getuid() == 0 ? Self.unprivilegedUser() : nil
        if let runAs { try Self.shell("chown \(runAs) '\(folder)'") }
        let data = folder + "/data"
        try Self.run(bin + "/initdb", ["-D", data, "-U", user, "-A", "trust", "-E", "UTF8", "--no-sync", "--no-locale"], as: runAs)
        try Self.run(bin + "/pg_ctl", ["-D", data, "-l", folder + "/server.log", "-w", "-t", "60", "-o",
                                       "-p \(port) -k \(folder) -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
                                       + "-c full_page_writes=off -c max_connections=300", "start"], as: runAs)
        Self.stopAtExit = { try? Self.run(bin + "/pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"], as: runAs) }
        atexit { PostgresTestServer.stopAtExit?() }
    }

    nonisolated(unsafe) static var stopAtExit: (() -> Void)?

    /// Debian's package creates `postgres`; elsewhere `nobody` will do.
    static func unprivilegedUser() -> String {
        getpwnam("postgres") != nil ? "postgres" : "nobody"
    }

    /// Runs a program to completion with posix_spawn and waitpid (Foundation's Process did not reap
    /// runuser here when called from a static initialiser), its output in a file.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], as user: String?) throws -> String {
        let argv = user.map { ["/usr/sbin/runuser", "-u", $0, "--", executable] + arguments } ?? [executable] + arguments
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("finsent-pg-run-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var pid: pid_t = 0
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArguments, environ)
        guard spawned == 0 else { throw TestSupportError("cannot run \(argv[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        let exited = (status & 0x7f) == 0, code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            throw TestSupportError("\((executable as NSString).lastPathComponent) failed (status \(status)): \(text)")
        }
        return text
    }

    static func shell(_ command: String) throws {
        try run("/bin/sh", ["-c", command], as: nil)
    }

    /// The URI of a database; sslmode=disable since the test server has no certificate.
    func uri(_ database: String) -> String {
        "postgresql://\(user)@127.0.0.1:\(port)/\(database)?sslmode=disable"
    }

    func location(_ database: String) -> PostgresLocation {
        PostgresLocation(host: "127.0.0.1", port: port, user: user, database: database, sslMode: .disable)
    }

    /// Runs SQL with psql; returns what it printed (unaligned, tuples only: `|` between columns).
    /// psql runs off the cooperative pool (two threads on two cores: a blocked one stalls every test).
    @discardableResult
    func psql(_ sql: String, database: String = "postgres") async throws -> String {
        guard let bin = Self.binaries() else { throw TestSupportError("no psql") }
        let arguments = ["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", "\(port)", "-U", user, "-d", database, "-c", sql]
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try Self.run(bin + "/psql", arguments, as: nil).trimmingCharacters(in: .whitespacesAndNewlines) })
            }
        }
    }

    /// One integer from a query.
    func count(_ sql: String, database: String) async -> Int {
        (try? await psql(sql, database: database)).flatMap { Int($0) } ?? -1
    }

    /// A new, empty database.
    func createDatabase() async throws -> String {
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        try await psql("CREATE DATABASE \(name)")
        return name
    }
}

/// The backends the behavioural tests run on: both, where PostgreSQL is installed.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres

    static var available: [Backend] {
        PostgresTestServer.isInstalled ? [.sqlite, .postgres] : [.sqlite]
    }

    var testDescription: String { rawValue }

    /// A fresh, migrated database of this backend: an SQLite file in a new folder, or a new PostgreSQL database.
    func location() async throws -> DatabaseLocation {
        switch self {
        case .sqlite: return .sqlite(path: try TemporaryFolder().path("monitor.sqlite"))
        case .postgres:
            let server = try await PostgresTestServer.shared()
            return .postgres(server.location(try await server.createDatabase()))
        }
    }

    func makeStore() async throws -> any MonitorStore {
        try await StoreOpener.open(try await location(), mode: .createAndMigrate, logger: quietLogger)
    }
}

/// A TCP port on 127.0.0.1 that nothing listens on now.
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestSupportError("socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw TestSupportError("cannot bind a free port") }
    return Int(UInt16(bigEndian: address.sin_port))
}
