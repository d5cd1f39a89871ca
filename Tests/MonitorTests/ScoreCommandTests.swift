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
        let explanation = try #require(first["explanation"] as? [String: Any])
        #expect(explanation["method"] as? String == "attention" && explanation["label"] as? String == sentiment["label"] as? String)
        let words = try #require(explanation["words"] as? [[String: Any]])
        #expect(Set(words.compactMap { $0["word"] as? String }) == ["Shares", "plunge", "after", "profit", "warning"])
        let after = try #require(words.first { $0["word"] as? String == "after" })
        #expect(after["shown"] as? Bool == false && after["start"] as? Int == 14 && after["end"] as? Int == 19)
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

    @Test("--precision picks the dense layers' arithmetic: int8 and f32 logits differ a little, labels agree; a bad value names the choices")
    func precision() async throws {
        let model = repositoryRoot.appendingPathComponent("models/finsent-minilm").path
        let text = "Contoso shares plunge 25% as SEC opens fraud probe"
        var logits: [String: [Double]] = [:]
        for precision in ["f32", "int8"] {
            let result = try await runProduct("monitorctl", ["score", "--model", model, "--logits", "--precision", precision, text])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            let heads = try #require(object["heads"] as? [String: [String: Any]])
            #expect(heads["sentiment"]?["label"] as? String == "negative")
            logits[precision] = try #require((object["logits"] as? [String: [Double]])?["sentiment"])
        }
        let difference = zip(logits["f32"]!, logits["int8"]!).map { abs($0 - $1) }.max() ?? 0
        #expect(difference > 0 && difference < 0.25, "f32 \(logits["f32"]!) against int8 \(logits["int8"]!)")
        let bad = try await runProduct("monitorctl", ["score", "--model", model, "--precision", "fp16", text])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("auto") && bad.stderr.contains("int8") && bad.stderr.contains("f32"), "\(bad.stderr)")
    }

    @Test("explain TEXT shows signed words for and against the label shown, and risk's words when the label is not negative")
    func explainText() async throws {
        let model = repositoryRoot.appendingPathComponent("models/finsent-minilm").path
        let text = "Contoso beats earnings estimates but warns of weaker demand"
        let table = try await runProduct("monitorctl", ["explain", "--model", model, "--precision", "f32", text],
                                         environment: ["NO_COLOR": "1"])
        #expect(table.status == 0, "stderr: \(table.stderr)")
        let lines = table.stdout.split(separator: "\n").map(String.init)
        let towards = try #require(lines.first { $0.hasPrefix("for positive: ") })
        #expect(towards.hasPrefix("for positive: beats +"), "\(towards)")
        let against = try #require(lines.first { $0.hasPrefix("against positive: ") })
        #expect(against.contains("warns -"), "\(against)")
        let risk = try #require(lines.first { $0.hasPrefix("for negative (risk): ") })
        #expect(risk.contains("warns +"), "\(risk)")
        #expect(!(towards + against + risk).contains(" of ") && !(towards + against).contains("but "), "no filler listed")
        let json = try await runProduct("monitorctl", ["explain", "--model", model, "--precision", "f32", "--format", "json", text])
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], "\(json.stderr)")
        #expect(document["method"] as? String == "occlusion" && document["label"] as? String == "positive")
        let words = try #require(document["words"] as? [[String: Any]]), opposed = try #require(document["against"] as? [[String: Any]])
        #expect(words.allSatisfy { ($0["weight"] as? Double ?? 0) > 0 } && opposed.allSatisfy { ($0["weight"] as? Double ?? 0) < 0 })
        #expect((document["riskWords"] as? [[String: Any]])?.first?["word"] as? String == "warns")
    }
}
