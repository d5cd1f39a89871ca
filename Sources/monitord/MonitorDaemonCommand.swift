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
            Runs until SIGTERM or SIGINT; SIGHUP reloads the configuration. Exit status 78 means \
            the configuration is invalid, 65 that the database cannot be used by this version, \
            73 that it cannot be opened.
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
