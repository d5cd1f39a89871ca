import ArgumentParser
import Foundation
import Monitor
import Stories

/// `monitorctl stories eval`: story clustering measured on a labelled set.
struct StoriesEvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure story clustering on a labelled set (pairwise and B-cubed precision, recall, F1).",
        discussion: """
            The set is a JSON document {"watchlist": [{"symbol", "names"}], "items": [{"story", "source", "published", \
            "title", "summary"}]}; items are clustered in publication order as the daemon does. --sweep prints the \
            figures over a grid of thresholds and embedding weights instead.
            """)

    @Option(name: .long, help: "The labelled set.")
    var set = "Tests/MonitorTests/Fixtures/stories-labelled.json"

    @OptionGroup var model: ModelFolderOption
    @OptionGroup var precision: PrecisionOption

    @Option(name: .long, help: "Similarity at or above which an item joins a story.")
    var threshold: Float = StorySettings.defaultThreshold

    @Option(name: .long, help: "The embedding's share of the similarity (the rest is headline key overlap).")
    var embeddingWeight: Float = StorySettings.defaultEmbeddingWeight

    @Option(name: .long, help: "Mix in this many unrelated texts from ../shared/data (tweets and PhraseBank sentences), each a story of its own.")
    var distractors = 0

    @Option(name: .long, help: "The shared data folder the distractors come from.")
    var sharedData = "../shared/data"

    @Flag(name: .long, help: "Print a grid of thresholds and embedding weights.")
    var sweep = false

    @Flag(name: .long, help: "Choose settings on half the stories and score them on the other half, both ways.")
    var crossValidate = false

    @Flag(name: .long, help: "List the items each wrong merge or split touches.")
    var errors = false

    func run() throws {
        let classifier = try loadClassifier(folder: model.model, precision: precision.choice(nil))
        let evaluation: StoryEvaluation
        let extra = StoryEvaluation.distractors(count: distractors, sharedData: sharedData)
        if extra.count < distractors {
            printError("monitorctl: only \(extra.count) distractor texts in \(sharedData)")
            throw ExitCode.failure
        }
        do { evaluation = try StoryEvaluation(file: set, classifier: classifier, distractors: extra) } catch {
            printError("monitorctl: \(set): \(error)")
            throw ExitCode.failure
        }
        if sweep {
            print("embedding_weight threshold  bcubed_p bcubed_r bcubed_f1  pair_p pair_r  stories")
            for settings in StoryEvaluation.grid {
                let (score, stories) = evaluation.run(settings)
                print(String(format: "%16.1f %9.2f  %8.4f %8.4f %9.4f  %6.4f %6.4f  %7d", settings.embeddingWeight, settings.threshold,
                             score.bcubedPrecision, score.bcubedRecall, score.bcubedF1, score.pairPrecision, score.pairRecall, Set(stories).count))
            }
            return
        }
        if crossValidate {
            for (fold, result) in evaluation.crossValidate().enumerated() {
                print(String(format: "fold %d: chose embedding weight %.1f, threshold %.2f (tuning half F1 %.4f); held-out half: B-cubed precision %.4f, recall %.4f, F1 %.4f",
                             fold + 1, result.chosen.embeddingWeight, result.chosen.threshold, result.tuned.bcubedF1,
                             result.held.bcubedPrecision, result.held.bcubedRecall, result.held.bcubedF1))
            }
            return
        }
        let settings = StorySettings(threshold: threshold, embeddingWeight: embeddingWeight)
        let clock = ContinuousClock()
        let started = clock.now
        let (score, stories) = evaluation.run(settings)
        let assignMicros = (clock.now - started).seconds * 1e6 / Double(max(1, evaluation.inputs.count))
        let featuresStarted = clock.now
        for (title, input) in zip(evaluation.titles, evaluation.inputs) {
            _ = StoryFeatures(title: title, mentions: input.features.entities.map { (symbol: $0, matched: $0) }, embedding: input.features.embedding)
        }
        let featureMicros = (clock.now - featuresStarted).seconds * 1e6 / Double(max(1, evaluation.inputs.count))
        let representative = evaluation.representativeAgreement(stories: stories)
        print("""
            items \(score.items) (\(distractors) distractors), labelled stories \(Set(evaluation.labels).count - distractors), clusters \(Set(stories).count)
            distractors merged with anything: \(evaluation.mergedDistractors(stories: stories))
            B-cubed precision \(f(score.bcubedPrecision)), recall \(f(score.bcubedRecall)), F1 \(f(score.bcubedF1))
            pairwise precision \(f(score.pairPrecision)), recall \(f(score.pairRecall)), F1 \(f(score.pairF1))
            representative item's sentiment = the story's majority: \(representative.agree) of \(representative.of) multi-item stories
            assignment: \(String(format: "%.1f", assignMicros)) µs per item (the window's index, similarity); features: \(String(format: "%.1f", featureMicros)) µs per item
            """)
        if errors {
            var byCluster: [Int64: [Int]] = [:]
            for (k, story) in stories.enumerated() { byCluster[story, default: []].append(k) }
            for (_, members) in byCluster.sorted(by: { $0.key < $1.key }) where Set(members.map { evaluation.labels[$0] }).count > 1 {
                print("merged:\n" + members.map { "   [\(evaluation.labels[$0])] \(evaluation.titles[$0].prefix(100))" }.joined(separator: "\n"))
            }
            var byLabel: [String: Set<Int64>] = [:]
            for (k, label) in evaluation.labels.enumerated() { byLabel[label, default: []].insert(stories[k]) }
            for (label, clusters) in byLabel.sorted(by: { $0.key < $1.key }) where clusters.count > 1 {
                print("split: \(label) into \(clusters.count) clusters")
                for cluster in clusters.sorted() {
                    let titles = stories.indices.filter { stories[$0] == cluster && evaluation.labels[$0] == label }.map { evaluation.titles[$0] }
                    print("  \(cluster): " + titles.joined(separator: " | "))
                }
            }
        }
    }

    private func f(_ x: Double) -> String { String(format: "%.4f", x) }
}
