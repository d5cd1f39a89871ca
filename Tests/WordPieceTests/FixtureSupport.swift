import Foundation
import WordPiece

let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
let miniLMFolder = fixtures.appendingPathComponent("minilm").path
/// The training data beside the repository (not copied into it; see tools/tokenizer/generate_fixtures.py).
let sharedData = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../../shared/data").standardizedFileURL

/// The normaliser settings the fixtures were recorded with (tools/tokenizer/generate_fixtures.py).
enum NormalizerSetting: String, CaseIterable, Sendable {
    case uncased, cased
    case lowercaseKeepAccents = "lowercase-keep-accents"
    case casedStripAccents = "cased-strip-accents"
    case raw

    func apply(to options: inout TokenizerOptions) {
        switch self {
        case .uncased: (options.lowercase, options.stripAccents) = (true, nil)
        case .cased: (options.lowercase, options.stripAccents) = (false, nil)
        case .lowercaseKeepAccents: (options.lowercase, options.stripAccents) = (true, false)
        case .casedStripAccents: (options.lowercase, options.stripAccents) = (false, true)
        case .raw:
            (options.lowercase, options.stripAccents) = (false, false)
            options.cleanText = false
            options.handleChineseChars = false
        }
    }
}

/// The all-MiniLM tokenizer with one normaliser setting.
func miniLMTokenizer(_ setting: NormalizerSetting) throws -> WordPieceTokenizer {
    let base = try WordPieceTokenizer(folder: miniLMFolder)
    var options = base.options
    setting.apply(to: &options)
    return try WordPieceTokenizer(options: options, vocabulary: base.vocabulary)
}

/// One line of adversarial.jsonl: a text and Hugging Face's output per setting.
struct AdversarialRow: Decodable {
    struct Expected: Decodable {
        let ids: [Int32]
        let offsets: [[Int32]]
    }
    let text: String
    let expected: [String: Expected]

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        text = try container.decode(String.self, forKey: AnyKey("text"))
        var expected: [String: Expected] = [:]
        for setting in NormalizerSetting.allCases {
            expected[setting.rawValue] = try container.decode(Expected.self, forKey: AnyKey(setting.rawValue))
        }
        self.expected = expected
    }

    struct AnyKey: CodingKey {
        let stringValue: String
        init(_ value: String) { stringValue = value }
        init?(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }
}

func loadAdversarialRows() throws -> [AdversarialRow] {
    let data = try Data(contentsOf: fixtures.appendingPathComponent("adversarial.jsonl"))
    let decoder = JSONDecoder()
    return try data.split(separator: UInt8(ascii: "\n")).map { try decoder.decode(AdversarialRow.self, from: Data($0)) }
}

/// The `shared-<setting>.ids` fixture: which files and how many rows, then the ids of every text.
struct SharedIDs {
    var files: [(name: String, rows: Int)] = []
    var ids: [[Int32]] = []

    init(contentsOf url: URL) throws {
        let bytes = [UInt8](try Data(contentsOf: url))
        var index = 0
        func u16() -> Int { defer { index += 2 }; return Int(bytes[index]) | Int(bytes[index + 1]) << 8 }
        func u32() -> Int { u16() | u16() << 16 }
        guard bytes.starts(with: Array("FSID".utf8)) else { throw FixtureError("\(url.path) is not an ids fixture") }
        index = 4
        for _ in 0..<u32() {
            let length = u16()
            let name = String(decoding: bytes[index..<index + length], as: UTF8.self)
            index += length
            files.append((name, u32()))
        }
        while index < bytes.count {
            let count = u16()
            ids.append((0..<count).map { _ in Int32(u16()) })
        }
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The texts of one shared data file, split on "\n" only (tweets may hold U+2028).
func sharedTexts(_ name: String) throws -> [String] {
    let data = try Data(contentsOf: sharedData.appendingPathComponent(name))
    struct Row: Decodable { let text: String }
    let decoder = JSONDecoder()
    return try data.split(separator: UInt8(ascii: "\n")).map { try decoder.decode(Row.self, from: Data($0)).text }
}
