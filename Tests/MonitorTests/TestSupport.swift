import Foundation
import Synchronization
import Testing

/// A temporary folder for one test.
struct TemporaryFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("finsent-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes a file and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let path = path(name)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

/// The repository's top folder (for `config.json` and `migrations/`).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../..").standardizedFileURL

/// A built executable of this package (monitord, monitorctl), beside the test bundle.
func productPath(_ name: String) throws -> String {
    var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    // Swift Testing may run from inside the .xctest bundle on some layouts.
    for _ in 0..<3 {
        let candidate = folder.appendingPathComponent(name).path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        folder = folder.deletingLastPathComponent()
    }
    throw TestSupportError("cannot find the \(name) executable near \(CommandLine.arguments[0])")
}

struct TestSupportError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A finished process: its status and what it wrote.
struct ProcessResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs a package executable to completion (bounded by `timeout`).
func runProduct(_ name: String, _ arguments: [String], environment: [String: String] = [:],
                currentDirectory: URL? = nil, stdin: Data? = nil, timeout: Duration = .seconds(30)) async throws -> ProcessResult {
    let folder = try TemporaryFolder()
    var input: String?
    if let stdin {
        input = folder.path("stdin")
        try stdin.write(to: URL(fileURLWithPath: input!))
    }
    let process = try startProduct(name, arguments, environment: environment, currentDirectory: currentDirectory,
                                   stdin: input, stdout: folder.path("stdout"), stderr: folder.path("stderr"))
    let status = try await waitForExit(process, timeout: timeout)
    return ProcessResult(status: status,
                         stdout: (try? String(contentsOfFile: folder.path("stdout"), encoding: .utf8)) ?? "",
                         stderr: (try? String(contentsOfFile: folder.path("stderr"), encoding: .utf8)) ?? "")
}

/// Starts a package executable with its output going to files.
func startProduct(_ name: String, _ arguments: [String], environment: [String: String] = [:],
                  currentDirectory: URL? = nil, stdin: String? = nil, stdout: String, stderr: String) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try productPath(name))
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    for key in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM"] { env[key] = nil }
    env.merge(environment) { $1 }
    process.environment = env
    if let currentDirectory { process.currentDirectoryURL = currentDirectory }
    FileManager.default.createFile(atPath: stdout, contents: nil)
    FileManager.default.createFile(atPath: stderr, contents: nil)
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdout))
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderr))
    process.standardInput = try stdin.map { try FileHandle(forReadingFrom: URL(fileURLWithPath: $0)) } ?? FileHandle.nullDevice
    try process.run()
    Launched.add(process)
    return process
}

/// Every package executable a test started: whatever is still running when the test process exits is
/// killed, so a test that failed half-way leaves no monitord behind to load the machine for what runs next.
enum Launched {
    private static let processes = Mutex<[Process]>([])
    private static let reaper: Void = { atexit { Launched.killAll() } }()

    static func add(_ process: Process) {
        _ = reaper
        processes.withLock { list in
            list.removeAll { !$0.isRunning }
            list.append(process)
        }
    }

    static func killAll() {
        for process in processes.withLock({ $0 }) where process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// Waits for a process to exit; kills it and fails after `timeout`, naming what its threads were doing.
///
/// The exit is seen by `waitid(…, WNOWAIT)` as well as by `Process.isRunning`: Foundation learns of an
/// exit when a socket it gave the child closes, and a child spawned at the same moment by another test
/// can inherit that socket and keep it open (swift-corelibs-foundation #4795), so `isRunning` alone
/// can stay true long after the process is gone. `WNOWAIT` leaves the zombie for Foundation to reap.
func waitForExit(_ process: Process, timeout: Duration) async throws -> Int32 {
    let deadline = ContinuousClock.now + timeout
    let pid = process.processIdentifier
    while process.isRunning {
        if let status = exitStatus(of: pid) { return status }
        if ContinuousClock.now > deadline {
            let threads = threadStates(of: pid)
            process.interrupt()
            kill(pid, SIGKILL)
            throw TestSupportError("process \(process.executableURL?.lastPathComponent ?? "?") (pid \(pid)) did not exit within \(timeout); its threads: \(threads)")
        }
        try await Task.sleep(for: .milliseconds(20))
    }
    return process.terminationStatus
}

/// The exit status of a child that has ended (the signal number when a signal ended it, as Foundation's
/// `terminationStatus` gives it), without reaping it; nil while it runs or once it has been reaped.
private func exitStatus(of pid: pid_t) -> Int32? {
    var info = siginfo_t()
    guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0, info._sifields._sigchld.si_pid == pid else { return nil }
    return info._sifields._sigchld.si_status
}

/// Each thread's scheduler state and the kernel function it waits in, e.g. "S futex_wait_queue ×3, R 0 ×1".
private func threadStates(of pid: pid_t) -> String {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
    var counts: [String: Int] = [:]
    for task in tasks {
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/stat", encoding: .utf8)) ?? ""
        let state = stat.split(separator: ")").last?.split(separator: " ").first.map(String.init) ?? "?"
        let wchan = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/wchan", encoding: .utf8)) ?? "?"
        counts["\(state) \(wchan)", default: 0] += 1
    }
    return counts.isEmpty ? "none left (exited and reaped)" : counts.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
}

/// Polls `condition` until it holds, or fails after `timeout`.
func eventually(_ what: String, timeout: Duration = .seconds(30), _ condition: () throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if (try? condition()) == true { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw TestSupportError("timed out waiting for \(what)")
}

/// Runs any executable to completion (bounded by `timeout`), its output captured in files.
func runCommand(_ executable: String, _ arguments: [String], currentDirectory: URL? = nil,
                environment: [String: String] = [:], timeout: Duration = .seconds(60)) async throws -> ProcessResult {
    let folder = try TemporaryFolder()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    if let currentDirectory { process.currentDirectoryURL = currentDirectory }
    FileManager.default.createFile(atPath: folder.path("stdout"), contents: nil)
    FileManager.default.createFile(atPath: folder.path("stderr"), contents: nil)
    process.standardOutput = try FileHandle(forWritingTo: folder.url.appendingPathComponent("stdout"))
    process.standardError = try FileHandle(forWritingTo: folder.url.appendingPathComponent("stderr"))
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let status = try await waitForExit(process, timeout: timeout)
    return ProcessResult(status: status,
                         stdout: (try? String(contentsOfFile: folder.path("stdout"), encoding: .utf8)) ?? "",
                         stderr: (try? String(contentsOfFile: folder.path("stderr"), encoding: .utf8)) ?? "")
}
