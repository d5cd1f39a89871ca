import Foundation
import GRDB
import Testing
@testable import Store

/// A fresh folder under the system temporary directory, removed by the caller.
func temporaryDatabasePath() throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("finsent-store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder.appendingPathComponent("monitor.sqlite").path
}

let expectedTables: Set<String> = [
    "feeds", "items", "scores", "entities", "mentions", "stories", "story_items", "alerts", "alert_events", "silences",
    "webhook_deliveries", "delivery_attempts", "schema_migrations", "webhook_endpoints", "retention_runs", "cluster_instances", "cluster_roles",
]

func tableNames(_ reader: some DatabaseReader) throws -> Set<String> {
    try reader.read { db in
        Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"))
    }
}

@Suite("Migrations")
struct MigratorTests {
    @Test("the binary embeds exactly the files in migrations/")
    func embeddedMatchesFolder() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../migrations").standardizedFileURL
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
        let onDisk = try files.map { Migration(fileName: $0, sql: try String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8)) }
        #expect(onDisk.allSatisfy { $0 != nil }, "every file in migrations/ is named NNNN_name.sql")
        #expect(onDisk.compactMap { $0 } == Migration.shipped,
                "Sources/Store/EmbeddedMigrations.swift is stale: run scripts/embed-migrations.sh")
        #expect(Migration.shipped.map(\.version) == Array(1...Migration.shipped.count), "versions are 1, 2, 3… without gaps")
    }

    @Test("a new file gets every table, WAL mode, foreign keys and one recorded migration")
    func newDatabase() throws {
        let path = try temporaryDatabasePath()
        let pool = try MonitorDatabase.openForWriting(path: path)
        #expect(try tableNames(pool) == expectedTables)
        let (mode, foreignKeys, applied) = try pool.read { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA foreign_keys"),
             try Migrator.applied(in: db))
        }
        #expect(mode == "wal")
        #expect(foreignKeys == 1)
        #expect(applied.map(\.version) == Migration.shipped.map(\.version))
        #expect(applied.map(\.checksum) == Migration.shipped.map(\.checksum))
        // Foreign keys are enforced: an item must belong to a known feed.
        #expect(throws: DatabaseError.self) {
            try pool.write { db in
                try db.execute(sql: "INSERT INTO items (canonical_id, content_hash, feed_id, published_at, fetched_at) VALUES ('x', 'h', 'nope', 0, 0)")
            }
        }
    }

    @Test("re-opening applies nothing and keeps the data")
    func reopen() throws {
        let path = try temporaryDatabasePath()
        do {
            let pool = try MonitorDatabase.openForWriting(path: path)
            try pool.write { db in
                try db.execute(sql: "INSERT INTO feeds (id, url, created_at) VALUES ('fed', 'https://example.com/feed', 1)")
            }
        }
        let migrator = try Migrator()
        let pool = try DatabasePool(path: path)
        #expect(try migrator.migrate(pool, path: path) == [])
        #expect(try pool.read { try String.fetchAll($0, sql: "SELECT id FROM feeds") } == ["fed"])
    }

    @Test("a shipped migration whose text changed is refused")
    func changedMigrationRefused() throws {
        let path = try temporaryDatabasePath()
        _ = try MonitorDatabase.openForWriting(path: path)
        var edited = Migration.shipped
        edited[0] = Migration(version: edited[0].version, name: edited[0].name, sql: edited[0].sql + "\n-- edited\n")
        let error = #expect(throws: StoreError.self) {
            _ = try MonitorDatabase.openForWriting(path: path, migrator: try Migrator(migrations: edited))
        }
        guard case .migrationChanged(let version, _, _, _) = error else {
            Issue.record("expected migrationChanged, got \(String(describing: error))")
            return
        }
        #expect(version == 1)
        #expect(error?.description.contains("0001_initial.sql was changed after it was applied") == true)
    }

    @Test("a database newer than the binary is refused, for writing and for reading")
    func newerDatabaseRefused() throws {
        let path = try temporaryDatabasePath()
        let future = Migration.shipped + [Migration(version: Migration.shipped.count + 1, name: "future", sql: "CREATE TABLE future (x);")]
        _ = try MonitorDatabase.openForWriting(path: path, migrator: try Migrator(migrations: future))
        let writeError = #expect(throws: StoreError.self) { _ = try MonitorDatabase.openForWriting(path: path) }
        #expect(writeError == .databaseNewer(path: path, databaseVersion: future.count, binaryVersion: Migration.shipped.count))
        #expect(writeError?.description.contains("newer than this binary knows") == true)
        let readError = #expect(throws: StoreError.self) { _ = try MonitorDatabase.openExisting(path: path, readOnly: true) }
        #expect(readError == writeError)
    }

    @Test("a new migration is applied alone on an existing database")
    func laterMigration() throws {
        let path = try temporaryDatabasePath()
        _ = try MonitorDatabase.openForWriting(path: path)
        let next = Migration(version: Migration.shipped.count + 1, name: "add_note", sql: "ALTER TABLE feeds ADD COLUMN note TEXT;")
        let migrator = try Migrator(migrations: Migration.shipped + [next])
        let pool = try DatabasePool(path: path)
        #expect(try migrator.migrate(pool, path: path) == [next.version])
        let columns = try pool.read { try $0.columns(in: "feeds").map(\.name) }
        #expect(columns.contains("note"))
    }

    @Test("a failing migration rolls back alone and names itself")
    func failingMigration() throws {
        let path = try temporaryDatabasePath()
        let broken = Migration(version: Migration.shipped.count + 1, name: "broken",
                               sql: "CREATE TABLE half_done (x); INSERT INTO no_such_table VALUES (1);")
        let error = #expect(throws: StoreError.self) {
            _ = try MonitorDatabase.openForWriting(path: path, migrator: try Migrator(migrations: Migration.shipped + [broken]))
        }
        #expect(error?.description.contains("\(broken.fileName) failed") == true, "\(String(describing: error))")
        let pool = try DatabasePool(path: path)
        #expect(try tableNames(pool) == expectedTables, "the broken migration's first statement was rolled back")
        #expect(try pool.read { try Migrator.applied(in: $0).map(\.version) } == Migration.shipped.map(\.version))
    }

    @Test("read-only opening works beside a writer and refuses writes")
    func readOnly() throws {
        let path = try temporaryDatabasePath()
        let writer = try MonitorDatabase.openForWriting(path: path)
        try writer.write { db in
            try db.execute(sql: "INSERT INTO feeds (id, url, created_at) VALUES ('a', 'https://example.com/a', 1)")
        }
        let reader = try MonitorDatabase.openExisting(path: path, readOnly: true)
        #expect(try reader.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM feeds") } == 1)
        #expect(throws: DatabaseError.self) {
            try reader.writeWithoutTransaction { try $0.execute(sql: "DELETE FROM feeds") }
        }
        // The writer keeps writing while the reader is open, and the reader sees it.
        try writer.write { db in
            try db.execute(sql: "INSERT INTO feeds (id, url, created_at) VALUES ('b', 'https://example.com/b', 2)")
        }
        #expect(try reader.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM feeds") } == 2)
    }

    @Test("read-only opening of a missing or unmigrated file says what to do")
    func readOnlyMissing() throws {
        let path = try temporaryDatabasePath()
        let missing = #expect(throws: StoreError.self) { _ = try MonitorDatabase.openExisting(path: path, readOnly: true) }
        #expect(missing?.description.contains("no such file") == true)
        _ = try DatabaseQueue(path: path)  // an empty SQLite file
        let outdated = #expect(throws: StoreError.self) { _ = try MonitorDatabase.openExisting(path: path, readOnly: true) }
        #expect(outdated == .databaseOutdated(path: path, databaseVersion: 0, binaryVersion: Migration.shipped.count))
    }

    @Test("migration file names", arguments: [
        ("0001_initial.sql", 1, "initial"), ("0042_add_index.sql", 42, "add_index"),
    ])
    func fileNames(name: String, version: Int, stem: String) throws {
        let migration = try #require(Migration(fileName: name, sql: ""))
        #expect(migration.version == version)
        #expect(migration.name == stem)
        #expect(migration.fileName == name)
    }

    @Test("names that are not migrations", arguments: ["initial.sql", "0001_.sql", "0001_initial.txt", "x001_a.sql", "0000_zero.sql"])
    func badFileNames(name: String) {
        #expect(Migration(fileName: name, sql: "") == nil)
    }
}
