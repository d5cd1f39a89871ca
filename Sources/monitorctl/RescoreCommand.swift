import ArgumentParser
import Foundation
import Config
import Monitor
import Store
import Transformer

/// `monitorctl rescore`: score stored items with another model version, keeping the old scores.
struct RescoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rescore",
        abstract: "Score stored items with a model version (another model, or the configured one), keeping earlier scores.",
        discussion: """
            Only items without a score from that model version are scored, so an interrupted run resumes \
            where it stopped. Each batch is one transaction. A progress bar with rate and ETA is shown on a terminal.
            """)

    @OptionGroup var options: ConfigOptions
    @Option(help: "Model folder (default: the configured model).") var model: String?
    @Option(help: "Only items published in this period back from now (7d); default: all.") var since: String?
    @Option(help: "Texts per batch (default: engine.batchSize).") var batch: Int?
    @OptionGroup var precision: PrecisionOption

    func run() async throws {
        let (config, store) = try await options.openStore(.existing)
        let sinceDate = try since.map { text -> Date in
            guard let d = DurationText.parse(text) else {
                printError("monitorctl: --since: expected a duration like \"7d\"")
                throw ExitCode(ExitStatus.usage)
            }
            return Date().addingTimeInterval(-d.seconds)
        }
        let classifier = try loadClassifier(folder: model ?? config.model, threads: config.engine.threads, maxLength: config.engine.maxLength,
                                            precision: precision.choice(config))
        let version = classifier.version
        let batchSize = max(1, batch ?? config.engine.batchSize)
        let total = try await store.countUnscored(modelVersion: version, publishedSince: sinceDate)
        printError("rescoring \(total) items with \(version)")
        let progress = ProgressBar(total: total, enabled: isatty(STDERR_FILENO) == 1)
        let scorer = ScoreBatch(config: config)
        // Stories under the new model are grouped as its scores are written, oldest item first (the order the daemon saw them).
        let stories = StoryAssigner(settings: config.stories, modelVersion: version)
        try await stories.restore(from: store, now: Date())
        var cursor: Int64 = 0, done = 0
        while true {
            let pending = try await store.unscoredItems(after: cursor, modelVersion: version, limit: batchSize, publishedSince: sinceDate,
                                                              claim: nil)
            guard let last = pending.last else { break }
            let texts = pending.map { ScoringService.text(title: $0.title, summary: $0.summary) }
            let results = classifier.classify(texts, batchSize: batchSize, explain: ScoringService.explanationMethod)
            var scored = try scorer.records(for: pending, texts: texts, results: results, modelVersion: version, at: Date())
            stories.assign(&scored, items: pending, results: results)
            try await store.writeScores(scored)
            cursor = last.id
            done += pending.count
            progress.update(done)
        }
        progress.finish()
        print("rescored \(done) items with \(version); earlier scores are kept (scores.model_version)")
    }
}

/// `[#####-----] 45% 1234/2750 310/s ETA 5s` on standard error, redrawn in place.
final class ProgressBar {
    let total: Int
    let enabled: Bool
    let started = ContinuousClock.now

    init(total: Int, enabled: Bool) {
        self.total = total
        self.enabled = enabled
    }

    func update(_ done: Int) {
        guard enabled, total > 0 else { return }
        let elapsed = max((ContinuousClock.now - started).seconds, 0.001)
        let rate = Double(done) / elapsed
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let width = 30, filled = Int(Double(width) * Double(done) / Double(total))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let line = String(format: "\r[%@] %3d%% %d/%d %.0f/s ETA %@", bar, Int(100 * Double(done) / Double(total)), done, total, rate,
                          DurationText.format(.seconds(Int(eta.rounded()))))
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        if enabled && total > 0 { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
