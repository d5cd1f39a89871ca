import ArgumentParser
import Config
import Monitor
import Transformer

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
            abstract: "Validate the configuration and the model folder; exit 78 with every problem listed when either is invalid.",
            discussion: "The model folder is checked as monitord will load it (config.json, tokenizer, safetensors headers and tensor shapes), without reading the weights.")

        @OptionGroup var options: ConfigOptions
        @Flag(help: "Do not read webhook secrets or ${VAR} feed headers (check a production file without the daemon's environment).")
        var noSecrets = false

        func run() throws {
            let config = try options.load(secrets: noSecrets ? .skip : .resolve)
            let model: ModelCheck
            do {
                model = try ModelCheck(folder: config.model)
            } catch {
                printError("\(config.file): model: \(error)")
                throw ExitCode(ExitStatus.configError)
            }
            print("\(config.file): OK — \(config.feeds.count) feeds, \(config.watchlist.count) watchlist entries, "
                + "\(config.rules.count) rules, \(config.webhooks.count) webhooks")
            print("database: \(config.database)")
            print("model: \(config.model) — \(model.layers) layers, hidden \(model.hidden), \(model.vocabulary) tokens; heads: \(model.heads.joined(separator: ", "))")
        }
    }
}
