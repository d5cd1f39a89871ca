import ArgumentParser
import Foundation
import Config
import Monitor
import Reports
import Store

/// `monitorctl alerts`: firing and pending alerts, recent history, silences; silence and unsilence.
struct AlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "List alerts (firing, pending, recently resolved) and silences.",
        subcommands: [AlertsList.self, AlertsSilence.self, AlertsUnsilence.self],
        defaultSubcommand: AlertsList.self)
}

struct AlertsList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List alerts and silences.")
    @OptionGroup var options: ConfigOptions
    @Option(help: "How far back resolved alerts are listed.") var since: String = "24h"
    @Option(help: "table or json") var format: FeedsCommand.OutputFormat = .table

    func run() async throws {
        guard let window = DurationText.parse(since) else {
            printError("monitorctl: --since: expected a duration like \"24h\"")
            throw ExitCode(ExitStatus.usage)
        }
        let (_, store) = try await options.openStore()
        let now = Date()
        let rows = try await store.alerts(activeOrResolvedAfter: now.addingTimeInterval(-window.seconds), limit: 10_000)
        let alerts = rows.map(\.alert)
        let silences = try await store.activeSilences(at: now)
        var out = OutputBuffer()
        func time(_ date: Date?) -> String { date.map(JSONText.timestamp) ?? "-" }
        switch format {
        case .json:
            out.write(try JSONText.encode(AlertListDocument(alerts: rows, silences: silences)) + "\n")
        case .table:
            if alerts.isEmpty { out.write("no alerts in the last \(since)\n") } else {
                out.write(renderTable([["STATE", "RULE", "ENTITY", "VALUE", "SEVERITY", "SINCE", "RESOLVED"]] + alerts.map { a in
                    [a.state.rawValue, a.ruleID, Terminal.sanitise(a.entity), a.value.map { String(format: "%.3f", $0) } ?? "-",
                     a.severity?.rawValue ?? "-", time(a.firedAt ?? a.startedAt), time(a.resolvedAt)]
                }))
            }
            if !silences.isEmpty {
                out.write("\nsilences:\n")
                out.write(renderTable([["ID", "MATCHES", "UNTIL", "COMMENT"]] + silences.map { s in
                    [String(s.id), s.matcher, time(s.untilAt), Terminal.sanitise(s.comment)]
                }))
            }
        }
        out.flush()
    }
}

struct AlertsSilence: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "silence", abstract: "Stop notifications for a symbol or a rule for a while (alerts are still tracked).")
    @OptionGroup var options: ConfigOptions
    @Argument(help: "A ticker symbol (AAPL) or a rule id.") var matcher: String
    @Option(name: .customLong("for"), help: "How long, e.g. 2h.") var duration: String
    @Option(help: "Why (shown in listings).") var comment: String = ""

    func run() async throws {
        guard let d = DurationText.parse(duration), d > .zero else {
            printError("monitorctl: --for: expected a duration like \"2h\"")
            throw ExitCode(ExitStatus.usage)
        }
        let (config, store) = try await options.openStore(.existing)
        let known = Set(config.watchlist.map(\.symbol) + config.rules.map(\.id))
        let value = config.rules.contains { $0.id == matcher } ? matcher : matcher.uppercased()
        if !known.contains(value) { printError("monitorctl: note: \(matcher) is neither a watchlist symbol nor a rule id; silencing anyway") }
        let now = Date()
        let id = try await store.addSilence(matcher: value, comment: comment, at: now, until: now.addingTimeInterval(d.seconds))
        print("silence \(id): \(value) until \(JSONText.timestamp(now.addingTimeInterval(d.seconds)))")
    }
}

struct AlertsUnsilence: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unsilence", abstract: "Remove a silence by id.")
    @OptionGroup var options: ConfigOptions
    @Argument(help: "The silence id (from `monitorctl alerts`).") var id: Int64

    func run() async throws {
        let (_, store) = try await options.openStore(.existing)
        guard try await store.removeSilence(id: id) else {
            printError("monitorctl: no silence \(id)")
            throw ExitCode(ExitStatus.usage)
        }
        print("silence \(id) removed")
    }
}
