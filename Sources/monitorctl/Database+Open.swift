import ArgumentParser
import GRDB
import Monitor
import Store

extension ConfigOptions {
    /// The configuration and its database opened read-only, or a clear error and exit status.
    func openForReading() throws -> (MonitorConfig, DatabasePool) {
        let config = try load()
        do {
            return (config, try MonitorDatabase.openForReading(path: config.database))
        } catch {
            printError("monitorctl: \(error)")
            throw ExitCode(ExitStatus.cannotCreate)
        }
    }

    /// The configuration and its database opened for writing (monitord may be running: SQLite's WAL lets both write).
    func openForWriting() throws -> (MonitorConfig, DatabasePool) {
        let config = try load()
        do {
            return (config, try MonitorDatabase.openForWriting(path: config.database))
        } catch {
            printError("monitorctl: \(error)")
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
