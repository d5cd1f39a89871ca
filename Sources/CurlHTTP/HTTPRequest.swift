import Foundation

/// One HTTP(S) or file:// request and the limits it runs under.
public struct HTTPRequest: Sendable {
    public var url: URL
    public var method: String
    /// Extra request headers, sent as given (`Authorization`, `Accept`, …).
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?
    /// For a conditional GET: the stored ETag (If-None-Match) and Last-Modified (If-Modified-Since).
    public var etag: String?
    public var lastModified: String?
    public var userAgent: String
    /// The whole transfer, connection included.
    public var timeout: Duration
    public var connectTimeout: Duration
    /// A larger body aborts the transfer with `HTTPError.bodyTooLarge`.
    public var maxBodyBytes: Int
    /// Redirects are followed (http and https only) up to this many times.
    public var maxRedirects: Int

    public init(url: URL, method: String = "GET", headers: [(name: String, value: String)] = [], body: [UInt8]? = nil,
                etag: String? = nil, lastModified: String? = nil, userAgent: String = "FinSentMonitor",
                timeout: Duration = .seconds(20), connectTimeout: Duration = .seconds(10), maxBodyBytes: Int = 10 << 20,
                maxRedirects: Int = 5) {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
        self.etag = etag
        self.lastModified = lastModified
        self.userAgent = userAgent
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.maxBodyBytes = maxBodyBytes
        self.maxRedirects = maxRedirects
    }
}

/// What came back: the final response after any redirects.
public struct HTTPResponse: Sendable {
    /// The HTTP status; 200 for a file:// read.
    public var status: Int
    /// The final response's headers, names lower-cased (a repeated header keeps its last value).
    public var headers: [String: String]
    /// The body, decompressed.
    public var body: [UInt8]
    /// The URL the body came from, after redirects.
    public var effectiveURL: URL
    /// The status of each redirect followed, in order.
    public var redirects: [Int]
    /// Time from start to the last byte.
    public var duration: Duration

    /// Set when every redirect followed was permanent (301, 308): the feed has moved.
    public var permanentlyMovedTo: URL? {
        !redirects.isEmpty && redirects.allSatisfy { $0 == 301 || $0 == 308 } ? effectiveURL : nil
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// Why a transfer produced no response.
public enum HTTPError: Error, Equatable, CustomStringConvertible {
    case timedOut(Duration)
    case bodyTooLarge(limit: Int)
    case tooManyRedirects(Int)
    /// A redirect to a scheme other than http/https (file://, ftp://, …), refused.
    case redirectRefused(String)
    case unsupportedURL(String)
    case couldNotResolve(String)
    case couldNotConnect(String)
    case tls(String)
    case transfer(code: Int, message: String)
    /// The client was shut down before the transfer finished.
    case cancelled

    /// A short, stable name for metrics and logs ("timeout", "connect", …).
    public var kind: String {
        switch self {
        case .timedOut: "timeout"
        case .bodyTooLarge: "too_large"
        case .tooManyRedirects, .redirectRefused: "redirect"
        case .unsupportedURL: "url"
        case .couldNotResolve: "dns"
        case .couldNotConnect: "connect"
        case .tls: "tls"
        case .transfer: "transfer"
        case .cancelled: "cancelled"
        }
    }

    public var description: String {
        switch self {
        case let .timedOut(limit): "timed out after \(limit.components.seconds) s"
        case let .bodyTooLarge(limit): "response body larger than \(limit) bytes, transfer aborted"
        case let .tooManyRedirects(n): "more than \(n) redirects"
        case let .redirectRefused(why): "redirect refused: \(why)"
        case let .unsupportedURL(why): "unsupported URL: \(why)"
        case let .couldNotResolve(why): why.lowercased().hasPrefix("could not resolve") ? why : "could not resolve host: \(why)"
        case let .couldNotConnect(why): why.lowercased().hasPrefix("could not connect") || why.lowercased().hasPrefix("failed to connect") ? why : "could not connect: \(why)"
        case let .tls(why): "TLS error: \(why)"
        case let .transfer(code, message): "transfer failed (curl \(code)): \(message)"
        case .cancelled: "cancelled at shutdown"
        }
    }
}
