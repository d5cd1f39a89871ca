import ArgumentParser
import Foundation
import Config
import Monitor
import Transformer

/// `monitorctl explain ITEM_ID|"text"`: label, probabilities, risk, topic and the words behind them.
struct ExplainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain a stored item's score (by id) or a text's: label, probabilities, risk, topic, the words that drove it.",
        discussion: """
            Each word's signed contribution to the label shown: by default, how much the label's probability \
            falls when the word is removed (occlusion, one batch of every removal). Words for the label are \
            highlighted on a terminal; words against it are listed too; stop words, punctuation and bare \
            symbols are left out. Risk reads the negative class, so its words are shown as well.
            """)

    @OptionGroup var options: ConfigOptions
    @Argument(help: "An item id (from `monitorctl query --format json`) or a text in quotes.") var target: String
    @Option(help: "Model folder (default: the configured model).") var model: String?
    @Option(help: "table or json") var format: FeedsCommand.OutputFormat = .table
    @Option(help: "How words are weighed: occlusion, or attention (what monitord stores for every item).")
    var method: ExplanationMethod = .occlusion
    @OptionGroup var precision: PrecisionOption

    func run() async throws {
        let config = try options.load()
        var text = target, feed: String?, title: String?
        if let id = Int64(target) {
            let (_, store) = try await options.openStore()
            guard let item = try await store.item(id: id) else {
                printError("monitorctl: no item \(id)")
                throw ExitCode(ExitStatus.usage)
            }
            text = ScoringService.text(title: item.title, summary: item.summary)
            feed = item.feedID
            title = item.title
        }
        let classifier = try loadClassifier(folder: model ?? config.model, threads: config.engine.threads, maxLength: config.engine.maxLength,
                                            precision: precision.choice(config))
        guard let result = classifier.classify([text], explain: method).first, let explanation = result.explanation else {
            printError("monitorctl: \(classifier.folder) has no classification head to explain")
            throw ExitCode.failure
        }
        // Risk is P(negative) × severity: when the label shown is not negative, what drove the risk is asked separately.
        let riskExplanation = explanation.label == "negative" || result[head: explanation.head]?.labels.contains("negative") != true
            ? explanation : classifier.classify([text], explain: method, label: "negative").first?.explanation ?? explanation
        let weight = feed.flatMap { f in config.feeds.first { $0.id == f }?.weight } ?? 1
        let score = ItemScore(result, settings: config.risk, sourceWeight: weight)
        let towards = explanation.evidence, against = explanation.against, risky = riskExplanation.evidence
        if format == .json {
            func listed(_ words: [WordWeight]) -> [Document.Word] {
                words.prefix(10).map { Document.Word(word: $0.word, weight: JSONText.rounded(Double($0.weight))) }
            }
            let document = Document(
                text: text, itemId: Int64(target), source: feed, model: classifier.version, label: score.label,
                sentiment: JSONText.rounded(score.sentiment), risk: JSONText.rounded(score.risk), topic: score.topic,
                heads: score.heads.mapValues { $0.mapValues(JSONText.rounded) }, method: explanation.method.rawValue,
                words: listed(towards), against: listed(against), riskWords: listed(risky))
            print(try JSONText.encode(document))
            return
        }
        let colour = Terminal.colourEnabled
        if let title { print("item \(target) from \(feed ?? "?"): \(Terminal.sanitise(title))") }
        print("text:  \(highlight(text, words: Array(towards.prefix(5)), colour: colour))")
        print("label: \(score.label)   sentiment \(String(format: "%+.3f", score.sentiment))   risk \(String(format: "%.3f", score.risk))   topic \(score.topic ?? "-")")
        for head in result.heads {
            let ranked = zip(head.labels, head.probabilities).sorted { $0.1 > $1.1 }.prefix(head.labels.count > 3 ? 3 : head.labels.count)
            print("\(head.name): " + ranked.map { "\($0.0) \(String(format: "%.3f", $0.1))" }.joined(separator: "  "))
        }
        print("for \(explanation.label): \(listing(towards))")
        print("against \(explanation.label): \(listing(against))")
        if riskExplanation.label != explanation.label { print("for negative (risk): \(listing(risky))") }
        print("weights: \(Self.unit(explanation.method))")
        print("model: \(classifier.version)")
    }

    /// "plunge +0.412, fraud +0.131" (at most 8 words), or "—".
    func listing(_ words: [WordWeight]) -> String {
        words.isEmpty ? "—" : words.prefix(8).map { "\(Terminal.sanitise($0.word)) \(String(format: "%+.3f", $0.weight))" }.joined(separator: ", ")
    }

    /// What a weight means, per method.
    static func unit(_ method: ExplanationMethod) -> String {
        switch method {
        case .occlusion: "the fall in the label's probability when the word is removed (occlusion)"
        case .attention: "each word's share of the last layer's attention (attention: what the model looked at, not a cause)"
        }
    }

    /// The `--format json` document: `itemId` and `source` as in `monitorctl query`.
    struct Document: Encodable {
        struct Word: Encodable { var word: String; var weight: Double }
        var text: String
        /// The stored item explained; null for a text given on the command line.
        @OrNull var itemId: Int64?
        @OrNull var source: String?
        var model: String
        var label: String
        var sentiment: Double
        var risk: Double
        @OrNull var topic: String?
        /// Each head's probabilities: {"sentiment": {"negative": p, …}, "topic": {…}}.
        var heads: [String: [String: Double]]
        /// How the weights were found (`occlusion` or `attention`).
        var method: String
        /// Words that pushed towards `label`, strongest first (positive weights), at most 10.
        var words: [Word]
        /// Words that pushed away from `label`, strongest first (negative weights), at most 10.
        var against: [Word]
        /// Words that pushed towards the negative class, which risk reads (the same as `words` when `label` is negative).
        var riskWords: [Word]
    }

    /// The text with the top words in bold yellow (on a terminal), control characters removed.
    func highlight(_ text: String, words: [WordWeight], colour: Bool) -> String {
        let clean = Terminal.sanitise(text)
        guard colour, clean == text else { return clean }
        var scalars = Array(text.unicodeScalars)
        for word in words.sorted(by: { $0.scalarRange.lowerBound > $1.scalarRange.lowerBound })
        where word.scalarRange.upperBound <= scalars.count {
            scalars.insert(contentsOf: "\u{1B}[0m".unicodeScalars, at: word.scalarRange.upperBound)
            scalars.insert(contentsOf: "\u{1B}[1;33m".unicodeScalars, at: word.scalarRange.lowerBound)
        }
        return String(String.UnicodeScalarView(scalars))
    }
}
