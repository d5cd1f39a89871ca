import Foundation
import Testing
import Transformer

/// The model folder monitord uses by default (`models/finsent-minilm`, trained by training/train.py).
let defaultModelFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../models/finsent-minilm").standardizedFileURL.path

/// What training/train.py recorded with PyTorch on the shipped (F16) weights.
struct DefaultModelReference: Decodable {
    struct Head: Decodable { let logits: [Float]; let probabilities: [Float] }
    struct Case: Decodable { let text: String; let ids: [Int]; let heads: [String: Head] }
    let max_length: Int
    let cases: [Case]

    static func load() throws -> DefaultModelReference {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/finsent-minilm-reference.json")
        return try JSONDecoder().decode(DefaultModelReference.self, from: Data(contentsOf: url))
    }
}

@Suite("The shipped default model")
struct DefaultModelTests {
    let classifier: TextClassifier

    init() throws {
        classifier = try TextClassifier(folder: defaultModelFolder, maxLength: 128, threads: 2, precision: .f32)
    }

    @Test("it loads with two calibrated heads: sentiment (3 labels) and topic (20)")
    func loads() {
        #expect(classifier.heads.map(\.name) == ["sentiment", "topic"])
        #expect(classifier.heads[0].labels == ["negative", "neutral", "positive"])
        #expect(classifier.heads[1].labels.count == 20)
        #expect(classifier.heads.allSatisfy { $0.temperature != 1 && $0.pooling == .mean })
    }

    @Test("PyTorch's probabilities for 50 texts are reproduced within 1e-4, in batches")
    func parity() throws {
        let reference = try DefaultModelReference.load()
        #expect(reference.cases.count == 50)
        for item in reference.cases {
            #expect(classifier.tokenizer.encode(item.text, maxLength: reference.max_length).ids.map(Int.init) == item.ids, "\(item.text)")
        }
        let results = classifier.classify(reference.cases.map(\.text), batchSize: 16)
        for (result, expected) in zip(results, reference.cases) {
            for head in result.heads {
                let want = try #require(expected.heads[head.name])
                let logitError = zip(head.logits, want.logits).map { abs($0 - $1) }.max() ?? 0
                let probabilityError = zip(head.probabilities, want.probabilities).map { abs($0 - $1) }.max() ?? 0
                #expect(logitError < 1e-4 && probabilityError < 1e-4,
                        "\(head.name) of \"\(expected.text)\": logits off by \(logitError), probabilities by \(probabilityError)")
            }
        }
    }

    @Test("unambiguous sentences get the right labels", arguments: [
        ("Contoso shares plunge 25% as SEC opens fraud probe", "negative", ["Stock Movement", "Legal | Regulation"]),
        ("Contoso beats earnings estimates and raises full-year guidance; shares jump 12%", "positive", ["Earnings", "Stock Movement"]),
        ("Regulators fine Northwind Bank $2 billion over money laundering failures", "negative", ["Legal | Regulation", "Financials"]),
        ("Contoso misses earnings estimates and slashes its dividend", "negative", ["Earnings", "Financials", "Dividend"]),
        ("The Federal Reserve left interest rates unchanged on Wednesday", "neutral", ["Fed | Central Banks"]),
        ("Fabrikam to acquire Tailspin Toys in a $4.5 billion all-cash deal", nil, ["M&A | Investments"]),
        ("Oil prices slump as OPEC+ output rises", "negative", ["Energy | Oil"]),
    ] as [(String, String?, [String])])
    func labels(_ text: String, _ sentiment: String?, _ topics: [String]) throws {
        let result = try #require(classifier.classify([text]).first)
        let heads = Dictionary(uniqueKeysWithValues: result.heads.map { ($0.name, $0) })
        if let sentiment { #expect(heads["sentiment"]?.label == sentiment, "\(heads["sentiment"]!.probabilities)") }
        #expect(topics.contains(heads["topic"]?.label ?? ""), "topic \(heads["topic"]?.label ?? "-")")
    }

    @Test("known limit: a bankruptcy filing told as plain news is scored neutral (model card, \"Known limits\")")
    func bankruptcyFilingKnownLimit() throws {
        let result = try #require(classifier.classify(["ACME files for Chapter 11 bankruptcy protection"]).first)
        withKnownIssue("the Twitter training labels call event news without market language neutral; fix in the next model") {
            #expect(result[head: "sentiment"]?.label == "negative")
        }
        // It still carries more negative weight than a neutral corporate announcement.
        let plain = try #require(classifier.classify(["ACME opens a new office in Dublin"]).first)
        #expect((result[head: "sentiment"]?.probability(of: "negative") ?? 0) > (plain[head: "sentiment"]?.probability(of: "negative") ?? 1))
    }
}

@Suite("The shipped MIT-only model")
struct MITModelTests {
    @Test("it loads with the same heads and calls unambiguous headlines right; its metrics file says it saw no PhraseBank")
    func loadsAndLabels() async throws {
        let folder = URL(fileURLWithPath: defaultModelFolder).deletingLastPathComponent().appendingPathComponent("finsent-minilm-mit")
        let (heads, labels) = try await offPool {
            let classifier = try TextClassifier(folder: folder.path, threads: 2, precision: .f32)
            let results = classifier.classify(["Contoso shares plunge 25% as SEC opens fraud probe",
                                               "Contoso beats earnings estimates and raises full-year guidance; shares jump 12%"])
            return (classifier.heads, results.map { $0[head: "sentiment"]?.label })
        }
        #expect(heads.map(\.name) == ["sentiment", "topic"] && heads[1].labels.count == 20)
        #expect(labels == ["negative", "positive"])
        let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("metrics.json"))) as? [String: Any]
        #expect(metrics?["mit_only"] as? Bool == true && (metrics?["train_rows"] as? [String: Int])?["phrasebank"] == 0)
    }
}
