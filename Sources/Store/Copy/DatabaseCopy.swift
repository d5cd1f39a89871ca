import Foundation
import GRDB
import PostgresNIO

/// Copies an SQLite database into PostgreSQL, table by table in key order, in batches: the way a
/// desk grows from one machine to several without losing history. Rows keep their ids (sequences
/// are moved past them), so a copy that was interrupted resumes with `append`: rows already there
/// are recognised by their keys and skipped. The SQLite file must not be in use by monitord
/// (`SQLiteDaemonLock`), so what is copied is what the file holds.
public struct DatabaseCopy: Sendable {
    /// Progress of one table.
    public struct Progress: Sendable {
        public var table: String
        public var copied: Int
        public var total: Int
    }

    /// The tables copied: all but the transient cluster membership.
    public static let tables = StoreInfo.tables.filter { !$0.hasPrefix("cluster_") }
    /// Rows per INSERT.
    public static let batchSize = 500

    let source: String
    let target: PostgresLocation

    public init(from sqlitePath: String, to target: PostgresLocation) {
        source = sqlitePath
        self.target = target
    }

    /// Why a copy did not start.
    public enum Refusal: Error, CustomStringConvertible, Equatable {
        case targetNotEmpty(String, rows: Int)

        public var description: String {
            switch self {
            case let .targetNotEmpty(location, rows):
                return "\(location) already holds \(rows) rows; pass --append to add to it (or to resume an interrupted copy)"
            }
        }
    }

    /// Copies every table; returns the rows inserted per table (rows already in the target are not counted).
    @discardableResult
    public func run(append: Bool, progress: @Sendable (Progress) -> Void = { _ in }) async throws -> [(table: String, inserted: Int)] {
        let lock = try SQLiteDaemonLock(database: source)
        defer { withExtendedLifetime(lock) {} }
        let reader = try SQLiteStore(path: source, mode: .readOnly)
        let writer = try await PostgresStore.open(target, mode: .createAndMigrate, maximumConnections: 2)
        do {
            let present = try await Self.tables.asyncReduce(0) { sum, table in
                sum + (try await writer.rows(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)")).first?.decode(Int.self) ?? 0)
            }
            if present > 0 && !append { throw Refusal.targetNotEmpty(target.description, rows: present) }
            var result: [(table: String, inserted: Int)] = []
            for table in Self.tables {
                result.append((table, try await copy(table, from: reader, to: writer, progress: progress)))
            }
            // Identity columns (ids, the score sequence) continue after the copied values.
            for table in Self.tables {
                for column in try await Self.identityColumns(table, writer) {
                    try await writer.run(PostgresQuery(unsafeSQL: """
                        SELECT setval(pg_get_serial_sequence('\(table)', '\(column)'), coalesce((SELECT max(\(column)) FROM \(table)), 0) + 1, false)
                        """))
                }
            }
            await writer.close()
            return result
        } catch {
            await writer.close()
            throw error
        }
    }

    func copy(_ table: String, from reader: SQLiteStore, to writer: PostgresStore,
              progress: @Sendable (Progress) -> Void) async throws -> Int {
        let targetTypes = Dictionary(try await writer.rows("""
            SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = \(table)
            """).map { try $0.decode((String, String).self) }) { a, _ in a }
        let targetColumns = Set(targetTypes.keys)
        let (columns, total, key) = try await reader.pool.read { db in
            let withoutRowID = try Bool.fetchOne(db, sql: "SELECT sql LIKE '%WITHOUT ROWID%' FROM sqlite_master WHERE type = 'table' AND name = ?",
                                                 arguments: [table]) ?? false
            return (try db.columns(in: table).map(\.name).filter { targetColumns.contains($0) },
                    try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0,
                    withoutRowID ? try db.primaryKey(table).columns : ["rowid"])  // WITHOUT ROWID tables page by their key
        }
        var copied = 0, inserted = 0
        var after: [DatabaseValue]?
        progress(Progress(table: table, copied: 0, total: total))
        let keyList = key.joined(separator: ", ")
        let keyColumns = key.enumerated().map { "\($0.element) AS copy_key\($0.offset)" }.joined(separator: ", ")
        while true {
            let start = after
            let (batch, last) = try await reader.pool.read { db -> ([[DatabaseValue]], [DatabaseValue]?) in
                let condition = start == nil ? "" : "WHERE (\(keyList)) > (\(key.map { _ in "?" }.joined(separator: ", ")))"
                let rows = try Row.fetchAll(db, sql: """
                    SELECT \(keyColumns), \(columns.joined(separator: ", ")) FROM \(table) \(condition) ORDER BY \(keyList) LIMIT ?
                    """, arguments: StatementArguments((start ?? []) + [Self.batchSize.databaseValue]))
                return (rows.map { row in columns.map { row[$0] as DatabaseValue } },
                        rows.last.map { row in key.indices.map { row["copy_key\($0)"] as DatabaseValue } })
            }
            guard let last, !batch.isEmpty else { break }
            var binds = PostgresBindings(capacity: batch.count * columns.count)
            var tuples: [String] = []
            for row in batch {
                var placeholders: [String] = []
                for (column, value) in zip(columns, row) {
                    switch value.storage {
                    case .null: binds.appendNull()
                    case let .int64(n): binds.append(n)
                    case let .double(x): binds.append(x)
                    case let .string(s): binds.append(s)
                    case let .blob(data) where targetTypes[column] == "bytea": binds.append(ByteBuffer(bytes: data))
                    case let .blob(data): binds.append(String(decoding: data, as: UTF8.self))
                    }
                    placeholders.append("$\(binds.count)")
                }
                tuples.append("(" + placeholders.joined(separator: ", ") + ")")
            }
            let sql = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES \(tuples.joined(separator: ", ")) "
                + "ON CONFLICT DO NOTHING RETURNING 1"
            inserted += try await writer.rows(PostgresQuery(unsafeSQL: sql, binds: binds)).count
            copied += batch.count
            after = last
            progress(Progress(table: table, copied: copied, total: total))
        }
        return inserted
    }

    static func identityColumns(_ table: String, _ writer: PostgresStore) async throws -> [String] {
        try await writer.rows("""
            SELECT column_name FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = \(table) AND is_identity = 'YES'
            """).map { try $0.decode(String.self) }
    }
}

extension Sequence {
    func asyncReduce<Result>(_ initial: Result, _ next: (Result, Element) async throws -> Result) async rethrows -> Result {
        var result = initial
        for element in self { result = try await next(result, element) }
        return result
    }
}
