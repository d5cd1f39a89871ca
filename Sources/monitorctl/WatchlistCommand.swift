import ArgumentParser
import Config
import Foundation
import Monitor

/// `monitorctl watchlist import FILE.csv`: a desk's universe as one file.
struct WatchlistCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watchlist", abstract: "Work with the watchlist.", subcommands: [WatchlistImport.self])
}

struct WatchlistImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Convert a CSV of symbol,name,aliases into the watchlist file monitord reads (watchlistFile).",
        discussion: """
            One entity a row: symbol (AAPL, BRK.B), name (matched in text, may be empty), aliases (more names, \
            separated by ';'). A first row starting with "symbol" is a header. Every problem is listed with its \
            line number and nothing is written (exit 65). The output replaces FILE atomically; monitord reads it \
            at start and on SIGHUP.
            """)

    @OptionGroup var options: ConfigOptions
    @Argument(help: "The CSV file.") var file: String
    @Option(help: "Where to write (default: watchlist.json beside the configuration).") var output: String?

    func run() throws {
        let text = try ConfigFragment.input(file)
        let (entries, problems) = Self.entries(text)
        if !problems.isEmpty {
            for problem in problems.prefix(50) { printError("\(file):\(problem)") }
            if problems.count > 50 { printError("\(file): … and \(problems.count - 50) more problems") }
            printError("monitorctl: nothing written")
            throw ExitCode(ExitStatus.dataError)
        }
        guard !entries.isEmpty else {
            printError("monitorctl: \(file): no entities")
            throw ExitCode(ExitStatus.dataError)
        }
        try ConfigFragment.save(entries.map { ["symbol": $0.symbol, "names": $0.names, "aliases": $0.aliases] }, key: "watchlist",
                                fileKey: "watchlistFile", what: "entities", defaultName: "watchlist.json", output: output, config: options.config)
    }

    /// The entities of the CSV text, or the problems ("LINE: message").
    static func entries(_ text: String) -> ([WatchlistEntry], [String]) {
        let records: [CSVRecords.Record]
        do { records = try CSVRecords.parse(text) } catch { return ([], ["\(error.line): \(error.message)"]) }
        var entries: [WatchlistEntry] = [], problems: [String] = []
        var seen: [String: Int] = [:]
        for (index, record) in records.enumerated() {
            let fields = record.fields.map { $0.trimmingCharacters(in: .whitespaces) }
            if index == 0, fields.first?.lowercased() == "symbol" { continue }
            guard fields.count <= 3 else {
                problems.append("\(record.line): expected at most 3 fields (symbol,name,aliases), got \(fields.count); quote a name that has a comma")
                continue
            }
            guard let symbol = WatchlistEntry.symbol(fields[0]) else {
                problems.append("\(record.line): \"\(fields[0])\" is not a ticker symbol (a letter, then letters, digits, '.' or '-', at most 12)")
                continue
            }
            if let earlier = seen[symbol] {
                problems.append("\(record.line): \(symbol) again (first on line \(earlier))")
                continue
            }
            seen[symbol] = record.line
            let names = fields.count > 1 && !fields[1].isEmpty ? [fields[1]] : []
            let aliases = fields.count > 2 ? fields[2].split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } : []
            entries.append(WatchlistEntry(symbol: symbol, names: names, aliases: aliases))
        }
        return (entries, problems)
    }
}
