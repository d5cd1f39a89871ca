/// Why a tokenizer could not be loaded. Each case names the file at fault.
public enum TokenizerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No `vocab.txt` or `tokenizer.json` in the model folder.
    case missingVocabulary(folder: String)
    /// A file exists but cannot be read or parsed.
    case unreadable(file: String, reason: String)
    /// The vocabulary lacks a token the configuration requires (`[UNK]`, `[CLS]`, `[SEP]`).
    case missingToken(file: String, token: String, role: String)
    /// `tokenizer.json` asks for a component this tokenizer does not implement.
    case unsupported(file: String, what: String)

    public var description: String {
        switch self {
        case let .missingVocabulary(folder):
            "\(folder): no vocab.txt or tokenizer.json (expected a Hugging Face model folder)"
        case let .unreadable(file, reason):
            "\(file): \(reason)"
        case let .missingToken(file, token, role):
            "\(file): the vocabulary has no \(role) token \"\(token)\""
        case let .unsupported(file, what):
            "\(file): \(what) is not supported (FinSent reads BERT WordPiece tokenizers)"
        }
    }
}
