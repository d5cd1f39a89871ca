import ArgumentParser
import Foundation
import Config
import Monitor
import Reports
import Store

/// `monitorctl deliveries`: the webhook outbox; `deliveries retry ID` replays one.
struct DeliveriesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliveries",
        abstract: "List webhook deliveries (newest first) or retry one.",
        subcommands: [DeliveriesList.self, DeliveriesRetry.self],
        defaultSubcommand: DeliveriesList.self)
}

struct DeliveriesList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List webhook deliveries.")
    @OptionGroup var options: ConfigOptions
    @Flag(help: "Only failed and disabled deliveries.") var failed = false
    @Option(help: "At most this many.") var limit = 50
    @Option(help: "table or json") var format: FeedsCommand.OutputFormat = .table

    func run() async throws {
        let (_, store) = try await options.openStore()
        let rows = try await store.deliveries(failedOnly: failed, limit: limit)
        func time(_ date: Date?) -> String { date.map(JSONText.timestamp) ?? "-" }
        var out = OutputBuffer()
        switch format {
        case .json:
            out.write(try JSONText.encode(DeliveryListDocument(rows)) + "\n")
        case .table:
            if rows.isEmpty { out.write(failed ? "no failed deliveries\n" : "no deliveries\n") } else {
                out.write(renderTable([["ID", "WEBHOOK", "TYPE", "STATUS", "ATTEMPTS", "CREATED", "NEXT/DELIVERED", "LAST ERROR"]] + rows.map { row in
                    let r = row.delivery
                    return [String(r.id), r.webhookID, r.eventType.rawValue, r.status.rawValue, String(r.attempts), time(r.createdAt),
                            r.status == .delivered ? time(r.deliveredAt) : r.status == .pending ? time(r.nextAttemptAt) : "-",
                            Terminal.sanitise(row.lastError ?? "")]
                }))
            }
        }
        out.flush()
    }
}

struct DeliveriesRetry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Send a delivery again now (same webhook-id), re-enabling its endpoint if a 410 had disabled it.")
    @OptionGroup var options: ConfigOptions
    @Argument(help: "The delivery id (from `monitorctl deliveries`).") var id: Int64

    func run() async throws {
        let (_, store) = try await options.openStore(.existing)
        let webhook = try await store.retryDelivery(id: id, at: Date())
        guard let webhook else {
            printError("monitorctl: no delivery \(id)")
            throw ExitCode(ExitStatus.usage)
        }
        print("delivery \(id) to \(webhook) queued; monitord sends it within a second")
    }
}
