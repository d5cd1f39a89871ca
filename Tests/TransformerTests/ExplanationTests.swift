import Foundation
import Testing
@testable import Transformer

@Suite("Which words an explanation shows")
struct FillerWordsTests {
    @Test("tickers, numbers with their unit, negations and direction words are shown", arguments: [
        "$AAPL", "38%", "$12bn", "-5%", "+12%", "not", "no", "never", "didn't", "up", "down", "below", "plunge", "SEC", "2024",
    ])
    func shown(_ word: String) { #expect(FillerWords.isShown(word)) }

    @Test("stop words, punctuation and bare symbols are not", arguments: [
        "as", "a", "to", "The", "of", "$", "%", "-", "|", "—", "&", "...", "(", "RT", "via", "it's",
    ])
    func hidden(_ word: String) { #expect(!FillerWords.isShown(word)) }

    @Test("punctuation around a word is trimmed, a currency sign, sign before a digit and % are kept")
    func trimmed() {
        #expect(FillerWords.trimmed("plunge,") == "plunge")
        #expect(FillerWords.trimmed("(NYSE:") == "NYSE")
        #expect(FillerWords.trimmed("\"fraud\".") == "fraud")
        #expect(FillerWords.trimmed("$12bn;") == "$12bn")
        #expect(FillerWords.trimmed("-5%)") == "-5%")
        #expect(FillerWords.trimmed("-bad") == "bad")
        #expect(FillerWords.trimmed("...") == "")
    }
}

/// The shipped model, loaded on a thread of its own (`offPool`): model work on the cooperative pool
/// delays the timing tests that run beside it.
func withShippedModel<T: Sendable>(_ work: @escaping @Sendable (TextClassifier) throws -> T) async throws -> T {
    try await offPool { try work(try TextClassifier(folder: defaultModelFolder, maxLength: 128, threads: 2, precision: .f32)) }
}

@Suite("Explanations of the shipped model")
struct ExplanationTests {
    @Test("occlusion explains the label shown with signed weights: whole words, the decisive word first, no filler shown")
    func occlusion() async throws {
        let text = "Shares of $ACME plunge 38% as the SEC opens a fraud probe"
        let (result, without) = try await withShippedModel { classifier in
            let result = classifier.classify([text], explain: .occlusion)[0]
            let chosen = result.explanation?.evidence.prefix(3).map(\.scalarRange) ?? []
            return (result, classifier.classify([removing(chosen, from: text)])[0])
        }
        let explanation = try #require(result.explanation)
        #expect(explanation.method == .occlusion && explanation.head == "sentiment" && explanation.label == "negative")
        #expect(result[head: "sentiment"]?.label == "negative")
        // Every word once, as written between spaces: the ticker and the number keep their symbols.
        #expect(explanation.words.map(\.word).sorted() == ["$ACME", "38%", "SEC", "Shares", "a", "as", "fraud", "of", "opens", "plunge", "probe", "the"])
        #expect(explanation.evidence.first?.word == "plunge")
        #expect(!explanation.evidence.contains { ["as", "a", "the", "of", "$", "%"].contains($0.word) })
        #expect(explanation.words.contains { $0.weight < 0 }, "some words held the label back")
        // The chosen words' weights add up to the fall with all of them removed.
        let chosen = explanation.evidence.prefix(3)
        let fall = (result[head: "sentiment"]?.probability(of: "negative") ?? 0) - (without[head: "sentiment"]?.probability(of: "negative") ?? 1)
        #expect(abs(chosen.reduce(0) { $0 + $1.weight } - fall) < 1e-3, "weights \(chosen.map(\.weight)), fall \(fall)")
    }

    @Test("a label other than the one shown can be explained (risk reads negative)")
    func otherLabel() async throws {
        let text = "Contoso beats earnings estimates but warns of weaker demand"
        let result = try await withShippedModel { $0.classify([text], explain: .occlusion, label: "negative")[0] }
        #expect(result.explanation?.label == "negative")
        #expect(result.explanation?.evidence.first.map { ["warns", "weaker"].contains($0.word) } == true,
                "\(result.explanation?.evidence.map(\.word) ?? [])")
    }

    @Test("attention shares add up to 1 and keep filler out of what is shown")
    func attention() async throws {
        let result = try await withShippedModel { $0.classify(["Oil prices slump as OPEC+ output rises"], explain: .attention)[0] }
        let explanation = try #require(result.explanation)
        #expect(abs(explanation.words.reduce(0) { $0 + $1.weight } - 1) < 1e-4)
        #expect(explanation.words.map(\.weight) == explanation.words.map(\.weight).sorted(by: >))
        #expect(!explanation.evidence.map(\.word).contains("as"))
    }

    @Test("on Twitter dev texts, removing occlusion's top 3 words lowers the label's probability far more than attention's",
          .enabled(if: FileManager.default.fileExists(atPath: DevSplits.data.path), "../shared/data is not beside the repository"))
    func faithfulness() async throws {
        let (occlusion, attention) = try await withShippedModel { classifier in
            let texts = Array(try DevSplits.load().first { $0.name == "twitter_sentiment_dev" }!.texts.prefix(150))
            let labelled = classifier.classify(texts).enumerated().filter { $0.element[head: "sentiment"]?.label != "neutral" }
                .prefix(40).map { texts[$0.offset] }
            func comprehensiveness(_ method: ExplanationMethod) -> Double {
                let results = classifier.classify(labelled, explain: method)
                let reduced = zip(labelled, results).map { text, result in
                    removing(result.explanation!.evidence.prefix(3).map(\.scalarRange), from: text)
                }
                let after = classifier.classify(reduced)
                return zip(results, after).map { before, after in
                    let label = before.explanation!.label
                    return Double(before[head: "sentiment"]!.probability(of: label) - after[head: "sentiment"]!.probability(of: label))
                }.reduce(0, +) / Double(labelled.count)
            }
            return (comprehensiveness(.occlusion), comprehensiveness(.attention))
        }
        print("comprehensiveness@3 on 40 Twitter dev texts: occlusion \(occlusion), attention \(attention)")
        #expect(occlusion > 0.6 && occlusion > attention + 0.1, "occlusion \(occlusion), attention \(attention)")
    }
}

/// The text without the given scalar ranges, words joined by single spaces.
func removing(_ ranges: [Range<Int>], from text: String) -> String {
    let scalars = Array(text.unicodeScalars)
    var kept = String.UnicodeScalarView()
    for (index, scalar) in scalars.enumerated() where !ranges.contains(where: { $0.contains(index) }) { kept.append(scalar) }
    return String(kept).split(separator: " ").joined(separator: " ")
}
