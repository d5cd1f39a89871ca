import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A real HTTP/1.1 server on 127.0.0.1 for tests: blocking sockets, a thread per
/// connection, keep-alive, and a handler that decides each response (status, headers,
/// body, delays, a dropped connection). Every request is recorded.
public final class LocalHTTPServer: Sendable {
    public struct Request: Sendable {
        public var method: String
        public var path: String
        /// Header names lower-cased.
        public var headers: [String: String]
        public var body: [UInt8]
        public var receivedAt: Date
        public func header(_ name: String) -> String? { headers[name.lowercased()] }
    }

    public struct Response: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: [UInt8]
        /// Wait this long before answering.
        public var delay: Duration = .zero
        /// Send the body in pieces of this size with `pause` between them (a slow server).
        public var chunkSize: Int? = nil
        public var pause: Duration = .zero
        /// Close the connection without answering.
        public var drop = false

        public init(status: Int = 200, headers: [(String, String)] = [], body: [UInt8] = [], delay: Duration = .zero) {
            self.status = status
            self.headers = headers
            self.body = body
            self.delay = delay
        }

        public init(status: Int = 200, headers: [(String, String)] = [], text: String, delay: Duration = .zero) {
            self.init(status: status, headers: headers, body: Array(text.utf8), delay: delay)
        }
    }

    public typealias Handler = @Sendable (Request) -> Response

    public let port: Int
    private let listener: Int32
    private let handler: Mutex<Handler>
    private let log = Mutex<[Request]>([])
    private let open = Mutex<Set<Int32>>([])
    private let connectionsSeen = Atomic<Int>(0)
    private let stopped = Atomic<Bool>(false)

    public var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }
    public func url(_ path: String) -> URL { URL(string: "http://127.0.0.1:\(port)\(path)")! }

    /// Requests received so far, in order.
    public var requests: [Request] { log.withLock { $0 } }
    /// TCP connections accepted so far.
    public var connections: Int { connectionsSeen.load(ordering: .relaxed) }

    /// Starts listening on the socket a `RefusingPort` held: the receiver that was down comes back on
    /// its port, with no moment in which another socket could take the port.
    public init(comingUpOn down: RefusingPort, handler: @escaping Handler) throws {
        let fd = down.handOver()
        guard fd >= 0, listen(fd, 1024) == 0 else { throw POSIXError(.EADDRINUSE) }
        port = down.port
        listener = fd
        self.handler = Mutex(handler)
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Listens on `port` (0: any free port).
    public init(port requested: Int = 0, handler: @escaping Handler) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = loopbackAddress(port: requested)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 1024) == 0 else { close(fd); throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        listener = fd
        self.handler = Mutex(handler)
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Replaces the handler (a receiver that comes back, a feed that changes).
    public func setHandler(_ handler: @escaping Handler) { self.handler.withLock { $0 = handler } }

    /// Stops listening and ends open connections; safe to call more than once.
    public func stop() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        // Only wake the accept thread here: it closes the listener itself, so the descriptor
        // cannot be reused by another server while this one's thread still accepts on it.
        shutdown(listener, Int32(SHUT_RDWR))
        open.withLock { fds in for fd in fds { shutdown(fd, Int32(SHUT_RDWR)) } }
    }

    deinit { stop() }

    private func acceptLoop() {
        defer { close(listener) }
        while !stopped.load(ordering: .relaxed) {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            if stopped.load(ordering: .relaxed) {
                close(client)
                return
            }
            connectionsSeen.add(1, ordering: .relaxed)
            open.withLock { _ = $0.insert(client) }
            let thread = Thread { [self] in
                serve(client)
                open.withLock { fds in  // closed under the lock: stop() never shuts down a reused descriptor
                    fds.remove(client)
                    close(client)
                }
            }
            thread.start()
        }
    }

    private func serve(_ fd: Int32) {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            // Read one request head.
            var headEnd: Int?
            while headEnd == nil {
                if let r = find(buffer, [13, 10, 13, 10]) { headEnd = r; break }
                let n = recv(fd, &chunk, chunk.count, 0)
                if n <= 0 { return }
                buffer.append(contentsOf: chunk[0..<n])
            }
            let head = String(decoding: buffer[0..<headEnd!], as: UTF8.self)
            buffer.removeFirst(headEnd! + 4)
            let lines = head.components(separatedBy: "\r\n")
            let requestLine = lines[0].split(separator: " ")
            guard requestLine.count >= 2 else { return }
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            let length = Int(headers["content-length"] ?? "0") ?? 0
            while buffer.count < length {
                let n = recv(fd, &chunk, chunk.count, 0)
                if n <= 0 { return }
                buffer.append(contentsOf: chunk[0..<n])
            }
            let body = Array(buffer[0..<length])
            buffer.removeFirst(length)
            let request = Request(method: String(requestLine[0]), path: String(requestLine[1]), headers: headers, body: body,
                                  receivedAt: Date())
            log.withLock { $0.append(request) }
            let response = handler.withLock { $0 }(request)
            if response.delay > .zero { sleep(response.delay) }
            if response.drop { return }
            var text = "HTTP/1.1 \(response.status) \(Self.reason(response.status))\r\n"
            var names = Set<String>()
            for (name, value) in response.headers {
                text += "\(name): \(value)\r\n"
                names.insert(name.lowercased())
            }
            let bodyAllowed = response.status != 304 && response.status != 204 && request.method != "HEAD"
            if !names.contains("content-length") && !names.contains("transfer-encoding") && bodyAllowed { text += "Content-Length: \(response.body.count)\r\n" }
            text += "\r\n"
            guard bodyAllowed else {
                guard send(fd, Array(text.utf8)) else { return }
                continue
            }
            if let size = response.chunkSize {
                guard send(fd, Array(text.utf8)) else { return }
                var offset = 0
                while offset < response.body.count {
                    let end = min(offset + size, response.body.count)
                    guard send(fd, Array(response.body[offset..<end])) else { return }
                    offset = end
                    sleep(response.pause)
                }
            } else if !send(fd, Array(text.utf8) + response.body) {  // one write: no Nagle stall between head and body
                return
            }
            if headers["connection"]?.lowercased() == "close" { return }
        }
    }

    private func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    private func sleep(_ duration: Duration) {
        guard duration > .zero else { return }
        let (s, atto) = duration.components
        var time = timespec(tv_sec: Int(s), tv_nsec: Int(atto / 1_000_000_000))
        nanosleep(&time, nil)
    }

    private func find(_ haystack: [UInt8], _ needle: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] && Array(haystack[i..<(i + needle.count)]) == needle {
            return i
        }
        return nil
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 204: "No Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 304: "Not Modified"
        case 308: "Permanent Redirect"
        case 404: "Not Found"
        case 410: "Gone"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}
