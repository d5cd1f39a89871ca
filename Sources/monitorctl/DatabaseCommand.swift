import ArgumentParser
import Foundation
import GRDB
import Monitor
import Store

/// `monitorctl db`: the state of the database, read-only (safe while monitord runs).
struct DatabaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Show the database's schema version, size and row counts (read-only).")

    @OptionGroup var options: ConfigOptions

    static let tables = ["feeds", "items", "scores", "entities", "mentions", "alerts", "alert_events",
                         "silences", "webhook_deliveries", "delivery_attempts"]

    func run() throws {
        let config = try options.load()
        let database: DatabasePool
        do {
            database = try MonitorDatabase.openForReading(path: config.database)
        } catch let error as StoreError {
            printError("monitorctl: \(error)")
            if case .cannotOpen = error { throw ExitCode(ExitStatus.cannotCreate) }
            throw ExitCode(ExitStatus.dataError)
        }
        let (applied, counts) = try database.read { db in
            (try Migrator.applied(in: db),
             try Self.tables.map { ($0, try Int.fetchOne(db, sql: "SELECT count(*) FROM \($0)") ?? 0) })
        }
        let bytes = ["", "-wal"].compactMap {
            try? FileManager.default.attributesOfItem(atPath: config.database + $0)[.size] as? Int
        }.reduce(0, +)
        print("database: \(config.database)")
        print("size: \(ByteCountFormatter.string(fromByteCount: Int64(bytes), countStyle: .file))")
        print("schema version: \(applied.last?.version ?? 0)")
        for migration in applied {
            print("  \(Migration(version: migration.version, name: migration.name, sql: "").fileName)  applied \(migration.appliedAt.formatted(.iso8601))")
        }
        for (table, count) in counts {
            print("\(table.padding(toLength: 20, withPad: " ", startingAt: 0)) \(count)")
        }
    }
}
