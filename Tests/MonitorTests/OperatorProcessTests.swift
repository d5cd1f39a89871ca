import Config
import CurlHTTP
import Foundation
import LocalHTTPServer
import Testing

/// What an operator and their scripts see of a running monitord: health that tells the truth,
/// HTTP that answers HEAD, 405 and 400 properly, the bearer token, /metrics from swift-prometheus,
/// the dashboard and entity pages, and `--format json` documents every command shares.
@Suite("Operator experience: health, HTTP, metrics, dashboard, JSON", .serialized)
struct OperatorProcessTests {
    static let client = CurlMultiClient(maxConcurrent: 4, maxPerHost: 4)
    static let token = "test-token-0123456789abcdef"

    struct Answer {
        let status: Int
        let headers: [String: String]
        let body: String
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
    }

    func request(_ url: String, method: String = "GET", token: String? = nil) async throws -> Answer {
        let headers = token.map { [(name: "Authorization", value: "Bearer \($0)")] } ?? []
        let response = try await Self.client.perform(HTTPRequest(url: URL(string: url)!, method: method, headers: headers, timeout: .seconds(20)))
        return Answer(status: response.status, headers: response.headers, body: String(decoding: response.body, as: UTF8.self))
    }

    static func rss(now: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let titles = ["Apple shares plunge after SEC opens fraud probe into its accounting",
                      "Apple recalls millions of phones over battery fire risk",
                      "Apple beats estimates and raises its full-year guidance",
                      "Oil steadies as OPEC weighs supply"]
        var items = ""
        for (i, title) in titles.enumerated() {
            items += "<item><guid>op-\(i)</guid><title>\(title)</title><link>https://news.example.com/\(i)</link>"
                + "<pubDate>\(f.string(from: now.addingTimeInterval(Double(-60 * (i + 1)))))</pubDate></item>"
        }
        return "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Wire</title>\(items)</channel></rss>"
    }

    /// A monitord with a good feed and a dead one (or only the dead one), a webhook receiver, an API token.
    struct Daemon {
        let folder: TemporaryFolder
        let feeds: LocalHTTPServer
        let receiver: LocalHTTPServer
        let dead: RefusingPort
        let apiPort: Int
        let config: String
        let process: Process
        var api: String { "http://127.0.0.1:\(apiPort)" }
        var log: String { (try? String(contentsOfFile: folder.path("stderr"), encoding: .utf8)) ?? "" }

        init(goodFeed: Bool = true, token: Bool = true) throws {
            folder = try TemporaryFolder()
            let body = OperatorProcessTests.rss(now: Date())
            feeds = try LocalHTTPServer { _ in .init(headers: [("Content-Type", "application/rss+xml")], text: body) }
            receiver = try LocalHTTPServer { _ in .init(status: 204) }
            dead = try RefusingPort()
            apiPort = try freePort()
            try folder.write("watchlist.json", """
                {"watchlist": [{"symbol": "AAPL", "names": ["Apple"]}, {"symbol": "MSFT", "names": ["Microsoft"]}]}
                """)
            let good = goodFeed ? #"{"id": "wire", "url": "\#(feeds.url("/wire.xml"))", "interval": "1s"},"# : ""
            config = try folder.write("config.json", """
                {
                  "database": "var/monitor.sqlite",
                  "model": "\(repositoryRoot.appendingPathComponent("models/finsent-minilm").path)",
                  "api": {"listen": "127.0.0.1:\(apiPort)"\(token ? #", "tokenEnv": "FINSENT_TEST_TOKEN""# : "")},
                  "polling": {"staleAfter": "2s", "maxBackoff": "2s"},
                  "feeds": [\(good) {"id": "dead", "url": "\(dead.url("/feed.xml"))", "interval": "1s"}],
                  "watchlistFile": "watchlist.json",
                  "rules": [{"id": "risky-item", "metric": "itemRisk", "window": "1h", "above": 0.1, "minItems": 1, "cooldown": "1h"}],
                  "webhooks": [{"id": "desk", "url": "\(receiver.url("/hook"))", "secretEnv": "FINSENT_TEST_SECRET"}],
                  "delivery": {"retrySchedule": ["1s"]}
                }
                """)
            process = try startProduct("monitord", ["--config", config],
                                       environment: ["FINSENT_TEST_TOKEN": OperatorProcessTests.token,
                                                     "FINSENT_TEST_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
                                       stdout: folder.path("stdout"), stderr: folder.path("stderr"))
        }

        func stop() async throws -> Int32 {
            kill(process.processIdentifier, SIGTERM)
            let status = try await waitForExit(process, timeout: .seconds(15))
            feeds.stop()
            receiver.stop()
            return status
        }

        func monitorctl(_ arguments: [String], timeout: Duration = .seconds(30)) async throws -> ProcessResult {
            try await runProduct("monitorctl", arguments + ["--config", config], timeout: timeout)
        }
    }

