import ArgumentParser
import Foundation
import Config
import Monitor

/// The FinSent Monitor daemon.
@main
struct MonitorDaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitord",
        abstract: "FinSent Monitor daemon: polls feeds, scores items, raises alerts.",
        discussion: """
            Runs until SIGTERM or SIGINT; SIGHUP reloads the configuration (and the watchlistFile and \
            feedsFile it names). The configuration is --config, else ./config.json, else \
            /etc/finsent/config.json; the database is its "database" key (relative paths are relative to the \
            configuration's folder; an installed system keeps it in /var/lib/finsent/monitor.sqlite). Secrets \
            come from the environment (/etc/finsent/monitord.env under systemd). Exit status 78 means the \
            configuration is invalid, 65 that the database cannot be used by this version, 73 that the \
            database cannot be opened or api.listen cannot be bound.
            """,
        version: FinSentVersion.string
    )

    @Option(name: .long, help: ArgumentHelp(
        "Configuration file.", discussion: "Default: config.json in the current folder, then /etc/finsent/config.json.",
        valueName: "path"))
    var config: String?

    func run() async throws {
        let status = await Daemon.run(configFile: config)
        if status != 0 { throw ExitCode(status) }
    }
}
