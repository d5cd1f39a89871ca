import ArgumentParser
import Foundation
import Config
import Monitor
import Store

/// `monitorctl feeds`: each configured feed's polling health, read-only.
struct FeedsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feeds",
        abstract: "List feeds with their status, last poll, HTTP status, error streak, next poll and items seen.",
        discussion: """
            Status: healthy; backing off (the last polls failed; retrying with exponential backoff); unhealthy \
            (failed polling.unhealthyAfter times in a row: a source-health alert is firing; still retried at the \
            backoff cap); new (not polled yet). Feeds in the database but no longer configured are marked removed.
            """)

    @OptionGroup var options: ConfigOptions

    @Option(help: "table or json") var format: OutputFormat = .table

    enum OutputFormat: String, ExpressibleByArgument { case table, json }

    struct Row {
        var id: String, url: String, status: String, lastPolled: Int64?, lastStatus: Int?, errorStreak: Int
        var nextPoll: Int64?, itemsSeen: Int, duplicates: Int, lastError: String?, unhealthySince: Int64?
    }

    func run() async throws {
        let (config, store) = try await options.openStore()
        let configured = Set(config.feeds.map(\.id))
        func millis(_ date: Date?) -> Int64? { date.map { $0.millis } }
        var rows = try await store.feeds().map { r in
            Row(id: r.id, url: r.url, status: r.health(configured: configured.contains(r.id)).rawValue, lastPolled: millis(r.lastPolledAt),
                lastStatus: r.lastStatus, errorStreak: r.errorStreak, nextPoll: millis(r.nextPollAt), itemsSeen: r.itemsSeen,
                duplicates: r.duplicatesSeen, lastError: r.lastError, unhealthySince: millis(r.unhealthySince))
        }
        for feed in config.feeds where !rows.contains(where: { $0.id == feed.id }) {
            rows.append(Row(id: feed.id, url: feed.url.absoluteString, status: FeedHealth.new.rawValue, lastPolled: nil, lastStatus: nil,
                            errorStreak: 0, nextPoll: nil, itemsSeen: 0, duplicates: 0, lastError: nil, unhealthySince: nil))
        }
        var out = OutputBuffer()
        switch format {
        case .json:
            for r in rows {
                func time(_ ms: Int64?) -> String { ms.map { jsonString(Date(millis: $0).formatted(.iso8601)) } ?? "null" }
                out.write("{\"id\":\(jsonString(r.id)),\"url\":\(jsonString(r.url)),\"status\":\(jsonString(r.status)),"
                    + "\"lastPoll\":\(time(r.lastPolled)),\"lastStatus\":\(r.lastStatus.map(String.init) ?? "null"),"
                    + "\"errorStreak\":\(r.errorStreak),\"nextPoll\":\(time(r.nextPoll)),\"itemsSeen\":\(r.itemsSeen),"
                    + "\"duplicates\":\(r.duplicates),\"unhealthySince\":\(time(r.unhealthySince)),"
                    + "\"lastError\":\(r.lastError.map(jsonString) ?? "null")}\n")
            }
        case .table:
            let now = Date()
            let table = [["FEED", "STATUS", "LAST POLL", "HTTP", "ERRORS", "NEXT POLL", "ITEMS", "LAST ERROR"]] + rows.map { r in
                [r.id, r.status, r.lastPolled.map { relative(Date(millis: $0), now) } ?? "-", r.lastStatus.map { $0 == 0 ? "-" : String($0) } ?? "-",
                 String(r.errorStreak), r.nextPoll.map { relative(Date(millis: $0), now) } ?? "-", String(r.itemsSeen),
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
