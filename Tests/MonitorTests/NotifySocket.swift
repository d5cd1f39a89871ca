import Foundation

/// A Unix datagram socket standing in for systemd's `$NOTIFY_SOCKET`.
final class NotifySocket {
    let path: String
    private let fd: Int32
    private(set) var messages: [String] = []

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else { throw TestSupportError("bind \(path): errno \(errno)") }
    }

    deinit { close(fd) }

    /// Reads every datagram waiting, without blocking.
    func drain() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            guard count > 0 else { return }
            messages.append(String(decoding: buffer[0..<count], as: UTF8.self))
        }
    }

    /// Waits until a received message contains `line` as one of its lines.
    func waitFor(_ line: String, timeout: Duration = .seconds(20)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            drain()
            if messages.contains(where: { $0.split(separator: "\n").contains(Substring(line)) }) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestSupportError("no \(line) on the notify socket within \(timeout); got \(messages)")
    }

    /// How many messages so far contain `line`.
    func count(_ line: String) -> Int {
        drain()
        return messages.filter { $0.split(separator: "\n").contains(Substring(line)) }.count
    }
}
