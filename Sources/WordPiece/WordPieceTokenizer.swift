import Foundation

/// A BERT WordPiece tokenizer that gives the same ids as Hugging Face `tokenizers`.
///
/// Normalisation (clean text, CJK spacing, accent stripping, lower-casing) and
/// pre-tokenisation (white space, punctuation) follow tables generated from the
/// Hugging Face library itself (`UnicodeTables`); WordPiece is greedy
/// longest-match-first over a byte trie. Text is read as UTF-8 bytes with an
/// ASCII fast path; no `String` is built per word or per token.
public final class WordPieceTokenizer: Sendable {
    public let options: TokenizerOptions
    public let vocabulary: Vocabulary
    /// Ids of the unknown, classifier, separator and padding tokens.
    public let unknownId: Int32, classifierId: Int32, separatorId: Int32, paddingId: Int32

    private let trie: VocabularyTrie
    private let table = ScalarTable.shared
    private let asciiActions: [AsciiAction]
    private let addedTokens: [(bytes: [UInt8], scalars: Int32, id: Int32)]
    private let addedTokenFirstBytes: [Bool]

    private enum AsciiAction: Sendable {
        case append(UInt8), split, isolate, drop
    }

    /// Loads the tokenizer of a Hugging Face model folder (`tokenizer.json`, else `vocab.txt` + `tokenizer_config.json`).
    public convenience init(folder: String) throws(TokenizerError) {
        let (options, vocabulary) = try TokenizerLoader.load(folder: folder)
        let file = URL(fileURLWithPath: folder)
            .appendingPathComponent(FileManager.default.fileExists(atPath: folder + "/tokenizer.json") ? "tokenizer.json" : "vocab.txt").path
        try self.init(options: options, vocabulary: vocabulary, source: file)
    }

    /// Creates a tokenizer; `source` names the vocabulary's file in errors.
    public init(options: TokenizerOptions, vocabulary: Vocabulary, source: String = "vocabulary") throws(TokenizerError) {
        func id(_ token: String, _ role: String) throws(TokenizerError) -> Int32 {
            guard let id = vocabulary.ids[token] else { throw .missingToken(file: source, token: token, role: role) }
            return id
        }
        self.options = options
        self.vocabulary = vocabulary
        unknownId = try id(options.unknownToken, "unknown")
        classifierId = try id(options.classifierToken, "classifier")
        separatorId = try id(options.separatorToken, "separator")
        paddingId = vocabulary.ids[options.paddingToken] ?? 0
        trie = VocabularyTrie(tokens: vocabulary.ids.map { (Array($0.key.utf8), $0.value) },
                              continuationPrefix: Array(options.continuingSubwordPrefix.utf8))
        let added = options.addedTokens.compactMap { token in
            vocabulary.ids[token].map { (bytes: Array(token.utf8), scalars: Int32(token.unicodeScalars.count), id: $0) }
        }.filter { !$0.bytes.isEmpty }
        // Longest first, so "[MASK]" wins over a hypothetical "[MAS" at the same place.
        addedTokens = added.sorted { $0.bytes.count > $1.bytes.count }
        var firstBytes = [Bool](repeating: false, count: 256)
        for token in added { firstBytes[Int(token.bytes[0])] = true }
        addedTokenFirstBytes = firstBytes

        let table = ScalarTable.shared
        asciiActions = (0..<128).map { byte -> AsciiAction in
            let scalar = UInt32(byte)
            let flags = table.flags(scalar)
            if options.cleanText && flags.contains(.removedByCleanText) { return .drop }
            if options.cleanText && flags.contains(.spaceByCleanText) { return .split }
            if flags.contains(.preTokenizerSpace) { return .split }
            if flags.contains(.punctuation) { return .isolate }
            if options.lowercase && (65...90).contains(byte) { return .append(UInt8(byte + 32)) }
            return .append(UInt8(byte))
        }
    }

    /// Encodes one text: `[CLS]`, its tokens, `[SEP]`. With `maxLength`, the
    /// tokens are truncated so the whole fits (Hugging Face's truncation of a single sequence).
    public func encode(_ text: String, maxLength: Int? = nil) -> Encoding {
        var encoding = Encoding()
        var scratch = Scratch()
        encode(text, maxLength: maxLength, into: &encoding, scratch: &scratch)
        return encoding
    }

    /// Encodes several texts and pads them to the longest.
    public func encodeBatch(_ texts: [String], maxLength: Int? = nil) -> BatchEncoding {
        var scratch = Scratch()
        let encodings = texts.map { text in
            var encoding = Encoding()
            encode(text, maxLength: maxLength, into: &encoding, scratch: &scratch)
            return encoding
        }
        let length = encodings.map(\.count).max() ?? 0
        var ids = [Int32](repeating: paddingId, count: encodings.count * length)
        var mask = [Int32](repeating: 0, count: encodings.count * length)
        for (row, encoding) in encodings.enumerated() {
            for (column, id) in encoding.ids.enumerated() {
                ids[row * length + column] = id
                mask[row * length + column] = 1
            }
        }
        return BatchEncoding(encodings: encodings, sequenceLength: length, ids: ids, attentionMask: mask)
    }

