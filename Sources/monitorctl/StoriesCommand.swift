import ArgumentParser

/// `monitorctl stories`: the stories of the stored items, and clustering measurement.
struct StoriesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stories",
        abstract: "List stories (one event's copies and rewrites grouped), or measure the clustering.",
        subcommands: [StoriesListCommand.self, StoriesEvalCommand.self], defaultSubcommand: StoriesListCommand.self)
}
