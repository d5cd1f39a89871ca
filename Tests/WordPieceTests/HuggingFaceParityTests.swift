import Foundation
import Testing
import WordPiece

@Suite("Same ids as Hugging Face tokenizers")
struct HuggingFaceParityTests {
    @Test("adversarial texts: ids and offsets, under every normaliser setting", arguments: NormalizerSetting.allCases)
    func adversarial(_ setting: NormalizerSetting) throws {
        let tokenizer = try miniLMTokenizer(setting)
        let rows = try loadAdversarialRows()
        #expect(rows.count > 1000)
        var mismatches: [String] = []
        for row in rows {
            let expected = try #require(row.expected[setting.rawValue])
            let encoding = tokenizer.encode(row.text)
            let offsets = zip(encoding.starts, encoding.ends).map { [$0, $1] }
            if encoding.ids != expected.ids || offsets != expected.offsets {
                mismatches.append("""
                    text \(String(row.text.debugDescription.prefix(200)))
                      expected \(expected.ids) \(expected.offsets)
                      got      \(encoding.ids) \(offsets)
                    """)
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(rows.count) differ; first:\n\(mismatches.prefix(5).joined(separator: "\n"))")
    }

    @Test("every text of the shared training data", .enabled(if: FileManager.default.fileExists(atPath: sharedData.path),
                                                           "../shared/data is not beside the repository"),
          arguments: [NormalizerSetting.uncased, .cased])
    func sharedTrainingData(_ setting: NormalizerSetting) throws {
        let fixture = try SharedIDs(contentsOf: fixtures.appendingPathComponent("shared-\(setting.rawValue).ids"))
        let tokenizer = try miniLMTokenizer(setting)
        var row = 0
        var mismatches: [String] = []
        for (name, rows) in fixture.files {
            let texts = try sharedTexts(name)
            #expect(texts.count == rows, "\(name) has \(texts.count) rows; the fixture was made from \(rows): regenerate it")
            for text in texts.prefix(rows) {
                let ids = tokenizer.encode(text).ids
                if ids != fixture.ids[row] {
                    mismatches.append("\(name) line \(row + 1): \"\(text)\"\n  expected \(fixture.ids[row])\n  got      \(ids)")
                }
                row += 1
            }
        }
        #expect(row == fixture.ids.count)
        #expect(mismatches.isEmpty, "\(mismatches.count) differ; first:\n\(mismatches.prefix(5).joined(separator: "\n"))")
    }
}
