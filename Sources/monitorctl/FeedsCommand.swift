import ArgumentParser
import Foundation
import Config
import Monitor
import Reports
import Store

/// `monitorctl feeds`: each configured feed's polling health, read-only.
struct FeedsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feeds",
        abstract: "List feeds and their health, or import an OPML list.",
        subcommands: [FeedsList.self, FeedsImport.self],
        defaultSubcommand: FeedsList.self)

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case table, json }
}

struct FeedsList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List feeds with their status, last poll, HTTP status, error streak, next poll and items seen.",
        discussion: """
            Status: healthy; backing off (the last polls failed; retrying with exponential backoff); unhealthy \
            (failed polling.unhealthyAfter times in a row, or failing with no success for polling.staleAfter: a \
            source-health alert is firing; still retried at the backoff cap); new (not polled yet). Feeds in the database but no longer configured are marked removed.
            """)

    @OptionGroup var options: ConfigOptions

    @Option(help: "table or json") var format: FeedsCommand.OutputFormat = .table

    func run() async throws {
        let (config, store) = try await options.openStore()
        let document = FeedListDocument(records: try await store.feeds(), config: config)
        var out = OutputBuffer()
        switch format {
        case .json:
            out.write(try JSONText.encode(document) + "\n")
        case .table:
            let now = Date()
            let table = [["FEED", "STATUS", "LAST POLL", "LAST SUCCESS", "HTTP", "ERRORS", "NEXT POLL", "ITEMS", "LAST ERROR"]] + document.feeds.map { r in
                [r.id, r.status, r.lastPoll.map { relative($0, now) } ?? "-", r.lastSuccess.map { relative($0, now) } ?? "-",
                 r.lastStatus.map(String.init) ?? "-", String(r.errorStreak), r.nextPoll.map { relative($0, now) } ?? "-", String(r.itemsSeen),
                 Terminal.sanitise(r.lastError ?? "")]
            }
            out.write(renderTable(table))
        }
        out.flush()
    }

    /// "12s ago", "in 4m".
    func relative(_ date: Date, _ now: Date) -> String {
        let seconds = Int(date.timeIntervalSince(now).rounded())
        let text = DurationText.format(.seconds(abs(seconds)))
        return seconds < 0 ? "\(text) ago" : seconds == 0 ? "now" : "in \(text)"
    }
}
