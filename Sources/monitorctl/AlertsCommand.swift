import ArgumentParser
import Foundation
import GRDB
import Monitor

/// `monitorctl alerts`: firing and pending alerts, recent history, silences; silence and unsilence.
struct AlertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "List alerts (firing, pending, recently resolved) and silences.",
        subcommands: [AlertsList.self, AlertsSilence.self, AlertsUnsilence.self],
        defaultSubcommand: AlertsList.self)
}

struct AlertsList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List alerts and silences.")
    @OptionGroup var options: ConfigOptions
    @Option(help: "How far back resolved alerts are listed.") var since: String = "24h"
    @Option(help: "table or json") var format: FeedsCommand.OutputFormat = .table

    func run() throws {
        guard let window = DurationText.parse(since) else {
            printError("monitorctl: --since: expected a duration like \"24h\"")
            throw ExitCode(ExitStatus.usage)
        }
        let (_, database) = try options.openForReading()
        let now = Date()
        let (alerts, silences) = try database.read { db in
            (try Row.fetchAll(db, sql: """
                SELECT * FROM alerts WHERE state != 'resolved' OR resolved_at > ?
                ORDER BY CASE state WHEN 'firing' THEN 0 WHEN 'pending' THEN 1 ELSE 2 END, updated_at DESC
                """, arguments: [now.millis - Int64(window.seconds * 1000)]),
             try Row.fetchAll(db, sql: "SELECT * FROM silences WHERE until_at > ? ORDER BY until_at", arguments: [now.millis]))
        }
        var out = OutputBuffer()
        func time(_ ms: Int64?) -> String { ms.map { Date(millis: $0).formatted(.iso8601) } ?? "-" }
        switch format {
        case .json:
            for a in alerts {
                out.write("{\"fingerprint\":\(jsonString(a["fingerprint"])),\"kind\":\(jsonString(a["kind"])),\"rule\":\(jsonString(a["rule_id"])),"
                    + "\"entity\":\(jsonString(a["entity"])),\"state\":\(jsonString(a["state"])),\"severity\":\(jsonString((a["severity"] as String?) ?? "")),"
                    + "\"value\":\((a["value"] as Double?).map { String($0) } ?? "null"),\"startedAt\":\(jsonString(time(a["started_at"]))),"
                    + "\"firedAt\":\(jsonString(time(a["fired_at"]))),\"resolvedAt\":\(jsonString(time(a["resolved_at"])))}\n")
            }
        case .table:
            if alerts.isEmpty { out.write("no alerts in the last \(since)\n") } else {
                out.write(renderTable([["STATE", "RULE", "ENTITY", "VALUE", "SEVERITY", "SINCE", "RESOLVED"]] + alerts.map { a in
                    [a["state"], a["rule_id"], Terminal.sanitise(a["entity"]), (a["value"] as Double?).map { String(format: "%.3f", $0) } ?? "-",
                     (a["severity"] as String?) ?? "-", time(a["fired_at"] ?? a["started_at"]), time(a["resolved_at"])]
                }))
            }
            if !silences.isEmpty {
                out.write("\nsilences:\n")
                out.write(renderTable([["ID", "MATCHES", "UNTIL", "COMMENT"]] + silences.map { s in
                    [String(s["id"] as Int64), s["matcher"], time(s["until_at"]), Terminal.sanitise(s["comment"])]
                }))
            }
        }
        out.flush()
    }
}

struct AlertsSilence: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "silence", abstract: "Stop notifications for a symbol or a rule for a while (alerts are still tracked).")
    @OptionGroup var options: ConfigOptions
    @Argument(help: "A ticker symbol (AAPL) or a rule id.") var matcher: String
    @Option(name: .customLong("for"), help: "How long, e.g. 2h.") var duration: String
    @Option(help: "Why (shown in listings).") var comment: String = ""

    func run() throws {
        guard let d = DurationText.parse(duration), d > .zero else {
            printError("monitorctl: --for: expected a duration like \"2h\"")
            throw ExitCode(ExitStatus.usage)
        }
        let (config, database) = try options.openForWriting()
        let known = Set(config.watchlist.map(\.symbol) + config.rules.map(\.id))
        let value = config.rules.contains { $0.id == matcher } ? matcher : matcher.uppercased()
        if !known.contains(value) { printError("monitorctl: note: \(matcher) is neither a watchlist symbol nor a rule id; silencing anyway") }
        let now = Date()
        let id = try database.write { db in
            try db.execute(sql: "INSERT INTO silences (matcher, comment, created_at, until_at) VALUES (?, ?, ?, ?)",
                           arguments: [value, comment, now.millis, now.addingTimeInterval(d.seconds).millis])
            return db.lastInsertedRowID
        }
        print("silence \(id): \(value) until \(now.addingTimeInterval(d.seconds).formatted(.iso8601))")
    }
}

struct AlertsUnsilence: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unsilence", abstract: "Remove a silence by id.")
    @OptionGroup var options: ConfigOptions
    @Argument(help: "The silence id (from `monitorctl alerts`).") var id: Int64

    func run() throws {
        let (_, database) = try options.openForWriting()
        let removed = try database.write { db in
            try db.execute(sql: "DELETE FROM silences WHERE id = ?", arguments: [id])
            return db.changesCount
        }
        guard removed > 0 else {
            printError("monitorctl: no silence \(id)")
            throw ExitCode(ExitStatus.usage)
        }
        print("silence \(id) removed")
    }
}
