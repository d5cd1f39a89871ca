import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A port on 127.0.0.1 that refuses connections: bound (so nothing else takes it) but not listening.
public final class RefusingPort: Sendable {
    public let port: Int
    private let fd: Int32
    private let open = Mutex(true)

    public init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = loopbackAddress(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, bound == 0 else { throw POSIXError(.EADDRNOTAVAIL) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        self.fd = fd
    }

    public func url(_ path: String) -> URL { URL(string: "http://127.0.0.1:\(port)\(path)")! }

    /// Gives the bound socket to a server that comes back on it (`LocalHTTPServer(comingUpOn:)`); -1 if released.
    func handOver() -> Int32 {
        open.withLock { isOpen in
            defer { isOpen = false }
            return isOpen ? fd : -1
        }
    }

    /// Frees the port.
    public func release() {
        open.withLock { isOpen in
            if isOpen { close(fd) }
            isOpen = false
        }
    }

    deinit { release() }
}

/// 127.0.0.1:`port` as a socket address (0: any free port, when binding).
public func loopbackAddress(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return address
}
