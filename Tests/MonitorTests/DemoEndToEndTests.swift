import CurlHTTP
import Foundation
import Testing

/// The offline demo's story, checked automatically: replayed feeds, monitord, the signed
/// alert at the receiver, the risk report, /metrics, /healthz, the dashboard, and a clean stop.
@Suite("Offline demo, end to end", .serialized)
struct DemoEndToEndTests {
    static let client = CurlMultiClient(maxConcurrent: 4, maxPerHost: 2)

    func get(_ url: String) async throws -> (Int, String) {
        let response = try await Self.client.perform(HTTPRequest(url: URL(string: url)!, timeout: .seconds(10)))
        return (response.status, String(decoding: response.body, as: UTF8.self))
    }

    @Test("the demo, run from PATH as installed: the Contoso alert fires and arrives signed, the report and the API tell it, monitord stops cleanly")
    func demo() async throws {
        let folder = try TemporaryFolder()
        let apiPort = try freePort(), receiverPort = try freePort()
        let out = folder.path("stdout")
        // As after `make install`: monitorctl and monitord on PATH, the demo's files in ../share/finsent, run from
        // a folder that is not a checkout, with no --root.
        let prefix = folder.url.appendingPathComponent("prefix")
        let files = FileManager.default
        try files.createDirectory(at: prefix.appendingPathComponent("bin"), withIntermediateDirectories: true)
        try files.createDirectory(at: prefix.appendingPathComponent("share/finsent"), withIntermediateDirectories: true)
        for name in ["monitorctl", "monitord"] {
            try files.createSymbolicLink(atPath: prefix.appendingPathComponent("bin/\(name)").path, withDestinationPath: try productPath(name))
        }
        for name in ["demo", "models"] {
            try files.createSymbolicLink(atPath: prefix.appendingPathComponent("share/finsent/\(name)").path,
                                         withDestinationPath: repositoryRoot.appendingPathComponent(name).path)
        }
        let elsewhere = folder.url.appendingPathComponent("elsewhere")
        try files.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["monitorctl", "demo", "--folder", folder.path("demo"), "--duration", "15s", "--hold", "20s",
                             "--api-port", String(apiPort), "--receiver-port", String(receiverPort)]
        var processEnvironment = ProcessInfo.processInfo.environment
        for key in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM"] { processEnvironment[key] = nil }
        processEnvironment["PATH"] = prefix.appendingPathComponent("bin").path + ":" + (processEnvironment["PATH"] ?? "/usr/bin:/bin")
        process.environment = processEnvironment
        process.currentDirectoryURL = elsewhere
        files.createFile(atPath: out, contents: nil)
        files.createFile(atPath: folder.path("stderr"), contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: folder.path("stderr")))
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        func output() -> String { (try? String(contentsOfFile: out, encoding: .utf8)) ?? "" }
        try await eventually("the dashboard line", timeout: .seconds(60)) { output().contains("demo: dashboard at") }

        let (healthStatus, health) = try await get("http://127.0.0.1:\(apiPort)/healthz")
        #expect(healthStatus == 200, "\(health)")
        #expect(health.contains("\"status\":\"ok\"") && health.contains("\"healthy\":2"))
        let (_, metrics) = try await get("http://127.0.0.1:\(apiPort)/metrics")
        #expect(metrics.contains("finsent_feed_polls_total{feed=\"demo-wire\",outcome=\"ok\"}"))
        #expect(metrics.contains("finsent_alerts{state=\"firing\"} ") && !metrics.contains("finsent_alerts{state=\"firing\"} 0\n"))
        #expect(metrics.contains("finsent_scoring_batch_seconds_count"))
        let (_, risk) = try await get("http://127.0.0.1:\(apiPort)/v1/risk?entity=CTSO&since=7h")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(risk.utf8)) as? [String: Any])
        let ctso = try #require((report["entities"] as? [[String: Any]])?.first)
        #expect(ctso["symbol"] as? String == "CTSO" && (ctso["firingAlerts"] as? [String])?.contains("negative-burst") == true)
        let (_, alerts) = try await get("http://127.0.0.1:\(apiPort)/v1/alerts")
        #expect(alerts.contains("negative-burst") && alerts.contains("evidence"))
        let (pageStatus, page) = try await get("http://127.0.0.1:\(apiPort)/")
        #expect(pageStatus == 200 && page.contains("<svg") && page.contains("Contoso") && !page.contains("<script"))

        let status = try await waitForExit(process, timeout: .seconds(60))
        #expect(status == 0, "\(output())\((try? String(contentsOfFile: folder.path("stderr"), encoding: .utf8)) ?? "")")
        let text = output()
        #expect(text.contains("receiver: alert.firing negative-burst CTSO"), "\(text)")
        #expect(!text.contains("INVALID"))
        #expect(text.contains("CTSO") && text.contains("negative-burst") && text.contains("top negative"))
        #expect(text.contains("demo: monitord exited 0"))
        let summary = try #require(text.split(separator: "\n").last { $0.contains("the receiver got") })
        #expect(summary.contains("with valid signatures") && !summary.contains("got 0 "), "\(summary)")

        // The operator's other views of the same database.
        let config = folder.path("demo/config.json")
        let environment = ["FINSENT_DEMO_SECRET": "whsec_ZGVtby1zZWNyZXQta2V5LTEyMzQ1Njc4OTA="]
        let stats = try await runProduct("monitorctl", ["stats", "--config", config, "--format", "json"], environment: environment)
        let statsJSON = try #require(try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any], "\(stats.stderr)")
        #expect(statsJSON["queueDepth"] as? Int == 0 && (statsJSON["items"] as? Int ?? 0) >= 40)
        let itemID = try #require((ctso["topNegative"] as? [[String: Any]])?.first?["itemId"] as? Int)
        let explain = try await runProduct("monitorctl", ["explain", String(itemID), "--config", config, "--format", "json"], environment: environment)
        let explained = try #require(try JSONSerialization.jsonObject(with: Data(explain.stdout.utf8)) as? [String: Any], "\(explain.stderr)")
        #expect(explained["label"] as? String == "negative" && !((explained["words"] as? [Any]) ?? []).isEmpty)
        #expect(explained["method"] as? String == "occlusion", "explain weighs words by occlusion unless told otherwise")
        let rescore = try await runProduct("monitorctl", ["rescore", "--config", config, "--model", repositoryRoot.appendingPathComponent(".cache/minilm-cls").path],
                                           environment: environment, timeout: .seconds(120))
        #expect(rescore.status == 0 && rescore.stdout.contains("rescored") && !rescore.stdout.contains("rescored 0 "), "\(rescore.stdout)\(rescore.stderr)")
        let again = try await runProduct("monitorctl", ["rescore", "--config", config, "--model", repositoryRoot.appendingPathComponent(".cache/minilm-cls").path],
                                         environment: environment, timeout: .seconds(120))
        #expect(again.stdout.contains("rescored 0 items"), "resumable: nothing left to score")
        let after = try await runProduct("monitorctl", ["query", "--config", config, "--since", "7h", "--format", "json", "--entity", "CTSO"], environment: environment)
        #expect(after.stdout.contains("\"modelVersion\":\"finsent-minilm@"), "reports stay on the configured model's scores")
    }
}
