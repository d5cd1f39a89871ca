import ArgumentParser
import Config
import Foundation
import Monitor
import Store

/// `monitorctl db`: the state of the database, read-only (safe while monitord runs).
struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Show the database's schema version, size, row counts, running instances and retention (read-only).",
        subcommands: [DatabaseStatusCommand.self, DatabaseCopyCommand.self],
        defaultSubcommand: DatabaseStatusCommand.self)
}

/// `monitorctl db` / `monitorctl db status`.
struct DatabaseStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the database's schema version, size, row counts, running instances and retention (read-only).")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let (config, store) = try await options.openStore()
        let info = try await store.info()
        let policy = config.retention.policy
        let preview = try await store.retentionPreview(policy, at: Date())
        let last = try await store.lastRetentionRun()
        let now = Date()
        let instances = try await store.instances(heartbeatAfter: now.addingTimeInterval(-3 * config.cluster.leaseTimeout.seconds))
        let roles = try await store.roles()
        await store.close()
        print("database: \(info.location) (\(info.backend))")
        print("size: \(ByteCountFormatter.string(fromByteCount: Int64(info.bytes), countStyle: .file))")
        print("schema version: \(info.applied.last?.version ?? 0)")
        for migration in info.applied {
            print("  \(migration.fileName)  applied \(migration.appliedAt.formatted(.iso8601))")
        }
        for (table, count) in info.rowCounts {
            print("\(table.padding(toLength: 20, withPad: " ", startingAt: 0)) \(count)")
        }
        print("instances: \(instances.isEmpty ? "none running" : "\(instances.count) running")")
        for instance in instances {
            let held = roles.filter { $0.owner == instance.id && $0.until > now }.map(\.role.rawValue)
            print("  \(instance.id)  \(instance.version)  started \(instance.startedAt.formatted(.iso8601))"
                  + "  heartbeat \(instance.heartbeatAt.formatted(.iso8601))" + (held.isEmpty ? "" : "  roles: \(held.joined(separator: ", "))"))
        }
        print("retention: \(Self.describe(policy))")
        if !policy.keepsEverything {
            print("  would remove now: \(Self.describe(preview))")
        }
        if let last {
            print("  last pass: \(last.finishedAt.formatted(.iso8601)), removed \(Self.describe(last.removed))")
        } else {
            print("  last pass: none yet")
        }
    }

    static func describe(_ policy: RetentionPolicy) -> String {
        guard !policy.keepsEverything else { return "everything is kept (set retention.items, alertHistory, deliveryLog to prune)" }
        func text(_ d: Duration?) -> String { d.map(DurationText.format) ?? "for ever" }
        return "items \(text(policy.items)), alert history \(text(policy.alertHistory)), delivery log \(text(policy.deliveryLog))"
    }

    static func describe(_ counts: RetentionCounts) -> String {
        "\(counts.items) items, \(counts.alerts) alerts, \(counts.alertEvents) alert events, \(counts.deliveries) deliveries"
    }
}
