import ArgumentParser
import Transformer

/// `monitorctl embed`: one vector per line on standard input.
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Print one JSON vector per line of standard input.")

    @OptionGroup var model: ModelFolderOption

    @Option(name: .long, help: "mean (sentence-transformers), cls, or pooler.")
    var pooling: String = "mean"

    @Flag(name: .long, help: "Scale each vector to unit length (as all-MiniLM-L6-v2's Normalize module).")
    var normalize = false

    @OptionGroup var precision: PrecisionOption

    func validate() throws {
        guard HeadConfig.Pooling(rawValue: pooling) != nil else {
            throw ValidationError("--pooling must be mean, cls or pooler, got \(pooling)")
        }
    }

    func run() throws {
        let classifier = try loadClassifier(folder: model.model, precision: precision.choice(nil))
        let texts = Array(standardInputLines())
        var output = OutputBuffer()
        for vector in classifier.embed(texts, pooling: HeadConfig.Pooling(rawValue: pooling)!) {
            var values = vector
            if normalize {
                let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
                if norm > 0 { values = values.map { $0 / norm } }
            }
            output.write("[" + values.map(jsonNumber).joined(separator: ",") + "]\n")
        }
        output.flush()
    }
}
