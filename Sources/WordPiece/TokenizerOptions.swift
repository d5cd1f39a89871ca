/// The settings of a BERT WordPiece tokenizer, with Hugging Face's defaults.
public struct TokenizerOptions: Sendable, Equatable {
    /// Remove control characters and turn white space into spaces.
    public var cleanText = true
    /// Put spaces around CJK ideographs, so each is a word.
    public var handleChineseChars = true
    /// Strip accents (NFD, then drop non-spacing marks); nil follows `lowercase`, as in Hugging Face.
    public var stripAccents: Bool? = nil
    /// Lower-case the text.
    public var lowercase = true
    /// The token for words that cannot be covered.
    public var unknownToken = "[UNK]"
    /// Marks a piece that continues a word.
    public var continuingSubwordPrefix = "##"
    /// Longer words (in Unicode scalars, after normalisation) become the unknown token.
    public var maxInputCharsPerWord = 100
    /// Put before every sequence.
    public var classifierToken = "[CLS]"
    /// Put after every sequence.
    public var separatorToken = "[SEP]"
    /// Used to pad a batch.
    public var paddingToken = "[PAD]"
    /// Tokens matched in the raw text before normalisation (special tokens such as `[MASK]`).
    public var addedTokens: [String] = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

    public init() {}

    /// Whether accents are stripped, after resolving the default.
    public var stripsAccents: Bool { stripAccents ?? lowercase }
}
