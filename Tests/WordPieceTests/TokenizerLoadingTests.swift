import Foundation
import Testing
@testable import WordPiece

/// A scratch model folder.
private func folder(_ files: [String: String]) throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("finsent-wp-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    for (name, text) in files {
        try text.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }
    return url.path
}

private let miniVocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "sat", "un", "##aff", "##able",
                         "##s", ".", "Cat", "café", "cafe", "!"].joined(separator: "\n") + "\n"

@Suite("Loading a model folder")
struct TokenizerLoadingTests {
    @Test("vocab.txt alone: uncased, accents stripped, Hugging Face defaults")
    func vocabOnly() throws {
        let tokenizer = try WordPieceTokenizer(folder: folder(["vocab.txt": miniVocab]))
        #expect(tokenizer.options == TokenizerOptions())
        #expect(tokenizer.tokens(of: tokenizer.encode("The CAT sat unaffable cats. Café!"))
            == ["[CLS]", "the", "cat", "sat", "un", "##aff", "##able", "cat", "##s", ".", "cafe", "!", "[SEP]"])
        #expect(tokenizer.encode("dog").ids == [2, 1, 3], "an uncoverable word is [UNK]")
    }

    @Test("tokenizer_config.json: do_lower_case false keeps case and accents")
    func casedConfig() throws {
        let tokenizer = try WordPieceTokenizer(folder: folder([
            "vocab.txt": miniVocab, "tokenizer_config.json": #"{"do_lower_case": false}"#,
        ]))
        #expect(!tokenizer.options.lowercase)
        #expect(tokenizer.tokens(of: tokenizer.encode("Cat café cat")) == ["[CLS]", "Cat", "café", "cat", "[SEP]"])
    }

    @Test("tokenizer.json wins over vocab.txt and gives its normaliser options")
    func tokenizerJSON() throws {
        let tokenizer = try WordPieceTokenizer(folder: miniLMFolder)
        #expect(tokenizer.vocabulary.count == 30522)
        #expect(tokenizer.options.lowercase && tokenizer.options.cleanText && tokenizer.options.handleChineseChars)
        #expect(tokenizer.options.stripAccents == nil)
        #expect(tokenizer.options.maxInputCharsPerWord == 100)
        #expect((tokenizer.classifierId, tokenizer.separatorId, tokenizer.unknownId, tokenizer.paddingId) == (101, 102, 100, 0))
    }

    @Test("a vocabulary without [UNK] is an error naming the file")
    func missingUnknown() throws {
        let path = try folder(["vocab.txt": "[PAD]\n[CLS]\n[SEP]\nthe\ncat\nsat\n"])
        let error = #expect(throws: TokenizerError.self) { _ = try WordPieceTokenizer(folder: path) }
        #expect(error?.description == "\(path)/vocab.txt: the vocabulary has no unknown token \"[UNK]\"")
    }

    @Test("a folder without vocabulary is an error naming the folder")
    func missingVocabulary() throws {
        let path = try folder(["config.json": "{}"])
        let error = #expect(throws: TokenizerError.self) { _ = try WordPieceTokenizer(folder: path) }
        #expect(error == .missingVocabulary(folder: path))
        #expect(error?.description.contains("no vocab.txt or tokenizer.json") == true)
    }

    @Test("a garbled vocab.txt or tokenizer.json is an error naming the file")
    func garbled() throws {
        let binary = try folder([:])
        try Data([0x00, 0xFF, 0xFE, 0x00, 0x01]).write(to: URL(fileURLWithPath: binary + "/vocab.txt"))
        let binaryError = #expect(throws: TokenizerError.self) { _ = try WordPieceTokenizer(folder: binary) }
        #expect(binaryError?.description.hasPrefix("\(binary)/vocab.txt: ") == true)

        let json = try folder(["tokenizer.json": "{\"model\": {\"type\": \"WordPiece\", \"vocab\": "])
        let jsonError = #expect(throws: TokenizerError.self) { _ = try WordPieceTokenizer(folder: json) }
        #expect(jsonError?.description.hasPrefix("\(json)/tokenizer.json: invalid JSON") == true)

        let bpe = try folder(["tokenizer.json": #"{"model": {"type": "BPE", "vocab": {}}}"#])
        let bpeError = #expect(throws: TokenizerError.self) { _ = try WordPieceTokenizer(folder: bpe) }
        #expect(bpeError?.description == "\(bpe)/tokenizer.json: model BPE is not supported (FinSent reads BERT WordPiece tokenizers)")
    }
}

@Suite("Encoding for the engine")
struct EncodingTests {
    let tokenizer: WordPieceTokenizer

    init() throws {
        tokenizer = try WordPieceTokenizer(folder: miniLMFolder)
    }

    @Test("truncation keeps [CLS], the first tokens and [SEP]")
    func truncation() {
        let text = "Apple shares plunge after the company misses earnings estimates for the third quarter"
        let full = tokenizer.encode(text)
        let cut = tokenizer.encode(text, maxLength: 8)
        #expect(cut.count == 8)
        #expect(cut.ids == Array(full.ids.prefix(7)) + [102])
        #expect(tokenizer.encode(text, maxLength: 1000) == full)
        #expect(tokenizer.encode(text, maxLength: 2).ids == [101, 102])
    }

    @Test("a batch is padded to its longest text with a matching attention mask")
    func batch() {
        let batch = tokenizer.encodeBatch(["Fed holds rates", "ok", ""])
        let lengths = batch.encodings.map(\.count)
        #expect(lengths == [5, 3, 2])
        #expect(batch.sequenceLength == 5)
        #expect(batch.ids.count == 15 && batch.attentionMask.count == 15)
        #expect(Array(batch.ids[5..<10]) == batch.encodings[1].ids + [0, 0])
        #expect(Array(batch.attentionMask[5..<10]) == [1, 1, 1, 0, 0])
        #expect(Array(batch.attentionMask[10..<15]) == [1, 1, 0, 0, 0])
    }

    @Test("offsets point at the original text, through accents, case and emoji")
    func offsets() {
        let text = "😀 Ünïcode CAFÉ’s résumé"
        let encoding = tokenizer.encode(text)
        let scalars = Array(text.unicodeScalars)
        let pieces = (1..<(encoding.count - 1)).map { index in
            String(String.UnicodeScalarView(scalars[encoding.scalarRange(of: index)]))
        }
        #expect(tokenizer.tokens(of: encoding).dropFirst().dropLast().map { $0 } == ["[UNK]", "unicode", "cafe", "’", "s", "resume"])
        #expect(pieces == ["😀", "Ünïcode", "CAFÉ", "’", "s", "résumé"])
    }

    @Test("scratch buffers reused across texts give the same result as fresh ones")
    func reuse() throws {
        var encoding = Encoding()
        var scratch = WordPieceTokenizer.Scratch()
        for text in ["a long first text with many words in it", "x", "", "naïve 中文 [SEP] 😀"] {
            tokenizer.encode(text, maxLength: nil, into: &encoding, scratch: &scratch)
            #expect(encoding == tokenizer.encode(text))
        }
    }
}
