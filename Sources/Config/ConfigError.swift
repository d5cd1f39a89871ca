/// One problem in a configuration, at a key path such as `feeds[2].interval`.
public struct ConfigIssue: Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let message: String
    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// A configuration that cannot be used; monitord and monitorctl exit with 78 (EX_CONFIG).
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The configuration file (as given on the command line).
    public let file: String
    /// Every problem found, in document order.
    public let issues: [ConfigIssue]

    public init(file: String, issues: [ConfigIssue]) {
        self.file = file
        self.issues = issues
    }

    public init(file: String, message: String) {
        self.init(file: file, issues: [ConfigIssue(path: "", message: message)])
    }

    /// One line per problem, each starting with the file name.
    public var description: String {
        issues.map { "\(file): \($0)" }.joined(separator: "\n")
    }

    /// The exit status for a configuration error (sysexits.h EX_CONFIG).
    public static let exitCode: Int32 = 78
}
