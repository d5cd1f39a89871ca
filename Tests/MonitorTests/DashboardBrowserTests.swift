import Foundation
import LocalHTTPServer
import Testing

/// The dashboard in a real browser (Debian's headless Chromium) against a running monitord with the
/// demo's six hours of headlines: at desktop (1400 px) and phone (390 px) widths, no console error
/// (a CSP violation is one), no element outside the viewport, and a screenshot of each page. With
/// FINSENT_SCREENSHOTS=DIR (`make screenshots`) the PNGs are also written to DIR for the README.
@Suite("Dashboard in headless Chromium", .serialized, .enabled(if: Chromium.available, "Chromium is not installed"))
struct DashboardBrowserTests {
    struct Width { let name: String; let width: Int; let height: Int }
    static let widths = [Width(name: "desktop", width: 1400, height: 1400), Width(name: "phone", width: 390, height: 2600)]

    /// The demo's timeline as one RSS document, its items spread over the six hours before `now`.
    static func demoFeed(now: Date) throws -> String {
        struct Entry: Decodable { let minute: Int; let title: String }
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("demo/timeline.jsonl"), encoding: .utf8)
        let entries = try text.split(separator: "\n").map { try JSONDecoder().decode(Entry.self, from: Data($0.utf8)) }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let start = now.addingTimeInterval(-6 * 3600 - 120)
        var rss = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Demo Wire</title>"
        for (i, e) in entries.enumerated() {
            let title = e.title.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            rss += "<item><guid>demo-\(i)</guid><title>\(title)</title><link>https://wire.example.com/story/\(i)</link>"
                + "<pubDate>\(f.string(from: start.addingTimeInterval(Double(e.minute * 60))))</pubDate></item>"
        }
        return rss + "</channel></rss>"
    }

    @Test("overview and entity page at 1400 px and 390 px: no console error, nothing outside the viewport, screenshots taken")
    func pages() async throws {
        let folder = try TemporaryFolder()
        try folder.write("wire.xml", try Self.demoFeed(now: Date()))
        let apiPort = try freePort()
        let demo = try String(contentsOf: repositoryRoot.appendingPathComponent("demo/config.json"), encoding: .utf8)
        var config = demo.replacingOccurrences(of: "DEMO_MODEL", with: repositoryRoot.appendingPathComponent("models/finsent-minilm").path)
            .replacingOccurrences(of: "DEMO_API_PORT", with: String(apiPort))
            .replacingOccurrences(of: "DEMO_RECEIVER_PORT", with: String(try freePort()))
            .replacingOccurrences(of: "file://DEMO_FEEDS/wire.xml", with: "file://\(folder.path("wire.xml"))")
            // A feed that fails, so the pages show the degraded banner and an error in the feed table.
            .replacingOccurrences(of: "file://DEMO_FEEDS/social.json", with: "file://\(folder.path("missing.json"))")
        config = config.replacingOccurrences(of: #""logLevel": "info""#, with: #""logLevel": "info", "polling": {"staleAfter": "2s"}"#)
        let file = try folder.write("config.json", config)
        let daemon = try startProduct("monitord", ["--config", file], environment: ["FINSENT_DEMO_SECRET": "whsec_ZGVtby1zZWNyZXQta2V5LTEyMzQ1Njc4OTA="],
                                      stdout: folder.path("stdout"), stderr: folder.path("stderr"))
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
        let base = "http://127.0.0.1:\(apiPort)"
        try await until("the demo's alert fires", timeout: .seconds(120), every: .milliseconds(250)) {
            let text = (try? await OperatorProcessTests().request("\(base)/v1/alerts"))?.body ?? ""
            return text.contains("negative-burst") && text.contains("\"state\":\"firing\"") && text.contains("source-health")
        }

        // Narrow pictures are taken of a frame page served from the same site as monitord (127.0.0.1), so the
        // frame renders in the page's own process and is painted before the picture is taken.
        let frames = try LocalHTTPServer { request in
            var parts = request.path.split(separator: "/", maxSplits: 3).map(String.init)  // frame, width, height, target
            if parts.count == 3 { parts.append("") }
            guard parts.count == 4, parts[0] == "frame" else { return .init(status: 404) }
            return .init(headers: [("Content-Type", "text/html; charset=utf-8")], text: """
                <!doctype html><html><body style="margin:0"><iframe src="\(base)/\(parts[3])" style="border:0;display:block;width:\(parts[1])px;height:\(parts[2])px"></iframe></body></html>
                """)
        }
        defer { frames.stop() }
        let keep = ProcessInfo.processInfo.environment["FINSENT_SCREENSHOTS"].map { URL(fileURLWithPath: $0) }
        for page in [("dashboard", "/"), ("entity", "/entity/CTSO")] {
            let html = try await OperatorProcessTests().request(base + page.1).body
            #expect(html.contains("<title>"), "\(page.0)")
            for width in Self.widths {
                let what = "\(page.0) at \(width.width) px"
                let layout = try await Chromium.layout(html: html, width: width.width, folder: folder.url)
                #expect(layout.outside.isEmpty, "\(what): elements outside the viewport: \(layout.outside)")
                #expect(layout.scrollWidth <= width.width, "\(what): the page scrolls sideways (\(layout.scrollWidth) px)")
                let png = folder.url.appendingPathComponent("\(page.0)-\(width.name).png")
                let target = width.width < 500 ? frames.url("/frame/\(width.width)/\(width.height)\(page.1)").absoluteString : base + page.1
                let console = try await Chromium.screenshot(url: target, width: width.width, height: width.height, to: png, folder: folder.url)
                #expect(console.isEmpty, "\(what): console messages: \(console)")
                let bytes = try Data(contentsOf: png)
                #expect(bytes.count > 20_000 && bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]), "\(what): a PNG was written")
                if let keep {
                    try FileManager.default.createDirectory(at: keep, withIntermediateDirectories: true)
                    let target = keep.appendingPathComponent(png.lastPathComponent)
                    try? FileManager.default.removeItem(at: target)
                    try FileManager.default.copyItem(at: png, to: target)
                }
            }
        }
        kill(daemon.processIdentifier, SIGTERM)
        #expect(try await waitForExit(daemon, timeout: .seconds(15)) == 0)
    }
}

