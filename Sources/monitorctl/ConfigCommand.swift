import ArgumentParser
import Config
import Monitor

/// `monitorctl config …`
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Work with the configuration file.",
        subcommands: [Check.self]
    )

    /// `monitorctl config check`: validates without starting anything.
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate the configuration; exit 78 with every problem listed when it is invalid.")

        @OptionGroup var options: ConfigOptions
        @Flag(help: "Do not read webhook secrets or ${VAR} feed headers (check a production file without the daemon's environment).")
        var noSecrets = false

        func run() throws {
            let config = try options.load(secrets: noSecrets ? .skip : .resolve)
            print("\(config.file): OK — \(config.feeds.count) feeds, \(config.watchlist.count) watchlist entries, "
                + "\(config.rules.count) rules, \(config.webhooks.count) webhooks")
            print("database: \(config.database)")
            print("model: \(config.model)")
        }
    }
}
