import Foundation
import LocalHTTPServer
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The HTTP API against clients that misbehave: requests too long, too many headers, slow and
/// stalled connections, nonsense parameters. Each gets a 4xx or is closed; never a 500 or a crash,
/// and the pipeline behind the API keeps scoring meanwhile.
@Suite("Hostile HTTP clients", .serialized)
struct HostileClientTests {
    /// A raw TCP client on 127.0.0.1 (URLSession would refuse to send what these tests send).
    final class RawConnection {
        let fd: Int32

        init(port: Int) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = loopbackAddress(port: port)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard fd >= 0, connected == 0 else { close(fd); throw POSIXError(.ECONNREFUSED) }
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        deinit { close(fd) }

        /// Sends what it can (the server may close the connection part way: that is an answer too).
        func send(_ text: String) {
            let bytes = Array(text.utf8)
            var sent = 0
            while sent < bytes.count {
                let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { return }
                sent += n
            }
        }

        /// Everything until the server closes the connection or goes quiet for the receive timeout.
        func receive() -> String {
            var out = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n <= 0 { break }
                out += buffer[..<n]
                if let text = String(bytes: out, encoding: .utf8), text.contains("\r\n\r\n"), !text.contains("Transfer-Encoding: chunked") {
                    // a complete head; the bodies here are small and come with it
                    if let length = text.range(of: "Content-Length: ").map({ Int(text[$0.upperBound...].prefix { $0.isNumber }) ?? 0 }),
                       let bodyStart = text.range(of: "\r\n\r\n") {
                        if text[bodyStart.upperBound...].utf8.count >= length { break }
                    } else { break }
                }
            }
            return String(decoding: out, as: UTF8.self)
        }

        /// Whether the server has closed this connection (within `seconds`).
        func closedByServer(within seconds: Int) -> Bool {
            var timeout = timeval(tv_sec: seconds, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var byte: UInt8 = 0
            return recv(fd, &byte, 1, 0) == 0
        }
    }

    /// The status of a raw exchange: the number in the status line, or nil when the server closed without one.
    static func status(_ response: String) -> Int? {
        guard response.hasPrefix("HTTP/1.1 ") else { return nil }
        return Int(response.dropFirst(9).prefix(3))
    }

    static func exchange(_ port: Int, _ request: String) throws -> Int? {
        let connection = try RawConnection(port: port)
        connection.send(request)
        return status(connection.receive())
    }

    @Test("oversized request lines and headers, too many headers, nonsense parameters: 4xx or closed, never 5xx; slow connections are bounded and closed; the pipeline keeps scoring")
    func hostileClients() async throws {
        let rig = try WireRig(prefix: "h", perPoll: 8, window: 64, apiSettings: ["idleTimeout": "2s", "maxConnections": 64]) { i in
            "Contoso and Fabrikam headline \(i) as markets move"
        }
        defer { rig.stop() }
        let daemon = rig.daemon, port = rig.port
        try await daemon.ready()
        try await eventually("scoring under way", timeout: .seconds(60)) { daemon.count("SELECT count(*) FROM scores") >= 16 }
        let scoredBefore = daemon.count("SELECT count(*) FROM scores")

        // Slow clients: 48 connections that send half a request and stall.
        let slow = try (0..<48).map { _ in
            let c = try RawConnection(port: port)
            c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n")
            return c
        }
        // Meanwhile the API answers others.
        let answers: [(String, String)] = [
            ("a request line of 100 KB", "GET /v1/risk?entity=" + String(repeating: "A", count: 100_000) + " HTTP/1.1\r\nHost: x\r\n\r\n"),
            ("a header of 200 KB", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "b", count: 200_000) + "\r\n\r\n"),
            ("2,000 headers", "GET /healthz HTTP/1.1\r\nHost: x\r\n" + (0..<2000).map { "X-H\($0): v\r\n" }.joined() + "\r\n"),
            ("not HTTP", "\u{16}\u{03}\u{01}\u{02}\u{00}\u{01}\u{00}\u{01}\u{fc}\u{03}\u{03}garbage\r\n\r\n"),
            ("a bad method", "BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n"),
            ("top not a number", "GET /v1/risk?top=lots HTTP/1.1\r\nHost: x\r\n\r\n"),
            ("an enormous limit", "GET /v1/stories?limit=99999999999999999999999 HTTP/1.1\r\nHost: x\r\n\r\n"),
            ("a broken escape", "GET /v1/risk?since=%ZZ&until=%E0%A4%A HTTP/1.1\r\nHost: x\r\n\r\n"),
            ("a NUL in the path", "GET /entity/%00?since=1h HTTP/1.1\r\nHost: x\r\n\r\n"),
            ("a negative window", "GET /v1/risk?window=-1h HTTP/1.1\r\nHost: x\r\n\r\n"),
            // Found by `scripts/fuzz.sh date`: this `since` crashed Foundation's ISO 8601 parser (SIGFPE in ICU), and monitord with it.
            ("the time that crashed ICU", "GET /v1/risk?since=2056-11-25T10:00:00.1211111111111111111111111111111111111111111111111111111113111111111111%2B0d,:3 HTTP/1.1\r\nHost: x\r\n\r\n"),
        ]
        for (what, request) in answers {
            let status = try Self.exchange(port, request)
            #expect(status.map { (400..<500).contains($0) } ?? true, "\(what): HTTP \(status.map(String.init) ?? "closed")")
        }
        // A body that never comes: /healthz reads none, so it answers; nothing else waits on it.
        let lying = try Self.exchange(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\nshort")
        #expect(lying.map { $0 < 500 } ?? true, "a Content-Length that lies: HTTP \(lying.map(String.init) ?? "closed")")
        let health = try Self.exchange(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(health == 200 || health == 503, "the API still answers beside 48 stalled connections")
        // Stalled connections are closed after api.idleTimeout (2 s).
        let closed = slow.prefix(8).filter { $0.closedByServer(within: 6) }.count
        #expect(closed == 8, "stalled connections closed: \(closed) of 8")
        // More connections than api.maxConnections wait in the backlog rather than taking memory.
        let flood = try (0..<100).map { _ in try RawConnection(port: port) }
        try await Task.sleep(for: .seconds(3))
        _ = flood
        #expect(daemon.process.isRunning)
        try await eventually("scoring went on", timeout: .seconds(60)) { daemon.count("SELECT count(*) FROM scores") >= scoredBefore + 32 }
        #expect(!daemon.log.contains("status=500") && !daemon.log.contains(" 500 "), "no 500s: \(daemon.log.suffix(2000))")
        try await daemon.stop()
    }
}
