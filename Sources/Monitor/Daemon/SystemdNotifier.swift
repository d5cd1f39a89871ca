import Foundation

/// Sends the systemd notification protocol (`sd_notify(3)`) to `$NOTIFY_SOCKET`:
/// one datagram per message on a Unix socket, a path or, starting with `@`,
/// an abstract-namespace name. Without `$NOTIFY_SOCKET` every call does nothing,
/// so the daemon runs the same outside systemd.
public struct SystemdNotifier: Sendable {
    /// The socket address from the environment, nil when not run under systemd.
    public let socketPath: String?
    /// Half of `$WATCHDOG_USEC` when systemd expects watchdog pings from this process.
    public let watchdogInterval: Duration?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        socketPath = path
        if let usec = environment["WATCHDOG_USEC"].flatMap(Int64.init), usec > 0,
           environment["WATCHDOG_PID"].flatMap(Int32.init).map({ $0 == getpid() }) ?? true {
            watchdogInterval = .microseconds(usec / 2)
        } else {
            watchdogInterval = nil
        }
    }

    /// Sends one notification, e.g. `"READY=1\nSTATUS=serving"`.
    /// Throws when the socket exists but the message cannot be sent.
    public func notify(_ message: String) throws {
        guard let socketPath else { return }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(socketPath.utf8)
        if pathBytes.first == UInt8(ascii: "@") { pathBytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else { throw NotifyError(message: "NOTIFY_SOCKET path is too long", errno: ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: pathBytes)
        }
        // Abstract addresses are exactly as long as their name; paths include the terminating NUL.
        let length = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + pathBytes.count + (pathBytes.first == 0 ? 0 : 1)

        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw NotifyError(message: "socket(AF_UNIX)", errno: errno) }
        defer { close(fd) }
        let bytes = Array(message.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                sendto(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL), socketAddress, socklen_t(length))
            }
        }
        guard sent == bytes.count else { throw NotifyError(message: "sendto(\(socketPath))", errno: errno) }
    }

    /// Why a notification could not be sent: the failing call and its errno.
    public struct NotifyError: Error, CustomStringConvertible {
        public let message: String
        public let errno: Int32
        public var description: String { "\(message): \(String(cString: strerror(errno)))" }
    }
}
