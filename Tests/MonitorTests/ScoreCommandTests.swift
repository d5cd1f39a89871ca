import Foundation
import Testing

private let tinyBert = repositoryRoot.appendingPathComponent("Tests/TransformerTests/Fixtures/tiny-bert").path

@Suite("monitorctl score and embed")
struct ScoreCommandTests {
    @Test("score prints one JSON object per text with labels, probabilities, logits and the words behind them")
    func score() async throws {
        let result = try await runProduct("monitorctl", ["score", "--model", tinyBert, "--logits", "--explain",
                                                         "Shares plunge after profit warning", "Dividend raised"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["text"] as? String == "Shares plunge after profit warning")
        let sentiment = try #require((first["heads"] as? [String: Any])?["sentiment"] as? [String: Any])
        let scores = try #require(sentiment["scores"] as? [String: Double])
        #expect(Set(scores.keys) == ["negative", "neutral", "positive"])
        #expect(abs(scores.values.reduce(0, +) - 1) < 1e-4)
        #expect(scores[sentiment["label"] as? String ?? ""] == scores.values.max())
        #expect(((first["logits"] as? [String: Any])?["sentiment"] as? [Double])?.count == 3)
        let words = try #require(first["explanation"] as? [[String: Any]])
        #expect(Set(words.compactMap { $0["word"] as? String }) == ["Shares", "plunge", "after", "profit", "warning"])
    }

    @Test("score reads lines on standard input when no text is given; without flags, no logits or explanation")
    func scoreStdin() async throws {
        let result = try await runProduct("monitorctl", ["score", "--model", tinyBert], stdin: Data("one\ntwo\nthree\n".utf8))
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(!result.stdout.contains("\"logits\"") && !result.stdout.contains("\"explanation\""))
    }

    @Test("embed prints one vector per line; --normalize gives unit length")
    func embed() async throws {
        let result = try await runProduct("monitorctl", ["embed", "--model", tinyBert, "--normalize"], stdin: Data("a\nb c\n".utf8))
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let vectors = try result.stdout.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [Double] }
        #expect(vectors.count == 2 && vectors.allSatisfy { $0.count == 32 })
        #expect(vectors.allSatisfy { abs($0.reduce(0) { $0 + $1 * $1 } - 1) < 1e-4 })
    }

    @Test("a folder that is not a model is one clear error")
    func badModel() async throws {
        let folder = try TemporaryFolder()
        let result = try await runProduct("monitorctl", ["score", "--model", folder.url.path, "hello"])
        #expect(result.status == 1)
        #expect(result.stderr == "monitorctl: \(folder.url.path)/config.json: missing (expected a Hugging Face model folder)\n")
    }
}