    /// The token strings of an encoding (for display; the engine uses ids).
    public func tokens(of encoding: Encoding) -> [String] {
        encoding.ids.map { vocabulary.token(for: $0) ?? options.unknownToken }
    }

    /// Buffers reused from one text to the next.
    public struct Scratch {
        var wordBytes: [UInt8] = []
        var wordOrigins: [Int32] = []
        var wordScalars = 0
        var mapped: [UInt32] = []
        var lowered: [UInt32] = []
        public init() {}
    }

    /// Encodes into caller-owned buffers (cleared first), for loops that tokenize many texts.
    public func encode(_ text: String, maxLength: Int?, into encoding: inout Encoding, scratch: inout Scratch) {
        encoding.removeAll()
        scratch.wordBytes.removeAll(keepingCapacity: true)
        scratch.wordOrigins.removeAll(keepingCapacity: true)
        scratch.wordScalars = 0
        // Room for [CLS] and [SEP]; a limit below 2 still gets both.
        let limit = maxLength.map { max($0 - 2, 0) } ?? Int.max
        encoding.append(classifierId, 0, 0)
        var text = text
        text.withUTF8 { bytes in
            // Swapped in and out rather than copied, so the buffers stay uniquely referenced.
            var pass = Pass(tokenizer: self, limit: limit)
            swap(&pass.encoding, &encoding)
            swap(&pass.scratch, &scratch)
            pass.run(bytes)
            swap(&pass.encoding, &encoding)
            swap(&pass.scratch, &scratch)
        }
        encoding.append(separatorId, 0, 0)
    }

    /// One text's walk over its bytes. A struct with the buffers moved in, so the
    /// hot loop works on locals rather than on `inout` captures.
    private struct Pass {
        let tokenizer: WordPieceTokenizer
        var encoding = Encoding()
        var scratch = Scratch()
        let limit: Int
        var emitted = 0
        var full = false

        init(tokenizer: WordPieceTokenizer, limit: Int) {
            self.tokenizer = tokenizer
            self.limit = limit
            full = limit <= 0
        }

        mutating func run(_ bytes: UnsafeBufferPointer<UInt8>) {
            let options = tokenizer.options
            let table = tokenizer.table
            var index = 0
            var scalarIndex: Int32 = 0
            while index < bytes.count && !full {
                let byte = bytes[index]
                if tokenizer.addedTokenFirstBytes[Int(byte)], let token = tokenizer.addedToken(in: bytes, at: index) {
                    flushWord()
                    emit(token.id, scalarIndex, scalarIndex + token.scalars)
                    index += token.bytes.count
                    scalarIndex += token.scalars
                    continue
                }
                if byte < 0x80 {
                    switch tokenizer.asciiActions[Int(byte)] {
                    case let .append(normalized): appendByte(normalized, origin: scalarIndex, startsScalar: true)
                    case .split: flushWord()
                    case .isolate:
                        flushWord()
                        appendByte(byte, origin: scalarIndex, startsScalar: true)
                        flushWord()
                    case .drop: break
                    }
                    index += 1
                } else {
                    let (scalar, length) = Self.decode(bytes, at: index)
                    index += length
                    normalizeScalar(scalar, origin: scalarIndex, options: options, table: table)
                }
                scalarIndex += 1
            }
            flushWord()
        }

        /// Normalises one non-ASCII scalar of the original text and pre-tokenizes the result.
        private mutating func normalizeScalar(_ scalar: UInt32, origin: Int32, options: TokenizerOptions, table: ScalarTable) {
            let flags = table.flags(scalar)
            if options.cleanText {
                if flags.contains(.removedByCleanText) { return }
                if flags.contains(.spaceByCleanText) { flushWord(); return }
            }
            let isolated = options.handleChineseChars && flags.contains(.chinese)
            if isolated { flushWord() }
            scratch.mapped.removeAll(keepingCapacity: true)
            if options.stripsAccents && flags.contains(.removedByStripAccents) {
                // Removed: nothing to add.
            } else if options.stripsAccents && flags.contains(.stripMapping) {
                table.appendStripped(scalar, to: &scratch.mapped)
            } else {
                scratch.mapped.append(scalar)
            }
            if options.lowercase, scratch.mapped.contains(where: { table.flags($0).contains(.lowercaseMapping) }) {
                scratch.lowered.removeAll(keepingCapacity: true)
                for mapped in scratch.mapped { table.appendLowercased(mapped, to: &scratch.lowered) }
                swap(&scratch.mapped, &scratch.lowered)
            }
            for index in scratch.mapped.indices {
                preTokenize(scratch.mapped[index], origin: origin, table: table)
            }
            if isolated { flushWord() }
        }

