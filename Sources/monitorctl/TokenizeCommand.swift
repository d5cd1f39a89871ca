import ArgumentParser
import WordPiece

/// `monitorctl tokenize`: token ids (or strings) of each line on standard input.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the token ids of each line on standard input as a JSON array.",
        discussion: """
            Ids include [CLS] and [SEP] and match Hugging Face tokenizers for the same model folder. \
            Invalid UTF-8 is read as U+FFFD.
            """)

    @OptionGroup var model: ModelFolderOption

    @Option(name: .long, help: "Truncate to this many tokens, [CLS] and [SEP] included.")
    var maxLength: Int?

    @Flag(name: .long, help: "Print token strings instead of ids.")
    var tokens = false

    func validate() throws {
        if let maxLength, maxLength < 2 {
            throw ValidationError("--max-length must be at least 2 (room for [CLS] and [SEP]), got \(maxLength)")
        }
    }

    func run() throws {
        let tokenizer = try model.loadTokenizer()
        var output = OutputBuffer()
        var encoding = Encoding()
        var scratch = WordPieceTokenizer.Scratch()
        for line in standardInputLines() {
            tokenizer.encode(line, maxLength: maxLength, into: &encoding, scratch: &scratch)
            if tokens {
                output.write("[" + tokenizer.tokens(of: encoding).map(jsonString).joined(separator: ",") + "]\n")
            } else {
                output.write("[" + encoding.ids.map(String.init).joined(separator: ",") + "]\n")
            }
        }
        output.flush()
    }
}

/// `--model DIR`: a Hugging Face model folder.
struct ModelFolderOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Model folder in Hugging Face layout.", valueName: "dir"))
    var model: String

    func loadTokenizer() throws -> WordPieceTokenizer {
        do {
            return try WordPieceTokenizer(folder: model)
        } catch {
            printError("monitorctl: \(error)")
            throw ExitCode.failure
        }
    }
}
