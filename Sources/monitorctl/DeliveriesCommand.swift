import ArgumentParser
import Foundation
import GRDB
import Monitor

/// `monitorctl deliveries`: the webhook outbox; `deliveries retry ID` replays one.
struct DeliveriesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliveries",
        abstract: "List webhook deliveries (newest first) or retry one.",
        subcommands: [DeliveriesList.self, DeliveriesRetry.self],
        defaultSubcommand: DeliveriesList.self)
}

struct DeliveriesList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List webhook deliveries.")
    @OptionGroup var options: ConfigOptions
    @Flag(help: "Only failed and disabled deliveries.") var failed = false
    @Option(help: "At most this many.") var limit = 50
    @Option(help: "table or json") var format: FeedsCommand.OutputFormat = .table

    func run() throws {
        let (_, database) = try options.openForReading()
        let rows = try database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT d.*, (SELECT error FROM delivery_attempts a WHERE a.delivery_id = d.id ORDER BY a.id DESC LIMIT 1) AS last_error,
                       (SELECT http_status FROM delivery_attempts a WHERE a.delivery_id = d.id ORDER BY a.id DESC LIMIT 1) AS last_status
                FROM webhook_deliveries d \(failed ? "WHERE d.status IN ('failed', 'disabled')" : "")
                ORDER BY d.id DESC LIMIT ?
                """, arguments: [limit])
        }
        func time(_ ms: Int64?) -> String { ms.map { Date(millis: $0).formatted(.iso8601) } ?? "-" }
        var out = OutputBuffer()
        switch format {
        case .json:
            for r in rows {
                out.write("{\"id\":\(r["id"] as Int64),\"messageId\":\(jsonString(r["message_id"])),\"webhook\":\(jsonString(r["webhook_id"])),"
                    + "\"type\":\(jsonString(r["event_type"])),\"status\":\(jsonString(r["status"])),\"attempts\":\(r["attempts"] as Int),"
                    + "\"createdAt\":\(jsonString(time(r["created_at"]))),\"nextAttemptAt\":\(jsonString(time(r["next_attempt_at"]))),"
                    + "\"deliveredAt\":\(jsonString(time(r["delivered_at"]))),\"lastStatus\":\((r["last_status"] as Int?).map(String.init) ?? "null"),"
                    + "\"lastError\":\((r["last_error"] as String?).map(jsonString) ?? "null")}\n")
            }
        case .table:
            if rows.isEmpty { out.write(failed ? "no failed deliveries\n" : "no deliveries\n") } else {
                out.write(renderTable([["ID", "WEBHOOK", "TYPE", "STATUS", "ATTEMPTS", "CREATED", "NEXT/DELIVERED", "LAST ERROR"]] + rows.map { r in
                    let status: String = r["status"]
                    return [String(r["id"] as Int64), r["webhook_id"], r["event_type"], status, String(r["attempts"] as Int), time(r["created_at"]),
                            status == "delivered" ? time(r["delivered_at"]) : status == "pending" ? time(r["next_attempt_at"]) : "-",
                            Terminal.sanitise((r["last_error"] as String?) ?? "")]
                }))
            }
        }
        out.flush()
    }
}

struct DeliveriesRetry: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Send a delivery again now (same webhook-id), re-enabling its endpoint if a 410 had disabled it.")
    @OptionGroup var options: ConfigOptions
    @Argument(help: "The delivery id (from `monitorctl deliveries`).") var id: Int64

    func run() throws {
        let (_, database) = try options.openForWriting()
        let webhook = try database.write { db -> String? in
            guard let webhook = try String.fetchOne(db, sql: "SELECT webhook_id FROM webhook_deliveries WHERE id = ?", arguments: [id]) else { return nil }
            let now = Date().millis
            try db.execute(sql: "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?, created_at = ? WHERE id = ?",
                           arguments: [now, now, id])
            try db.execute(sql: "UPDATE webhook_endpoints SET disabled_at = NULL, reason = NULL WHERE id = ?", arguments: [webhook])
            return webhook
        }
        guard let webhook else {
            printError("monitorctl: no delivery \(id)")
            throw ExitCode(ExitStatus.usage)
        }
        print("delivery \(id) to \(webhook) queued; monitord sends it within a second")
    }
}