        /// Places one normalised scalar: a split, an isolated punctuation mark, or part of a word.
        @inline(__always)
        private mutating func preTokenize(_ scalar: UInt32, origin: Int32, table: ScalarTable) {
            let flags = table.flags(scalar)
            if flags.contains(.preTokenizerSpace) {
                flushWord()
            } else if flags.contains(.punctuation) {
                flushWord()
                appendScalar(scalar, origin: origin)
                flushWord()
            } else {
                appendScalar(scalar, origin: origin)
            }
        }

        @inline(__always)
        private mutating func appendByte(_ byte: UInt8, origin: Int32, startsScalar: Bool) {
            scratch.wordBytes.append(byte)
            scratch.wordOrigins.append(origin)
            if startsScalar { scratch.wordScalars += 1 }
        }

        private mutating func appendScalar(_ scalar: UInt32, origin: Int32) {
            switch scalar {
            case 0..<0x80:
                appendByte(UInt8(scalar), origin: origin, startsScalar: true)
            case 0x80..<0x800:
                appendByte(UInt8(0xC0 | scalar >> 6), origin: origin, startsScalar: true)
                appendByte(UInt8(0x80 | scalar & 0x3F), origin: origin, startsScalar: false)
            case 0x800..<0x10000:
                appendByte(UInt8(0xE0 | scalar >> 12), origin: origin, startsScalar: true)
                appendByte(UInt8(0x80 | (scalar >> 6) & 0x3F), origin: origin, startsScalar: false)
                appendByte(UInt8(0x80 | scalar & 0x3F), origin: origin, startsScalar: false)
            default:
                appendByte(UInt8(0xF0 | scalar >> 18), origin: origin, startsScalar: true)
                appendByte(UInt8(0x80 | (scalar >> 12) & 0x3F), origin: origin, startsScalar: false)
                appendByte(UInt8(0x80 | (scalar >> 6) & 0x3F), origin: origin, startsScalar: false)
                appendByte(UInt8(0x80 | scalar & 0x3F), origin: origin, startsScalar: false)
            }
        }

        @inline(__always)
        private mutating func emit(_ id: Int32, _ start: Int32, _ end: Int32) {
            guard !full else { return }
            encoding.append(id, start, end)
            emitted += 1
            if emitted >= limit { full = true }
        }

        /// Runs WordPiece on the word collected so far and clears it.
        private mutating func flushWord() {
            let count = scratch.wordBytes.count
            guard count > 0 else { return }
            defer {
                scratch.wordBytes.removeAll(keepingCapacity: true)
                scratch.wordOrigins.removeAll(keepingCapacity: true)
                scratch.wordScalars = 0
            }
            let wordStart = scratch.wordOrigins[0]
            let wordEnd = scratch.wordOrigins[count - 1] + 1
            if scratch.wordScalars > tokenizer.options.maxInputCharsPerWord {
                emit(tokenizer.unknownId, wordStart, wordEnd)
                return
            }
            let firstToken = encoding.count
            let covered = scratch.wordBytes.withUnsafeBufferPointer { word -> Bool in
                var start = 0
                while start < count {
                    let root = start == 0 ? VocabularyTrie.initialRoot : VocabularyTrie.continuationRoot
                    guard let match = tokenizer.trie.longestMatch(word, from: start, root: root) else { return false }
                    emit(match.id, scratch.wordOrigins[start], scratch.wordOrigins[match.end - 1] + 1)
                    start = match.end
                }
                return true
            }
            if !covered {
                // One uncoverable piece makes the whole word unknown, as in Hugging Face.
                let emittedHere = encoding.count - firstToken
                encoding.ids.removeLast(emittedHere)
                encoding.starts.removeLast(emittedHere)
                encoding.ends.removeLast(emittedHere)
                emitted -= emittedHere
                full = emitted >= limit
                emit(tokenizer.unknownId, wordStart, wordEnd)
            }
        }

        /// Decodes the scalar starting at a non-ASCII lead byte of valid UTF-8.
        @inline(__always)
        static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (UInt32, Int) {
            let lead = UInt32(bytes[index])
            if lead < 0xE0 {
                return ((lead & 0x1F) << 6 | UInt32(bytes[index + 1]) & 0x3F, 2)
            } else if lead < 0xF0 {
                return ((lead & 0x0F) << 12 | (UInt32(bytes[index + 1]) & 0x3F) << 6 | UInt32(bytes[index + 2]) & 0x3F, 3)
            } else {
                return ((lead & 0x07) << 18 | (UInt32(bytes[index + 1]) & 0x3F) << 12
                        | (UInt32(bytes[index + 2]) & 0x3F) << 6 | UInt32(bytes[index + 3]) & 0x3F, 4)
            }
        }
    }

    /// The added (special) token that starts at `index` in the raw text, longest first.
    private func addedToken(in bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (bytes: [UInt8], scalars: Int32, id: Int32)? {
        for token in addedTokens where index + token.bytes.count <= bytes.count {
            var matches = true
            for offset in 0..<token.bytes.count where bytes[index + offset] != token.bytes[offset] {
                matches = false
                break
            }
            if matches { return token }
        }
        return nil
    }
}
