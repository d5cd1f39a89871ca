import ArgumentParser
import Config
import Feeds
import Foundation
import Monitor
import Reports
import Store

/// `monitorctl stories` (`list`): stories and their items.
struct StoriesListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List stories with their items, newest first.",
        discussion: """
            A story is one event's copies and rewrites across feeds (README, "Stories"). JSON: {"modelVersion", \
            "stories": [{"id", "title", "link", "firstSeen", "lastSeen", "size", "sources", "items": [{"itemId", \
            "title", "link", "source", "published"}]}]}, the same as /v1/stories.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @OptionGroup var options: ConfigOptions
    @Option(help: "Only stories with an item that mentions this ticker symbol.") var entity: String?
    @Option(help: "Stories with an item published since then: a duration back from now (24h) or an RFC 3339 time.") var since = "24h"
    @Option(help: "At most this many stories.") var limit = 50
    @Option(help: "table or json") var format: Format = .table
    @Option(help: "Model version whose stories to list. Default: the configured model's.") var modelVersion: String?

    func run() async throws {
        guard let sinceDate = DurationText.pointInTime(since, now: Date()) else {
            printError("monitorctl: --since: expected a duration back from now (24h) or an RFC 3339 time")
            throw ExitCode(ExitStatus.usage)
        }
        guard limit > 0 else {
            printError("monitorctl: --limit: expected a positive number")
            throw ExitCode(ExitStatus.usage)
        }
        let (config, store) = try await options.openStore()
        var version = modelVersion ?? configuredModelVersion(config)
        if version == nil { version = try await store.latestModelVersion() }
        var stories: [StoryRecord] = []
        if let version {
            stories = try await store.stories(StoryQuery(modelVersion: version, since: sinceDate, symbol: entity?.uppercased(), limit: limit))
        }
        var out = OutputBuffer()
        switch format {
        case .json:
            out.write(try JSONText.encode(StoryListDocument(modelVersion: version, stories: stories)) + "\n")
        case .table:
            if stories.isEmpty { out.write("no stories since \(FeedDate.rfc3339(sinceDate))\n") }
            for story in stories {
                let sources = story.sources.map(Terminal.sanitise).joined(separator: ", ")
                out.write("#\(story.id)  \(Terminal.sanitise(story.title))\n")
                out.write("    \(story.size) item\(story.size == 1 ? "" : "s") from \(sources); first \(JSONText.timestamp(story.firstSeen)), last \(JSONText.timestamp(story.lastSeen))\n")
                for item in story.items where item.itemID != story.id {
                    out.write("    - #\(item.itemID)  \(Terminal.sanitise(item.title))  — \(Terminal.sanitise(item.source)), \(JSONText.timestamp(item.published))\n")
                }
            }
        }
        out.flush()
    }
}
