import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Config
import Monitor
import Synchronization

/// `monitorctl demo`: the whole story offline. Replays demo/timeline.jsonl (six hours of
/// finance headlines, a negative burst about Contoso at the end) into local feed files over
/// about a minute, runs monitord on them, receives and verifies its webhooks, and prints the
/// risk report.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the offline demo: replayed feeds, monitord, a webhook receiver, the risk report.",
        discussion: """
            Needs no network. Files go to var/demo/ under the data folder when it is writable (a checkout), else to             $XDG_STATE_HOME/finsent/demo (~/.local/state/finsent/demo), or to --folder. The folder is emptied first,             so it must be new, empty, or one the demo made before. Stop with Ctrl-C.
            """)

    @Option(help: ArgumentHelp("The folder with demo/ and models/.", discussion: "Default: the current folder if it has demo/, else ../share/finsent beside monitorctl (make install)."))
    var root: String?
    @Option(help: "Where the demo writes its feeds, database and configuration (new, empty, or made by the demo).") var folder: String?
    @Option(help: "How long the six-hour story takes to replay.") var duration = "60s"
    @Option(help: "Keep running this long after the replay (default: until Ctrl-C).") var hold: String?
    @Option(help: "Port of monitord's HTTP API.") var apiPort = 8788
    @Option(help: "Port of the demo webhook receiver.") var receiverPort = 8789

    static let secret = "whsec_ZGVtby1zZWNyZXQta2V5LTEyMzQ1Njc4OTA="

    struct Entry: Decodable { let minute: Int; let feed: String; let title: String }

    func run() async throws {
        guard let rootURL = root.map({ URL(fileURLWithPath: $0).standardizedFileURL }) ?? InstalledFiles.dataRoot(holding: "demo/timeline.jsonl") else {
            printError("monitorctl: cannot find the demo's files (demo/timeline.jsonl) in the current folder or in ../share/finsent beside "
                + "\(InstalledFiles.executable.path); run it from a checkout, install with `make install`, or pass --root")
            throw ExitCode(ExitStatus.noInput)
        }
        guard let monitord = InstalledFiles.monitord() else {
            printError("monitorctl: cannot find the monitord executable beside \(InstalledFiles.executable.path) or on PATH")
            throw ExitCode(ExitStatus.noInput)
        }
        let work = folder.map { URL(fileURLWithPath: $0).standardizedFileURL } ?? Self.defaultFolder(root: rootURL)
        let feeds = work.appendingPathComponent("feeds")
        guard let replay = DurationText.parse(duration), replay >= .seconds(5) else {
            printError("monitorctl: --duration: expected a duration of at least 5s")
            throw ExitCode(ExitStatus.usage)
        }
        let holdFor = try hold.map { text -> Duration in
            guard let d = DurationText.parse(text) else { printError("monitorctl: --hold: expected a duration"); throw ExitCode(ExitStatus.usage) }
            return d
        }
        let timeline: [Entry]
        do {
            let text = try String(contentsOf: rootURL.appendingPathComponent("demo/timeline.jsonl"), encoding: .utf8)
            timeline = try text.split(separator: "\n").map { try JSONDecoder().decode(Entry.self, from: Data($0.utf8)) }
        } catch {
            printError("monitorctl: cannot read demo/timeline.jsonl under \(rootURL.path) (use --root): \(error)")
            throw ExitCode(ExitStatus.noInput)
        }
        do {
            try DemoFolder(url: work).prepare()
        } catch {
            printError("monitorctl: --folder: \(error)")
            throw ExitCode(ExitStatus.cannotCreate)
        }
        try FileManager.default.createDirectory(at: feeds, withIntermediateDirectories: true)
        let template = try String(contentsOf: rootURL.appendingPathComponent("demo/config.json"), encoding: .utf8)
        let config = template.replacingOccurrences(of: "DEMO_FEEDS", with: feeds.path)
            .replacingOccurrences(of: "DEMO_MODEL", with: rootURL.appendingPathComponent("models/finsent-minilm").path)
            .replacingOccurrences(of: "DEMO_API_PORT", with: String(apiPort))
            .replacingOccurrences(of: "DEMO_RECEIVER_PORT", with: String(receiverPort))
        let configFile = work.appendingPathComponent("config.json")
        try config.write(to: configFile, atomically: true, encoding: .utf8)
        let story = DemoFeeds(folder: feeds, timeline: timeline, storyStart: Date().addingTimeInterval(-6 * 3600))
        try story.write(upTo: -1)  // empty feeds, so monitord starts on valid documents

        say("demo: feeds in \(feeds.path); monitord API on http://127.0.0.1:\(apiPort)/ ; receiver on :\(receiverPort)")
        let receiver = DemoReceiver(secret: Self.secret)
        let receiverApp = receiver.application(port: receiverPort)
        let receiverTask = Task { try await receiverApp.runService(gracefulShutdownSignals: []) }

        let daemon = Process()
        daemon.executableURL = monitord
        daemon.arguments = ["--config", configFile.path]
        var environment = ProcessInfo.processInfo.environment
        environment["FINSENT_DEMO_SECRET"] = Self.secret
        environment["NOTIFY_SOCKET"] = nil
        daemon.environment = environment
        let log = work.appendingPathComponent("monitord.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        daemon.standardError = try FileHandle(forWritingTo: log)
        daemon.standardOutput = FileHandle.nullDevice
        try daemon.run()
        say("demo: monitord started (pid \(daemon.processIdentifier)), log in \(log.path)")
        signal(SIGINT, SIG_IGN)
        let interrupts = DispatchSource.makeSignalSource(signal: SIGINT)
        let interrupted = Atomic<Bool>(false)
        interrupts.setEventHandler { interrupted.store(true, ordering: .relaxed) }
        interrupts.resume()

        // Replay: six story hours in `duration`, each item stamped with its story time.
        let start = ContinuousClock.now
        let scale = replay.seconds / (6 * 3600)
        var released = -1
        while released < timeline.count - 1, !interrupted.load(ordering: .relaxed), daemon.isRunning {
            let storySeconds = (ContinuousClock.now - start).seconds / scale
            let due = timeline.lastIndex { Double($0.minute * 60) <= storySeconds } ?? -1
            if due > released {
                for entry in timeline[(released + 1)...due] { say("demo: +\(entry.minute / 60)h\(entry.minute % 60)m \(entry.feed): \(entry.title)") }
                released = due
                try story.write(upTo: released)
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        say("demo: replay done; waiting for scoring and alerts")
        try await Task.sleep(for: .seconds(5))
        let report = Process()
        report.executableURL = InstalledFiles.executable
        report.arguments = ["query", "--config", configFile.path, "--since", "7h"]
        report.environment = environment
        try report.run()
        report.waitUntilExit()
        say("\ndemo: dashboard at http://127.0.0.1:\(apiPort)/  (metrics: /metrics, health: /healthz)")
        let deadline = holdFor.map { ContinuousClock.now + $0 }
        if deadline == nil { say("demo: press Ctrl-C to stop") }
        while !interrupted.load(ordering: .relaxed), daemon.isRunning, deadline.map({ ContinuousClock.now < $0 }) ?? true {
            try await Task.sleep(for: .milliseconds(200))
        }
        kill(daemon.processIdentifier, SIGTERM)
        daemon.waitUntilExit()
        receiverTask.cancel()
        let messages = receiver.count
        say("demo: monitord exited \(daemon.terminationStatus); the receiver got \(messages.total) webhooks, \(messages.verified) with valid signatures")
    }

    /// var/demo under a writable data folder (a checkout); the user's state folder otherwise (an install).
    static func defaultFolder(root: URL) -> URL {
        if FileManager.default.isWritableFile(atPath: root.path) { return root.appendingPathComponent("var/demo") }
        let environment = ProcessInfo.processInfo.environment
        let state = environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: environment["HOME"] ?? NSTemporaryDirectory()).appendingPathComponent(".local/state")
        return state.appendingPathComponent("finsent/demo")
    }
}

/// Writes the replayed story as an RSS document (the wire) and a Mastodon-style JSON timeline (social).
struct DemoFeeds: Sendable {
    let folder: URL
    let timeline: [DemoCommand.Entry]
    let storyStart: Date

    func write(upTo last: Int) throws {
        let entries = last < 0 ? [] : Array(timeline[0...last].enumerated())
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        var rss = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel><title>Demo Wire</title><link>https://wire.example.com/</link>\n"
        var social: [[String: Any]] = []
        for (index, entry) in entries.reversed() {
            let time = storyStart.addingTimeInterval(Double(entry.minute * 60))
            let title = entry.title.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            if entry.feed == "wire" {
                rss += "<item><guid isPermaLink=\"false\">demo-\(index)</guid><title>\(title)</title><link>https://wire.example.com/story/\(index)</link>"
                rss += "<pubDate>\(formatter.string(from: time))</pubDate></item>\n"
            } else {
                social.append(["id": "\(index)", "uri": "https://social.example/users/demo/statuses/\(index)", "url": "https://social.example/@demo/\(index)",
                               "created_at": ISO8601DateFormatter().string(from: time), "content": "<p>\(title)</p>",
                               "account": ["acct": "trader\(index % 5)", "display_name": "Trader"]])
            }
        }
        rss += "</channel></rss>\n"
        try replace(folder.appendingPathComponent("wire.xml"), Data(rss.utf8))
        try replace(folder.appendingPathComponent("social.json"), try JSONSerialization.data(withJSONObject: social))
    }

    /// Atomic replacement, so monitord never reads half a file.
    func replace(_ url: URL, _ data: Data) throws {
        try data.write(to: url, options: .atomic)
    }
}

/// The demo's webhook receiver: verifies each signature and prints what arrived.
final class DemoReceiver: Sendable {
    let secrets: [WebhookSecret]
    private let counts = Mutex((total: 0, verified: 0))

    init(secret: String) {
        secrets = [WebhookSecret(key: Array(Data(base64Encoded: String(secret.dropFirst(6))) ?? Data()))]
    }

    var count: (total: Int, verified: Int) { counts.withLock { $0 } }

    func application(port: Int) -> some ApplicationProtocol {
        let router = Router()
        router.post("/webhook") { [self] request, _ -> HTTPResponse.Status in
            let buffer = try await request.body.collect(upTo: 1 << 20)
            let body = String(buffer: buffer)
            func header(_ name: String) -> String { request.headers.first { $0.name.canonicalName == name }?.value ?? "" }
            let id = header("webhook-id")
            let timestamp = Int64(header("webhook-timestamp")) ?? 0
            let signature = header("webhook-signature")
            let ok = WebhookSignature.verify(id: id, timestamp: timestamp, body: body, header: signature, secrets: secrets)
            counts.withLock { $0.total += 1; if ok { $0.verified += 1 } }
            let object = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
            let data = object["data"] as? [String: Any] ?? [:]
            let entity = (data["entity"] as? [String: Any])?["symbol"] as? String ?? (data["source"] as? [String: Any])?["feed"] as? String ?? "?"
            let rule = (data["rule"] as? [String: Any])?["id"] as? String ?? "?"
            let top = ((data["evidence"] as? [[String: Any]])?.first?["title"] as? String).map { " — \"\($0)\"" } ?? ""
            say("receiver: \(object["type"] as? String ?? "?") \(rule) \(entity) value \(data["value"] ?? "-") signature \(ok ? "verified" : "INVALID") id \(id)\(top)")
            return ok ? .noContent : .unauthorized
        }
        var logger = Logger(label: "demo-receiver")
        logger.logLevel = .critical  // the demo stops it by cancelling: nothing worth printing
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
    }
}

/// Unbuffered output, so the demo's lines and the report its child process prints stay in order.
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