/// Debian's headless Chromium, driven from the command line (no WebDriver needed).
///
/// Headless Chromium lays a window out at least 500 px wide, so a narrower width is measured and
/// photographed inside an iframe of exactly that width, placed at the window's left edge. (For the
/// picture, the frame page is served from 127.0.0.1 like monitord: a frame from another site renders
/// in another process and is sometimes not painted yet when the picture is taken.)
enum Chromium {
    static let path = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static var available: Bool { path != nil || ProcessInfo.processInfo.environment["FINSENT_REQUIRE_BROWSER"] == "1" }

    struct Layout: Decodable { let viewport: Int; let scrollWidth: Int; let outside: [String] }

    /// Lays `html` out at `width` and lists the elements that reach outside the viewport.
    static func layout(html: String, width: Int, folder: URL) async throws -> Layout {
        // The copy under test runs one script (so its CSP is dropped) that measures itself and reports to the harness.
        var page = html.replacingOccurrences(of: #"<meta http-equiv="Content-Security-Policy"[^>]*>"#, with: "", options: .regularExpression)
            .replacingOccurrences(of: #"<meta http-equiv="refresh"[^>]*>"#, with: "", options: .regularExpression)
        let probe = """
            <script>(function(){var vw=document.documentElement.clientWidth,out=[];
            document.body.querySelectorAll('*').forEach(function(e){var r=e.getBoundingClientRect();
            if(r.width===0&&r.height===0)return;if(r.right>vw+0.5||r.left<-0.5){out.push(e.tagName.toLowerCase()+(e.className&&e.className.baseVal===undefined?'.'+e.className:'')+' '+Math.round(r.left)+'..'+Math.round(r.right));}});
            parent.document.getElementById('out').textContent=JSON.stringify({viewport:vw,scrollWidth:document.documentElement.scrollWidth,outside:out.slice(0,20)});})();</script>
            """
        page = page.replacingOccurrences(of: "</body>", with: probe + "</body>")
        let id = UUID().uuidString
        let pageFile = folder.appendingPathComponent("page-\(id).html"), harness = folder.appendingPathComponent("harness-\(id).html")
        try page.write(to: pageFile, atomically: true, encoding: .utf8)
        try """
            <!doctype html><html><body style="margin:0"><iframe src="\(pageFile.lastPathComponent)" style="border:0;display:block;width:\(width)px;height:1200px"></iframe><pre id="out"></pre></body></html>
            """.write(to: harness, atomically: true, encoding: .utf8)
        let (stdout, _) = try await run(["--allow-file-access-from-files", "--window-size=\(max(width, 500) + 20),1300", "--dump-dom", harness.absoluteString],
                                        folder: folder)
        guard let start = stdout.range(of: "<pre id=\"out\">"), let end = stdout.range(of: "</pre>", range: start.upperBound..<stdout.endIndex) else {
            throw TestSupportError("Chromium printed no layout report: \(stdout.prefix(500))")
        }
        let json = String(stdout[start.upperBound..<end.lowerBound]).replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "&quot;", with: "\"")
        return try JSONDecoder().decode(Layout.self, from: Data(json.utf8))
    }

    /// A PNG of the page at `url`, `width` × `height`; returns the console messages it logged.
    static func screenshot(url: String, width: Int, height: Int, to png: URL, folder: URL) async throws -> [String] {
        let (_, stderr) = try await run(["--hide-scrollbars", "--window-size=\(width),\(height)", "--screenshot=\(png.path)", url], folder: folder)
        return stderr.split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init)
    }

    static func run(_ arguments: [String], folder: URL) async throws -> (String, String) {
        guard let path else { throw TestSupportError("Chromium is not installed (apt-get install chromium); FINSENT_REQUIRE_BROWSER=1 needs it") }
        let process = Process()
        // At the lowest priority: Chromium's processes must not starve the tests that run beside this one.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/nice")
        let profile = folder.appendingPathComponent("chromium-profile-\(UUID().uuidString)")
        process.arguments = ["-n", "19", path, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions", "--mute-audio",
                             "--user-data-dir=\(profile.path)", "--enable-logging=stderr", "--v=0"] + arguments
        let out = folder.appendingPathComponent("chromium-\(UUID().uuidString).out"), err = folder.appendingPathComponent("chromium-\(UUID().uuidString).err")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = folder.path  // Chromium writes caches under HOME
        process.environment = environment
        try process.run()
        let status = try await waitForExit(process, timeout: .seconds(90))
        let stdout = (try? String(contentsOf: out, encoding: .utf8)) ?? "", stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        guard status == 0 else { throw TestSupportError("chromium exited \(status): \(stderr.suffix(2000))") }
        return (stdout, stderr)
    }
}
