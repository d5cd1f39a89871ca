import Foundation
import LocalHTTPServer
import Synchronization
import Testing
@testable import CurlHTTP

/// gzip-compressed bytes, made by the system's gzip (as a server would send them).
func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", "gzip -c"]
    let input = Pipe(), output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try process.run()
    let writer = Thread { input.fileHandleForWriting.write(Data(bytes)); try? input.fileHandleForWriting.close() }
    writer.start()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Array(data)
}

@Suite("HTTP over libcurl's multi interface")
struct CurlMultiClientTests {
    /// One client for the suite, as the daemon has one: the tests also run concurrently through it.
    static let sharedClient = CurlMultiClient(maxConcurrent: 32, maxPerHost: 4)
    var client: CurlMultiClient { Self.sharedClient }

    @Test("conditional GET: the stored ETag and Last-Modified are sent, and a 304 comes back empty")
    func conditionalGet() async throws {
        let server = try LocalHTTPServer { request in
            if request.header("If-None-Match") == "\"v1\"" { return .init(status: 304, headers: [("ETag", "\"v1\"")]) }
            return .init(headers: [("ETag", "\"v1\""), ("Last-Modified", "Wed, 25 Nov 2026 10:00:00 GMT")], text: "<rss/>")
        }
        defer { server.stop() }
        let first = try await client.perform(HTTPRequest(url: server.url("/feed")))
        #expect(first.status == 200)
        #expect(first.header("etag") == "\"v1\"")
        #expect(String(decoding: first.body, as: UTF8.self) == "<rss/>")
        let second = try await client.perform(HTTPRequest(url: server.url("/feed"), etag: first.header("etag"),
                                                          lastModified: first.header("last-modified")))
        #expect(second.status == 304)
        #expect(second.body.isEmpty)
        let sent = server.requests[1]
        #expect(sent.header("If-None-Match") == "\"v1\"")
        #expect(sent.header("If-Modified-Since") == "Wed, 25 Nov 2026 10:00:00 GMT")
    }