    @Test("one running monitord, seen through /healthz, HTTP methods and parameters, the token, /metrics, the dashboard, and every command's JSON")
    func operatorViews() async throws {
        let daemon = try Daemon()
        defer { if daemon.process.isRunning { kill(daemon.process.processIdentifier, SIGKILL) } }
        let api = daemon.api

        // Scored, alerted and delivered; the dead feed unhealthy by time (staleAfter 2s) long before 5 failures.
        try await until("AAPL scored", timeout: .seconds(90), every: .milliseconds(200)) {
            let r = try await request("\(api)/v1/risk?entity=AAPL&since=1h", token: Self.token)
            return ((r.json["entities"] as? [[String: Any]])?.first?["items"] as? Int ?? 0) >= 3
        }
        try await until("the dead feed reported", timeout: .seconds(30), every: .milliseconds(200)) {
            let r = try await request("\(api)/healthz")
            return ((r.json["feeds"] as? [String: Any])?["unhealthy"] as? [String]) == ["dead"]
        }
        #expect(daemon.log.contains("feeds: feed health") && daemon.log.contains("configured=2"), "the start-up summary of the feeds: \(daemon.log.prefix(2000))")

        // /healthz: open without the token, degraded (200) with the reason, naming the dead feed.
        let health = try await request("\(api)/healthz")
        #expect(health.status == 200 && health.json["status"] as? String == "degraded", "\(health.body)")
        let reasons = health.json["reasons"] as? [String] ?? []
        #expect(reasons.contains { $0.contains("dead") }, "\(reasons)")

        // HEAD answers like GET without a body; other methods are 405 with Allow; unknown paths 404.
        let head = try await request("\(api)/healthz", method: "HEAD")
        #expect(head.status == 200 && head.body.isEmpty)
        let headPage = try await request("\(api)/", method: "HEAD", token: Self.token)
        #expect(headPage.status == 200 && headPage.body.isEmpty && (headPage.headers["content-type"] ?? "").hasPrefix("text/html"))
        let post = try await request("\(api)/healthz", method: "PUT")
        #expect(post.status == 405 && post.headers["allow"] == "GET, HEAD", "\(post.status) \(post.headers)")
        #expect(try await request("\(api)/v1/nothing-here", token: Self.token).status == 404)

        // Unknown query parameters are named, not ignored.
        let typo = try await request("\(api)/v1/risk?entity=AAPL&sicne=2h", token: Self.token)
        #expect(typo.status == 400 && typo.body.contains("sicne"), "\(typo.body)")

        // The token: required on /v1 and the dashboard, compared exactly; /metrics stays open (protectMetrics is off).
        let anonymous = try await request("\(api)/v1/risk")
        #expect(anonymous.status == 401 && (anonymous.headers["www-authenticate"] ?? "").hasPrefix("Bearer"))
        #expect(try await request("\(api)/v1/risk", token: Self.token + "x").status == 401)
        #expect(try await request("\(api)/", token: "wrong-token-0123456789").status == 401)

        // /metrics: swift-prometheus text with the per-feed, per-entity, build and HTTP series.
        let metrics = try await request("\(api)/metrics")
        #expect(metrics.status == 200)
        for series in ["finsent_feed_up{feed=\"wire\"} 1", "finsent_feed_up{feed=\"dead\"} 0", "finsent_feed_last_success_timestamp_seconds{feed=\"wire\"}",
                       "finsent_entity_items{symbol=\"AAPL\"}", "finsent_entity_risk_index{symbol=\"AAPL\"}", "finsent_build_info{",
                       "finsent_http_requests_total{", "finsent_items_scored_total", "finsent_scoring_batch_seconds_bucket",
                       "finsent_feed_polls_total{feed=\"dead\",outcome=\"error\"}", "# TYPE finsent_alerts gauge"] {
            #expect(metrics.body.contains(series), "missing \(series)")
        }
        #expect(!metrics.body.contains("finsent_entity_sentiment{symbol=\"MSFT\"}"), "no data is no series, not a zero")

        // The dashboard: firing count (AAPL's rule, the dead feed's source health) in the title, the degraded banner, named numbers, charts, links; no scripts.
        let page = try await request("\(api)/", token: Self.token)
        #expect(page.status == 200)
        #expect(page.body.contains("<title>(2 firing) FinSent Monitor</title>"), "\(page.body.prefix(600))")
        #expect(page.body.contains("Degraded") && page.body.contains("risk index") && page.body.contains("<svg"))
        #expect(page.body.contains("href=\"/entity/AAPL\"") && !page.body.contains("<script"))
        #expect(page.body.contains("MSFT") && page.body.contains("—"), "an entity without items shows — rather than zeros")
        let entity = try await request("\(api)/entity/AAPL", token: Self.token)
        #expect(entity.status == 200 && entity.body.contains("Apple shares plunge") && entity.body.contains("risky-item"))
        #expect(try await request("\(api)/entity/ZZZZ", token: Self.token).status == 404)

        // monitorctl query: item ids in the table, null (not 0) without data, unknown entities said and exit 66.
        let report = try await daemon.monitorctl(["query", "--entity", "AAPL", "--entity", "MSFT", "--since", "2h", "--format", "json"])
        #expect(report.status == 0, "\(report.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
        let entities = document["entities"] as? [[String: Any]] ?? []
        let aapl = try #require(entities.first { $0["symbol"] as? String == "AAPL" })
        let msft = try #require(entities.first { $0["symbol"] as? String == "MSFT" })
        #expect(msft["items"] as? Int == 0 && msft["meanSentiment"] is NSNull && msft["riskIndex"] is NSNull && msft["negativeShare"] is NSNull)
        #expect(aapl["riskIndex"] is Double && !((aapl["topPositive"] as? [Any]) ?? []).isEmpty, "opportunities are reported too")
        let itemID = try #require((aapl["topNegative"] as? [[String: Any]])?.first?["itemId"] as? Int)
        let table = try await daemon.monitorctl(["query", "--entity", "AAPL", "--entity", "MSFT", "--since", "2h"])
        #expect(table.stdout.contains("#\(itemID)") && table.stdout.contains("—"), "\(table.stdout)")
        let unknown = try await daemon.monitorctl(["query", "--entity", "ZZZZ", "--format", "json"])
        #expect(unknown.status == 66 && unknown.stderr.contains("unknown entity ZZZZ"), "\(unknown.status) \(unknown.stderr)")
        #expect(unknown.stdout.contains("\"unknownEntities\":[\"ZZZZ\"]"))

        // Every --format json is one document; every time in it is RFC 3339 UTC with milliseconds, which --since/--until accept.
        var documents: [String: Any] = ["query": document]
        for command in [["stats"], ["alerts"], ["deliveries"], ["feeds"], ["explain", String(itemID)]] {
            let result = try await daemon.monitorctl(command + ["--format", "json"], timeout: .seconds(60))
            #expect(result.status == 0, "\(command): \(result.stderr)")
            let text = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(!text.contains("\n"), "\(command) prints one document, not JSON Lines")
            let parsed: Any? = try? JSONSerialization.jsonObject(with: Data(text.utf8))
            documents[command[0]] = try #require(parsed, "\(command): \(text.prefix(300))")
        }
        let alerts = try #require((documents["alerts"] as? [String: Any])?["alerts"] as? [[String: Any]])
        let firing = try #require(alerts.first { $0["entity"] as? String == "AAPL" })
        #expect(firing["resolvedAt"] is NSNull && firing["state"] as? String == "firing", "null for absent, never \"-\"")
        let explained = try #require(documents["explain"] as? [String: Any])
        #expect(explained["itemId"] as? Int == itemID && explained["source"] as? String == "wire", "explain names fields as query does")
        let feeds = (documents["feeds"] as? [String: Any])?["feeds"] as? [[String: Any]] ?? []
        #expect(Set(feeds.compactMap { $0["id"] as? String }) == ["wire", "dead"])
        var times: [String] = []
        for (_, value) in documents { collectTimes(value, into: &times) }
        #expect(!times.isEmpty)
        for time in times {
            #expect(time.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#, options: .regularExpression) != nil, "\(time)")
        }
        let since = try #require(times.min()), end = JSONText.timestamp(Date().addingTimeInterval(60))
        let ranged = try await daemon.monitorctl(["query", "--since", since, "--until", end, "--format", "json"])
        #expect(ranged.status == 0, "our own timestamps are accepted: \(ranged.stderr)")
        let apiAlerts = try await request("\(api)/v1/alerts", token: Self.token)
        for alert in apiAlerts.json["alerts"] as? [[String: Any]] ?? [] {
            if let value = alert["value"] as? Double { #expect(abs(value * 10_000 - (value * 10_000).rounded()) < 1e-6, "rounded like every number: \(value)") }
        }

        // Alert changes under the alerts label, deliveries at info with their webhook-id and status.
        try await until("the webhook delivered", timeout: .seconds(20), every: .milliseconds(200)) { daemon.log.contains("webhooks: webhook delivered") }
        let log = daemon.log
        #expect(log.contains("alerts: alert firing") && log.contains("rule=risky-item") && log.contains("rule=source-health"), "\(log.suffix(3000))")
        let delivered = log.split(separator: "\n").first { $0.contains("webhook delivered") }.map(String.init) ?? ""
        #expect(delivered.contains("webhook_id=") && delivered.contains("status=204"), "\(delivered)")

        // SIGHUP reads the watchlist file again.
        try daemon.folder.write("watchlist.json", """
            {"watchlist": [{"symbol": "AAPL", "names": ["Apple"]}, {"symbol": "MSFT", "names": ["Microsoft"]}, {"symbol": "NVDA", "names": ["Nvidia"]}]}
            """)
        kill(daemon.process.processIdentifier, SIGHUP)
        try await until("NVDA on the reloaded watchlist", timeout: .seconds(20), every: .milliseconds(200)) {
            let r = try await request("\(api)/v1/risk", token: Self.token)
            return (r.json["entities"] as? [[String: Any]] ?? []).contains { $0["symbol"] as? String == "NVDA" }
        }
        #expect(try await daemon.stop() == 0, "\(daemon.log)")
    }

    @Test("with every feed failing /healthz is 503 unhealthy, saying why")
    func allFeedsDead() async throws {
        let daemon = try Daemon(goodFeed: false, token: false)
        defer { if daemon.process.isRunning { kill(daemon.process.processIdentifier, SIGKILL) } }
        try await until("unhealthy", timeout: .seconds(60), every: .milliseconds(200)) {
            (try? await request("\(daemon.api)/healthz"))?.status == 503
        }
        let health = try await request("\(daemon.api)/healthz")
        #expect(health.json["status"] as? String == "unhealthy")
        #expect((health.json["reasons"] as? [String] ?? []).contains { $0.contains("no feed is getting through") }, "\(health.body)")
        #expect(try await daemon.stop() == 0)
    }

    @Test("a busy api.listen: exit 73 naming the key and the address, and no READY=1")
    func busyPort() async throws {
        let holder = try LocalHTTPServer { _ in .init(status: 200) }
        defer { holder.stop() }
        let folder = try TemporaryFolder()
        let socket = try NotifySocket(path: folder.path("notify.sock"))
        let file = try folder.write("config.json", configJSON().replacingOccurrences(of: "127.0.0.1:0", with: "127.0.0.1:\(holder.port)"))
        let result = try await runProduct("monitord", ["--config", file], environment: ["NOTIFY_SOCKET": socket.path])
        #expect(result.status == 73, "\(result.stderr)")
        #expect(result.stderr.contains("api.listen 127.0.0.1:\(holder.port)") && result.stderr.contains("Address already in use"), "\(result.stderr)")
        socket.drain()
        #expect(!socket.messages.contains { $0.contains("READY=1") })
    }

    @Test("monitorctl demo refuses a non-empty folder it did not make, and deletes nothing")
    func demoFolderRefused() async throws {
        let folder = try TemporaryFolder()
        let precious = try folder.write("thesis.txt", "years of work")
        let result = try await runProduct("monitorctl", ["demo", "--root", repositoryRoot.path, "--folder", folder.url.path])
        #expect(result.status == 73, "\(result.stderr)")
        #expect(result.stderr.contains("was not made by the demo"), "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: precious))
    }

    @Test("config check refuses a model folder monitord could not load: missing, or weights cut short")
    func configCheckModel() async throws {
        let folder = try TemporaryFolder()
        let missing = try folder.write("missing.json", configJSON().replacingOccurrences(
            of: repositoryRoot.appendingPathComponent("models/finsent-minilm").path, with: folder.path("no-such-model")))
        let gone = try await runProduct("monitorctl", ["config", "check", "--config", missing])
        #expect(gone.status == 78 && gone.stderr.contains("no-such-model") && gone.stderr.contains("is not a folder"), "\(gone.stderr)")

        let model = folder.url.appendingPathComponent("cut-model")
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        let shipped = repositoryRoot.appendingPathComponent("models/finsent-minilm")
        for name in try FileManager.default.contentsOfDirectory(atPath: shipped.path) where name != "model.safetensors" {
            try FileManager.default.copyItem(at: shipped.appendingPathComponent(name), to: model.appendingPathComponent(name))
        }
        let weights = try Data(contentsOf: shipped.appendingPathComponent("model.safetensors"))
        try weights.prefix(weights.count / 2).write(to: model.appendingPathComponent("model.safetensors"))
        let cut = try folder.write("cut.json", configJSON().replacingOccurrences(of: shipped.path, with: model.path))
        let result = try await runProduct("monitorctl", ["config", "check", "--config", cut])
        #expect(result.status == 78 && result.stderr.contains("model.safetensors"), "\(result.stderr)")
        let ok = try await runProduct("monitorctl", ["config", "check", "--config", try folder.write("ok.json", configJSON())])
        #expect(ok.status == 0 && ok.stdout.contains("heads: sentiment"), "\(ok.stderr)")
    }

    @Test("watchlist import: 3,000 CSV rows become the file monitord reads; bad rows are named by line and nothing is written")
    func watchlistImport() async throws {
        let folder = try TemporaryFolder()
        var csv = "symbol,name,aliases\n"
        for i in 0..<3000 {
            let code = String((0..<3).map { Character(UnicodeScalar(65 + (i / Int(pow(26.0, Double($0)))) % 26)!) })
            csv += "T\(code),\"\(code) Holdings, Inc.\",\(code) Corp;\(code) Group\n"
        }
        let file = try folder.write("universe.csv", csv)
        let config = try folder.write("config.json", configJSON(extra: #", "watchlistFile": "watchlist.json""#)
            .replacingOccurrences(of: #""watchlist": [ { "symbol": "AAPL", "names": ["Apple", "Apple Inc."] } ],"#, with: ""))
        let imported = try await runProduct("monitorctl", ["watchlist", "import", file, "--config", config])
        #expect(imported.status == 0 && imported.stdout.contains("wrote 3000 entities") && imported.stdout.contains("\"watchlistFile\": \"watchlist.json\""),
                "\(imported.stdout)\(imported.stderr)")
        let check = try await runProduct("monitorctl", ["config", "check", "--config", config])
        #expect(check.status == 0 && check.stdout.contains("3000 watchlist entries"), "\(check.stderr)")

        let bad = try folder.write("bad.csv", "symbol,name\nAAPL,Apple\n9BAD,Nine\nAAPL,Apple again\nX,a,b,c\n")
        let before = try String(contentsOfFile: folder.path("watchlist.json"), encoding: .utf8)
        let refused = try await runProduct("monitorctl", ["watchlist", "import", bad, "--config", config])
        #expect(refused.status == 65)
        for line in ["bad.csv:3:", "bad.csv:4: AAPL again (first on line 2)", "bad.csv:5:"] { #expect(refused.stderr.contains(line), "\(refused.stderr)") }
        #expect(try String(contentsOfFile: folder.path("watchlist.json"), encoding: .utf8) == before, "nothing written")

        // The same symbol inline and in the file is one problem, named at both places.
        let both = try folder.write("both.json", configJSON(extra: #", "watchlistFile": "watchlist.json""#)
            .replacingOccurrences(of: "\"AAPL\", \"names\"", with: "\"TAAA\", \"names\""))
        let duplicate = try await runProduct("monitorctl", ["config", "check", "--config", both])
        #expect(duplicate.status == 78 && duplicate.stderr.contains("duplicate symbol \"TAAA\""), "\(duplicate.stderr)")
    }

    @Test("feeds import: an OPML list becomes the feeds file, ids unique, non-http URLs refused")
    func feedsImport() async throws {
        let folder = try TemporaryFolder()
        let opml = try folder.write("subs.opml", """
            <?xml version="1.0"?><opml version="2.0"><head><title>s</title></head><body>
            <outline text="Markets"><outline type="rss" text="Reuters: Business" xmlUrl="https://example.com/a.xml"/>
            <outline type="rss" title="Reuters: Business" xmlUrl="https://example.com/b.xml"/></outline>
            <outline text="SEC filings" xmlUrl="https://www.sec.gov/feed.xml"/></body></opml>
            """)
        let config = try folder.write("config.json", configJSON(extra: #", "feedsFile": "feeds.json""#))
        let imported = try await runProduct("monitorctl", ["feeds", "import", opml, "--interval", "30m", "--config", config])
        #expect(imported.status == 0 && imported.stdout.contains("wrote 3 feeds"), "\(imported.stderr)")
        let text = try String(contentsOfFile: folder.path("feeds.json"), encoding: .utf8)
        #expect(text.contains("\"reuters-business\"") && text.contains("\"reuters-business-2\"") && text.contains("\"sec-filings\""))
        let check = try await runProduct("monitorctl", ["config", "check", "--config", config])
        #expect(check.status == 0 && check.stdout.contains("4 feeds"), "inline and imported feeds together: \(check.stdout)\(check.stderr)")
        let hostile = try folder.write("bad.opml", #"<opml><body><outline text="x" xmlUrl="file:///etc/passwd"/></body></opml>"#)
        let refused = try await runProduct("monitorctl", ["feeds", "import", hostile, "--config", config, "--output", folder.path("other.json")])
        #expect(refused.status == 65 && refused.stderr.contains("file:///etc/passwd") && !FileManager.default.fileExists(atPath: folder.path("other.json")))
    }

    @Test("make install DESTDIR=…: stripped binaries, completions, the demo's files, a 0600 secrets template, the next steps; the installed monitorctl finds its files")
    func makeInstall() async throws {
        let folder = try TemporaryFolder()
        let root = folder.url.appendingPathComponent("root")
        let build = URL(fileURLWithPath: try productPath("monitorctl")).deletingLastPathComponent().path
        // `-o build`: install what this test run built (debug) rather than building a release.
        let make = try await runCommand("/usr/bin/make", ["-s", "-C", repositoryRoot.path, "-o", "build", "install", "DESTDIR=\(root.path)", "BUILDDIR=\(build)"],
                                        timeout: .seconds(240))
        #expect(make.status == 0, "\(make.stdout)\(make.stderr)")
        #expect(make.stdout.contains("Next:") && make.stdout.contains("monitorctl config check --config /etc/finsent/config.json")
                && make.stdout.contains("systemctl daemon-reload"), "\(make.stdout)")
        let files = FileManager.default
        for path in ["usr/local/bin/monitord", "usr/local/bin/monitorctl", "usr/local/share/bash-completion/completions/monitorctl",
                     "usr/local/share/zsh/site-functions/_monitorctl", "usr/local/share/fish/vendor_completions.d/monitorctl.fish",
                     "usr/local/share/finsent/demo/timeline.jsonl", "usr/local/share/finsent/models/finsent-minilm/model.safetensors",
                     "etc/finsent/config.json", "etc/finsent/monitord.env", "etc/systemd/system/monitord.service"] {
            #expect(files.fileExists(atPath: root.appendingPathComponent(path).path), "installed: \(path)")
        }
        let env = try files.attributesOfItem(atPath: root.appendingPathComponent("etc/finsent/monitord.env").path)
        #expect((env[.posixPermissions] as? Int) == 0o600, "the secrets file is for root only")
        let installed = try files.attributesOfItem(atPath: root.appendingPathComponent("usr/local/bin/monitorctl").path)[.size] as? Int ?? 0
        let built = try files.attributesOfItem(atPath: try productPath("monitorctl"))[.size] as? Int ?? 0
        #expect(installed > 0 && installed < built, "stripped: \(installed) < \(built) bytes")
        #expect(try String(contentsOf: root.appendingPathComponent("usr/local/share/bash-completion/completions/monitorctl"), encoding: .utf8).contains("sentiment"))

        // From anywhere, the installed monitorctl finds the demo's files and monitord beside it: it gets as far as the folder check.
        let elsewhere = try TemporaryFolder()
        try elsewhere.write("notes.txt", "mine")
        let demo = try await runCommand(root.appendingPathComponent("usr/local/bin/monitorctl").path, ["demo", "--folder", elsewhere.url.path],
                                        currentDirectory: elsewhere.url)
        #expect(demo.status == 73 && demo.stderr.contains("was not made by the demo"), "\(demo.status): \(demo.stderr)")
    }

    @Test("shell completions list the fixed values of --sort and --format")
    func completions() async throws {
        for shell in ["bash", "zsh", "fish"] {
            let result = try await runProduct("monitorctl", ["--generate-completion-script", shell])
            #expect(result.status == 0)
            for value in ["burst", "volume", "sentiment", "csv"] { #expect(result.stdout.contains(value), "\(shell): \(value)") }
        }
    }

    /// Every string in a document that looks like a time (starts with a four-digit year and a dash and has a T).
    func collectTimes(_ value: Any, into times: inout [String]) {
        switch value {
        case let s as String where s.range(of: #"^\d{4}-\d\d-\d\dT"#, options: .regularExpression) != nil: times.append(s)
        case let a as [Any]: for v in a { collectTimes(v, into: &times) }
        case let d as [String: Any]: for (_, v) in d { collectTimes(v, into: &times) }
        default: break
        }
    }
}
