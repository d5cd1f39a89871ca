import ArgumentParser
import Config
import Monitor
import Store

extension ConfigOptions {
    /// The configuration and its existing database, or a clear error and exit status: 73 when the file
    /// is missing or cannot be opened (the message names the path looked for), 75 when another process
    /// holds it locked, 65 when it is damaged or its schema is not this binary's. Never creates a database: a wrong `--config` must not leave a new file behind.
    /// `.readOnly` is safe while monitord runs; `.existing` writes beside it (SQLite's WAL lets both write;
    /// on PostgreSQL, read-only sessions refuse writes).
    func openStore(_ mode: StoreOpenMode = .readOnly) async throws -> (MonitorConfig, any MonitorStore) {
        let config = try load()
        do {
            return (config, try await StoreOpener.open(config.database, mode: mode == .createAndMigrate ? .existing : mode, maxConnections: 2))
        } catch let error as StoreError {
            printError("monitorctl: \(error)")
            throw ExitCode(ExitStatus.of(error))
        } catch {
            printError("monitorctl: cannot open database \(config.database): \(error)")
            throw ExitCode(ExitStatus.cannotCreate)
        }
    }
}

/// A plain aligned table for people.
func renderTable(_ rows: [[String]]) -> String {
    guard let header = rows.first else { return "" }
    let widths = (0..<header.count).map { column in rows.map { $0[column].count }.max() ?? 0 }
    return rows.map { line in
        zip(line, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
            .trimmingCharacters(in: .whitespaces)
    }.joined(separator: "\n") + "\n"
}
