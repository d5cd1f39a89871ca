import ArgumentParser
import Foundation
import Config
import Monitor
import Transformer

/// `monitorctl score`: every head's label and probabilities for each text.
struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score texts with the model; one JSON object per text.",
        discussion: """
            Texts come from the arguments, or one per line on standard input. Without --model, \
            the model of the configuration file is used.
            """)

    @Argument(help: "Texts to score (default: lines on standard input).")
    var texts: [String] = []

    @Option(name: .long, help: ArgumentHelp("Model folder in Hugging Face layout.", valueName: "dir"))
    var model: String?

    @OptionGroup var config: ConfigOptions

    @Flag(name: .long, help: "Include each head's raw logits.")
    var logits = false

    @Flag(name: .long, help: "Include every word's signed contribution to the label shown (the daemon's method, attention).")
    var explain = false

    @Option(name: .long, help: ArgumentHelp("Explain with this method: attention or occlusion (implies --explain).",
                                            valueName: "method"))
    var explainMethod: ExplanationMethod?

    @Option(name: .long, help: ArgumentHelp("Explain this label of the sentiment head instead of the label shown (e.g. negative, as risk reads it).",
                                            valueName: "label"))
    var explainLabel: String?

    @Option(name: .long, help: "Texts per batch (default: engine.batchSize of the configuration, else 32).")
    var batch: Int?

    @OptionGroup var precision: PrecisionOption

    func run() throws {
        // The configuration is read once, and only when it supplies the model.
        let configuration = model == nil ? try config.load() : nil
        let classifier = try loadClassifier(folder: model ?? configuration!.model, threads: configuration?.engine.threads,
                                            maxLength: configuration?.engine.maxLength ?? 128,
                                            precision: precision.choice(configuration))
        let batchSize = batch ?? configuration?.engine.batchSize ?? 32
        let method = explainMethod ?? (explain || explainLabel != nil ? ScoringService.explanationMethod : nil)
        var output = OutputBuffer()
        var chunk: [String] = []
        // Scored 256 lines at a time, so results of a long stdin appear before it ends.
        func flush() {
            for (text, result) in zip(chunk, classifier.classify(chunk, batchSize: batchSize, explain: method, label: explainLabel)) {
                output.write(scoreJSON(text: text, result: result, logits: logits) + "\n")
            }
            output.flush()
            chunk.removeAll(keepingCapacity: true)
        }
        for text in texts.isEmpty ? standardInputLines() : AnySequence(texts) {
            chunk.append(text)
            if chunk.count == 256 { flush() }
        }
        flush()
    }
}

/// The JSON line `monitorctl score` prints for one text (keys in a stable order).
func scoreJSON(text: String, result: Classification, logits: Bool) -> String {
    var fields = ["\"text\": \(jsonString(text))"]
    let heads = result.heads.map { head in
        let scores = zip(head.labels, head.probabilities).map { "\(jsonString($0)): \(jsonNumber($1))" }
        return "\(jsonString(head.name)): {\"label\": \(jsonString(head.label)), \"scores\": {\(scores.joined(separator: ", "))}}"
    }
    fields.append("\"heads\": {\(heads.joined(separator: ", "))}")
    if logits {
        let values = result.heads.map { "\(jsonString($0.name)): [\($0.logits.map(jsonNumber).joined(separator: ", "))]" }
        fields.append("\"logits\": {\(values.joined(separator: ", "))}")
    }
    if let explanation = result.explanation {
        // Every word with where it is (Unicode scalars, end exclusive) and whether it is shown, so
        // tools can remove or keep words (tools/explain/faithfulness.py).
        let words = explanation.words.map {
            "{\"word\": \(jsonString($0.word)), \"weight\": \(jsonNumber($0.weight)), \"start\": \($0.scalarRange.lowerBound), "
                + "\"end\": \($0.scalarRange.upperBound), \"shown\": \($0.isShown)}"
        }
        fields.append("\"explanation\": {\"method\": \(jsonString(explanation.method.rawValue)), \"head\": \(jsonString(explanation.head)), "
                      + "\"label\": \(jsonString(explanation.label)), \"words\": [\(words.joined(separator: ", "))]}")
    }
    return "{\(fields.joined(separator: ", "))}"
}

/// A finite float as a JSON number, rounded to 6 significant digits.
func jsonNumber(_ value: Float) -> String {
    value.isFinite ? String(format: "%.6g", Double(value)) : "null"
}

/// The classifier of a model folder, or a clear error and exit status 1.
func loadClassifier(folder: String, threads: Int? = nil, maxLength: Int = 128, precision: Precision = .auto) throws -> TextClassifier {
    do {
        return try TextClassifier(folder: folder, maxLength: maxLength, threads: threads, precision: precision)
    } catch {
        printError("monitorctl: \(error)")
        throw ExitCode.failure
    }
}

/// The version of the configured model (what monitord scores with); nil when its folder cannot be read.
func configuredModelVersion(_ config: MonitorConfig) -> String? {
    try? TextClassifier.version(of: config.model, precision: config.engine.precision)
}

extension Precision: ExpressibleByArgument {}
extension ExplanationMethod: ExpressibleByArgument {}

/// `--precision auto|int8|f32` of the commands that load the model.
struct PrecisionOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The dense layers' arithmetic (default: engine.precision of the configuration, else auto: int8 where the CPU has AVX-512 VNNI, else f32).",
        valueName: "precision"))
    var precision: Precision?

    /// The option, else the configuration's engine.precision, else auto.
    func choice(_ configuration: MonitorConfig?) -> Precision {
        precision ?? configuration?.engine.precision ?? .auto
    }
}