    @Test("the User-Agent and extra headers are sent; compression is offered and undone")
    func gzipAndHeaders() async throws {
        let text = String(repeating: "<item>Stocks rally</item>\n", count: 400)
        let compressed = try gzip(Array(text.utf8))
        let server = try LocalHTTPServer { request in
            guard request.header("Accept-Encoding")?.contains("gzip") == true else { return .init(status: 400, text: "no gzip offered") }
            return .init(headers: [("Content-Encoding", "gzip")], body: compressed)
        }
        defer { server.stop() }
        let response = try await client.perform(HTTPRequest(url: server.url("/gz"), headers: [("X-Api-Key", "k123")],
                                                            userAgent: "FinSentTest/1 (ops@example.com)"))
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == text)
        #expect(compressed.count < text.utf8.count / 10)
        #expect(server.requests[0].header("User-Agent") == "FinSentTest/1 (ops@example.com)")
        #expect(server.requests[0].header("X-Api-Key") == "k123")
    }

    @Test("a body over the cap aborts the transfer, whether or not Content-Length announces it")
    func bodyCap() async throws {
        let big = [UInt8](repeating: UInt8(ascii: "a"), count: 3 << 20)
        let server = try LocalHTTPServer { request in
            var response = LocalHTTPServer.Response(body: big)
            if request.path == "/chunked" {
                response.headers = [("Transfer-Encoding", "chunked")]
                response.body = Self.chunked(big)
            }
            return response
        }
        defer { server.stop() }
        for path in ["/announced", "/chunked"] {
            await #expect(throws: HTTPError.bodyTooLarge(limit: 1 << 20)) {
                _ = try await client.perform(HTTPRequest(url: server.url(path), maxBodyBytes: 1 << 20))
            }
        }
    }

    @Test("a server slower than the timeout fails the transfer with a timeout, on time")
    func timeout() async throws {
        let server = try LocalHTTPServer { _ in
            var r = LocalHTTPServer.Response(text: String(repeating: "x", count: 100))  // 30 s in all
            r.chunkSize = 1
            r.pause = .milliseconds(300)
            return r
        }
        defer { server.stop() }
        let start = ContinuousClock.now
        await #expect(throws: HTTPError.timedOut(.seconds(1))) {
            _ = try await client.perform(HTTPRequest(url: server.url("/slow"), timeout: .seconds(1)))
        }
        // Generous: the model tests hold both cooperative threads of a 2-core machine for seconds at a
        // time, so this task may resume late (12.5 s once under `swift test`); the body alone would take 30 s.
        #expect(ContinuousClock.now - start < .seconds(20))
    }

    @Test("a redirect loop stops at the limit; a redirect to file:// is refused; permanent moves are reported")
    func redirects() async throws {
        let server = try LocalHTTPServer { request in
            switch request.path {
            case "/loop": .init(status: 302, headers: [("Location", "/loop")])
            case "/steal": .init(status: 302, headers: [("Location", "file:///etc/passwd")])
            case "/old": .init(status: 301, headers: [("Location", "/older")])
            case "/older": .init(status: 308, headers: [("Location", "/new")])
            case "/temp": .init(status: 302, headers: [("Location", "/new")])
            default: .init(text: "here")
            }
        }
        defer { server.stop() }
        await #expect(throws: HTTPError.tooManyRedirects(3)) {
            _ = try await client.perform(HTTPRequest(url: server.url("/loop"), maxRedirects: 3))
        }
        do {
            let response = try await client.perform(HTTPRequest(url: server.url("/steal")))
            Issue.record("a redirect to file:// was followed: \(response.body.count) bytes")
        } catch {
            #expect(error.kind == "redirect" || error.kind == "url", "\(error)")
        }
        let moved = try await client.perform(HTTPRequest(url: server.url("/old")))
        #expect(moved.status == 200)
        #expect(moved.redirects == [301, 308])
        #expect(moved.permanentlyMovedTo == server.url("/new"))
        let temporary = try await client.perform(HTTPRequest(url: server.url("/temp")))
        #expect(temporary.permanentlyMovedTo == nil)
    }

    @Test("file:// URLs are read; a missing file is an error")
    func fileURLs() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("finsent-\(UUID().uuidString).xml")
        try Data("<rss version=\"2.0\"/>".utf8).write(to: path)
        defer { try? FileManager.default.removeItem(at: path) }
        let response = try await client.perform(HTTPRequest(url: path))
        #expect(response.status == 200)
        #expect(response.body.count == 20)
        await #expect(throws: HTTPError.self) {
            _ = try await client.perform(HTTPRequest(url: URL(fileURLWithPath: "/nonexistent/finsent.xml")))
        }
    }

    @Test("nothing listening: a connection error, quickly")
    func refused() async throws {
        let closed = try RefusingPort()
        let url = closed.url("/")
        do {
            _ = try await client.perform(HTTPRequest(url: url, connectTimeout: .seconds(2)))
            Issue.record("expected a connection error")
        } catch {
            #expect(error.kind == "connect", "\(error)")
        }
    }

    @Test("1,000 requests to one host: all answered, never more than the per-host limit at once, on one transfer thread")
    func manyRequests() async throws {
        let inFlight = Atomic<Int>(0), peak = Atomic<Int>(0)
        let server = try LocalHTTPServer { request in
            let now = inFlight.add(1, ordering: .relaxed).newValue
            var seen = peak.load(ordering: .relaxed)
            while now > seen, !peak.compareExchange(expected: seen, desired: now, ordering: .relaxed).exchanged { seen = peak.load(ordering: .relaxed) }
            usleep(2000)
            inFlight.subtract(1, ordering: .relaxed)
            return .init(text: "<rss version=\"2.0\"><channel><title>\(request.path)</title></channel></rss>")
        }
        defer { server.stop() }
        let threadsBefore = Self.threadCount(named: "curl-multi")
        let start = ContinuousClock.now
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<1000 { group.addTask { try await client.perform(HTTPRequest(url: server.url("/feed/\(i)"))).status } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        let elapsed = ContinuousClock.now - start
        #expect(statuses.count == 1000 && statuses.allSatisfy { $0 == 200 })
        #expect(peak.load(ordering: .relaxed) <= client.maxPerHost)
        #expect(server.connections <= client.maxPerHost * 4, "connections are reused: \(server.connections)")
        // Threads of the transfer loop and whatever it starts (they inherit its name). Counting every
        // thread of the test process would count the other suites running beside this one.
        let threadsAfter = Self.threadCount(named: "curl-multi")
        #expect(threadsAfter >= 1 && threadsAfter - threadsBefore < 10, "curl-multi threads: \(threadsBefore) before, \(threadsAfter) after")
        #expect(elapsed < .seconds(30))
    }

    @Test("800 requests queued at once on one host at 4 per host: done at the rate the limit allows, not a second per refill")
    func queuedBurstOnOneHost() async throws {
        // Start-up, or the end of an outage: thousands of feeds of one host due together. The server
        // answers everything in flight at the same moment (each 10 ms tick), so every running transfer
        // finishes in the same pass of the transfer loop; the freed slots must be refilled at once
        // rather than after the poll's one-second timeout.
        let client = CurlMultiClient(maxConcurrent: 64, maxPerHost: 4)
        defer { client.shutdown() }
        let server = try LocalHTTPServer { _ in
            let tick: UInt64 = 10_000_000
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            let ns = UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
            usleep(UInt32((tick - ns % tick) / 1000))
            // Closed after each answer: no idle connection is left for the loop's poll to watch.
            return .init(headers: [("Connection", "close")], text: "<rss version=\"2.0\"><channel><title>t</title></channel></rss>")
        }
        defer { server.stop() }
        let start = ContinuousClock.now
        let answered = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<800 { group.addTask { try await client.perform(HTTPRequest(url: server.url("/filings/\(i)"))).status } }
            return try await group.reduce(0) { $0 + ($1 == 200 ? 1 : 0) }
        }
        let elapsed = ContinuousClock.now - start
        #expect(answered == 800)
        // 200 rounds of 4 at one tick each is about 2 s; a loop that sleeps in its poll takes minutes.
        #expect(elapsed < .seconds(30), "\(elapsed)")
    }

    static func chunked(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + 65536, bytes.count)
            out += Array(String(end - offset, radix: 16).utf8) + [13, 10] + bytes[offset..<end] + [13, 10]
            offset = end
        }
        return out + Array("0\r\n\r\n".utf8)
    }

    /// The process's threads whose name (`/proc/self/task/*/comm`) is `name`.
    static func threadCount(named name: String) -> Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.filter { task in
            (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8))?.trimmingCharacters(in: .newlines) == name
        }.count
    }
}
