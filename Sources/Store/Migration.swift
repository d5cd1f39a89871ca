import Crypto
import Foundation

/// One schema step, read from `migrations/NNNN_name.sql`.
///
/// Shipped migrations are never edited: the migrator records each one's
/// checksum when it applies it and refuses a database whose record disagrees.
public struct Migration: Sendable, Equatable {
    /// The number in the file name; migrations apply in ascending order.
    public let version: Int
    /// The part of the file name after the number, e.g. `initial`.
    public let name: String
    /// The SQL text, run as one transaction.
    public let sql: String

    /// Creates a migration from its parts.
    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// Creates a migration from a file name like `0002_add_index.sql`.
    /// Returns nil when the name does not follow that pattern.
    public init?(fileName: String, sql: String) {
        guard fileName.hasSuffix(".sql") else { return nil }
        let stem = fileName.dropLast(4)
        guard let underscore = stem.firstIndex(of: "_"),
              let version = Int(stem[..<underscore]), version > 0,
              stem[..<underscore].allSatisfy(\.isASCII)
        else { return nil }
        let name = String(stem[stem.index(after: underscore)...])
        guard !name.isEmpty else { return nil }
        self.init(version: version, name: name, sql: sql)
    }

    /// The file name this migration is shipped as.
    public var fileName: String {
        let number = String(version)
        return String(repeating: "0", count: max(0, 4 - number.count)) + number + "_" + name + ".sql"
    }

    /// Lower-case hex SHA-256 of the SQL text.
    public var checksum: String {
        SHA256.hash(data: Data(sql.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}

extension Migration {
    /// The migrations compiled into this binary (generated from `migrations/`
    /// by `scripts/embed-migrations.sh`; a test keeps the two identical).
    public static let shipped: [Migration] = EmbeddedMigrations.files.map { file in
        guard let migration = Migration(fileName: file.name, sql: file.sql) else {
            preconditionFailure("embedded migration \(file.name) has an invalid name")
        }
        return migration
    }
}
