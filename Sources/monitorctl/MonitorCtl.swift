import ArgumentParser
import Config
import Monitor

/// The operator's command-line tool.
@main
struct MonitorCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitorctl",
        abstract: "Inspect and operate FinSent Monitor.",
        discussion: """
            Every command reads --config, else ./config.json, else /etc/finsent/config.json, and the database it \
            names (an installed system: /var/lib/finsent/monitor.sqlite). --format json prints one JSON document \
            (null where there is no data; times as 2026-01-02T03:04:05.678Z, which every time option accepts).
            """,
        version: FinSentVersion.string,
        subcommands: [QueryCommand.self, ExplainCommand.self, StatsCommand.self, RescoreCommand.self, DemoCommand.self, ConfigCommand.self, DatabaseCommand.self, FeedCommand.self, FeedsCommand.self, WatchlistCommand.self, AlertsCommand.self, DeliveriesCommand.self, StoriesCommand.self, ScoreCommand.self, EmbedCommand.self, TokenizeCommand.self,
                      BenchCommand.self, VersionCommand.self]
    )
}

/// `--config`, shared by every subcommand that reads the configuration.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Configuration file.", discussion: "Default: config.json in the current folder, then /etc/finsent/config.json.",
        valueName: "path"))
    var config: String?

    /// Loads the configuration, or prints every problem and exits with 78. Secrets are not read unless
    /// asked for: no monitorctl command sends anything, so none needs the daemon's secrets.
    func load(secrets: SecretHandling = .skip) throws -> MonitorConfig {
        do {
            return try ConfigLoader.load(file: ConfigLoader.locate(config), secrets: secrets)
        } catch {
            printError("\(error)")
            throw ExitCode(ExitStatus.configError)
        }
    }
}
