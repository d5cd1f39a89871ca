import Foundation
import Testing

private let miniLM = repositoryRoot.appendingPathComponent("Tests/WordPieceTests/Fixtures/minilm").path

@Suite("monitorctl tokenize and bench tokenize")
struct TokenizeCommandTests {
    @Test("one JSON array of ids per input line; invalid UTF-8 is read as U+FFFD")
    func ids() async throws {
        var input = Data("Apple shares plunge 12% after earnings miss\r\n".utf8)
        input.append(contentsOf: [0xFF, 0xFE] + Array(" bad utf8\n".utf8))
        input.append(contentsOf: Array("\n".utf8))
        let result = try await runProduct("monitorctl", ["tokenize", "--model", miniLM], stdin: input)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        // Expected ids from Hugging Face tokenizers 0.23.3 (U+FFFD is removed by clean_text).
        #expect(result.stdout == """
            [101,6207,6661,25912,2260,1003,2044,16565,3335,102]
            [101,2919,21183,2546,2620,102]
            [101,102]

            """)
    }

    @Test("--tokens prints token strings; --max-length truncates")
    func tokens() async throws {
        let result = try await runProduct("monitorctl", ["tokenize", "--model", miniLM, "--tokens", "--max-length", "6"],
                                          stdin: Data("Apple shares plunge 12% after earnings miss\n\"quoted\"\n".utf8))
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout == """
            ["[CLS]","apple","shares","plunge","12","[SEP]"]
            ["[CLS]","\\"","quoted","\\"","[SEP]"]

            """)
    }

    @Test("a folder without a vocabulary is one clear error")
    func badFolder() async throws {
        let folder = try TemporaryFolder()
        let result = try await runProduct("monitorctl", ["tokenize", "--model", folder.url.path], stdin: Data("x\n".utf8))
        #expect(result.status == 1)
        #expect(result.stderr == "monitorctl: \(folder.url.path): no vocab.txt or tokenizer.json (expected a Hugging Face model folder)\n")
    }

    @Test("bench tokenize prints JSON with the median rate")
    func bench() async throws {
        let lines = (0..<200).map { "Line \($0): Fed signals a pause; $SPY +0.4% after CPI surprise" }.joined(separator: "\n")
        let result = try await runProduct("monitorctl", ["bench", "tokenize", "--model", miniLM, "--runs", "3"],
                                          stdin: Data(lines.utf8))
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["texts"] as? Int == 200)
        #expect((json["texts_per_second"] as? Double ?? 0) > 0)
        #expect((json["mb_per_second"] as? Double ?? 0) > 0)
    }
}
