import Foundation

/// Where the monitor's data lives: an SQLite file (the embedded default) or a PostgreSQL server
/// that several monitord instances share.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresLocation)

    /// True for the URI schemes that name a PostgreSQL server.
    public static func isPostgresURI(_ text: String) -> Bool {
        text.hasPrefix("postgresql://") || text.hasPrefix("postgres://")
    }

    /// The location as operators see it: the SQLite path, or the URI without its password.
    public var description: String {
        switch self {
        case let .sqlite(path): return path
        case let .postgres(location): return location.description
        }
    }

    /// The backend's name, for logs and `monitorctl db`.
    public var backend: String {
        switch self {
        case .sqlite: return "sqlite"
        case .postgres: return "postgresql"
        }
    }
}

/// A PostgreSQL server and database, from a libpq-style URI
/// `postgresql://[user[:password]@]host[:port]/dbname[?sslmode=…&application_name=…]`.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    /// How the connection uses TLS (libpq's `sslmode`, the values PostgresNIO supports).
    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, prefer, require
    }

    /// A host name or address; a path (starting with `/`) is the folder of a Unix socket.
    public var host: String
    public var port: Int
    public var user: String
    /// Never printed; from the URI, `databasePasswordEnv` or `databasePasswordFile`.
    public var password: String?
    public var database: String
    public var sslMode: SSLMode
    public var applicationName: String

    public init(host: String, port: Int = 5432, user: String, password: String? = nil, database: String,
                sslMode: SSLMode = .prefer, applicationName: String = "monitord") {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.sslMode = sslMode
        self.applicationName = applicationName
    }

    /// Parses a URI; the error says which part is wrong (and never repeats the password).
    public init(uri: String) throws(DatabaseLocationError) {
        guard DatabaseLocation.isPostgresURI(uri) else {
            throw .invalid("expected postgresql://[user[:password]@]host[:port]/dbname")
        }
        var rest = Substring(uri[uri.range(of: "://")!.upperBound...])
        var query = Substring("")
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        guard let slash = rest.firstIndex(of: "/") else { throw .invalid("no database name (…/dbname)") }
        let authority = rest[..<slash]
        let databaseName = try Self.decode(rest[rest.index(after: slash)...], part: "database name")
        guard !databaseName.isEmpty else { throw .invalid("no database name (…/dbname)") }
        var hostPort = authority
        var user = ProcessInfo.processInfo.environment["USER"] ?? "postgres"
        var password: String?
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            hostPort = authority[authority.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                user = try Self.decode(userInfo[..<colon], part: "user name")
                password = try Self.decode(userInfo[userInfo.index(after: colon)...], part: "password")
            } else {
                user = try Self.decode(userInfo, part: "user name")
            }
        }
        var host = "localhost"
        var port = 5432
        if hostPort.hasPrefix("[") {  // [IPv6]:port
            guard let close = hostPort.firstIndex(of: "]") else { throw .invalid("unclosed [ in the host") }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if after.hasPrefix(":") { port = try Self.port(after.dropFirst()) }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = try Self.decode(hostPort[..<colon], part: "host")
            port = try Self.port(hostPort[hostPort.index(after: colon)...])
        } else if !hostPort.isEmpty {
            host = try Self.decode(hostPort, part: "host")
        }
        var sslMode = SSLMode.prefer
        var applicationName = "monitord"
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0])
            let value = parts.count > 1 ? try Self.decode(parts[1], part: key) : ""
            switch key {
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    throw .invalid("sslmode must be one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(value)\"")
                }
                sslMode = mode
            case "application_name": applicationName = value
            case "host": host = value  // libpq: ?host=/run/postgresql names a socket folder
            case "user": user = value
            case "port": port = try Self.port(Substring(value))
            default: throw .invalid("unsupported parameter \"\(key)\" (supported: sslmode, application_name, host, port, user)")
            }
        }
        self.init(host: host, port: port, user: user, password: password, database: databaseName, sslMode: sslMode,
                  applicationName: applicationName)
    }

    /// True when `host` names a Unix socket folder.
    public var isUnixSocket: Bool { host.hasPrefix("/") }

    /// The socket file libpq would use for a socket folder.
    public var unixSocketPath: String { host + "/.s.PGSQL.\(port)" }

    /// The URI with the password left out.
    public var description: String {
        let hostPart = isUnixSocket ? "" : (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
        var text = "postgresql://\(user)@\(hostPart)/\(database)"
        var parameters: [String] = []
        if isUnixSocket { parameters.append("host=\(host)") ; if port != 5432 { parameters.append("port=\(port)") } }
        if sslMode != .prefer { parameters.append("sslmode=\(sslMode.rawValue)") }
        if !parameters.isEmpty { text += "?" + parameters.joined(separator: "&") }
        return text
    }

    static func decode(_ text: Substring, part: String) throws(DatabaseLocationError) -> String {
        guard let decoded = String(text).removingPercentEncoding else { throw .invalid("bad %-escape in the \(part)") }
        return decoded
    }

    static func port(_ text: Substring) throws(DatabaseLocationError) -> Int {
        guard let port = Int(text), (1...65535).contains(port) else { throw .invalid("port must be 1–65535, got \"\(text)\"") }
        return port
    }
}

/// Why a database location is not usable.
public enum DatabaseLocationError: Error, Equatable, CustomStringConvertible {
    case invalid(String)

    public var description: String {
        switch self {
        case let .invalid(message): return message
        }
    }
}
