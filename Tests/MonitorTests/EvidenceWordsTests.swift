import Alerts
import API
@testable import Config
import Foundation
import Store
import Testing
import Transformer
@testable import Monitor

@Suite("Alert evidence explained by occlusion")
struct EvidenceWordsTests {
    let model = "m@1"
    let texts = [
        "Contoso beats estimates but warns of weaker demand and cuts 2,000 jobs",
        "Contoso shares plunge 25% as the SEC opens a fraud probe",
    ]

    /// Stores the texts as items about Contoso (CTSO), scored negative with the words attention might store.
    func store() async throws -> any MonitorStore {
        let store = try makeStore()
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        _ = try await store.syncFeeds([FeedSpec(id: "wire", url: "http://x")], at: Date(millis: 0))
        let items = texts.map { text in
            NewItem(canonicalID: text, contentHash: text, dedupeByContent: false, title: text, link: nil, summary: "",
                    authorsJSON: "[]", rawJSON: "{}", publishedAt: at, publishedEstimated: false)
        }
        _ = try await store.recordPoll(FeedPollUpdate(feedID: "wire", status: 200, outcome: .success(etag: nil, lastModified: nil, url: "http://x"),
                                                      nextPollAt: at, at: at), items: items, sourceAlert: nil)
        let stored = try await store.unscoredItems(after: 0, modelVersion: model, limit: 10, publishedSince: nil, claim: nil)
        try await store.writeScores(stored.map { item in
            ScoredItem(score: ScoreRecord(itemID: item.id, modelVersion: model, heads: "{}", sentiment: -0.5, risk: 0.6, label: "negative",
                                          topic: "Earnings", explanation: #"[{"word":"Contoso","weight":0.4}]"#, scoredAt: at),
                       mentions: [MentionRecord(itemID: item.id, symbol: "CTSO", kind: .name, matched: "Contoso")],
                       entities: [EntityRecord(symbol: "CTSO", name: "Contoso", onWatchlist: true, firstSeenAt: at)])
        })
        return store
    }

    func config() throws -> MonitorConfig {
        var config = try ConfigLoader.parse(Array(#"{"database": "/tmp/x.sqlite", "model": "m", "watchlist": [{"symbol": "CTSO", "names": ["Contoso"]}], "webhooks": [{"id": "desk", "url": "http://127.0.0.1:1/h", "secretEnv": "S"}]}"#.utf8),
                                            file: "/tmp/config.json", environment: ["S": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
        config.rules = [AlertRule(id: "neg", metric: .negativeShare, window: .seconds(3600), threshold: .above(0.5, resolveBelow: nil),
                                  minItems: 2, cooldown: .seconds(600), forDuration: .zero, entities: [], severity: .critical, webhooks: [])]
        return config
    }

    /// A scorer with the shipped model (F32), whose inference queue the explainer uses; its own store is not read.
    /// Loaded off the cooperative pool (`offPool`), where it would hold up the timing tests beside it.
    func scoringService() throws -> ScoringService {
        let classifier = try TextClassifier(folder: repositoryRoot.appendingPathComponent("models/finsent-minilm").path, threads: 2, precision: .f32)
        return ScoringService(current: CurrentConfig(try config()), store: try makeStore(), classifier: classifier,
                              itemsStored: PipelineSignal(), scoresWritten: PipelineSignal(), backlog: ScoringBacklog(),
                              stats: PipelineStats(database: "test"), instanceID: "test", logger: quietLogger)
    }

    /// The firing message's evidence: words and wordsFor by title.
    func evidence(_ explainer: (any EvidenceExplainer)?) async throws -> [String: (words: [String], wordsFor: String)] {
        let store = try await store()
        let engine = AlertEvaluator(store: store, explainer: explainer)
        let changes = try await engine.evaluate(config: try config(), modelVersion: model, now: Date(timeIntervalSince1970: 1_800_000_001))
        #expect(changes.map(\.event) == [.firing])
        let payload = try #require(try await store.deliveries(failedOnly: false, limit: 10).first?.delivery.payload)
        let data = try #require((try JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any])?["data"] as? [String: Any])
        let entries = try #require(data["evidence"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: entries.map {
            ($0["title"] as? String ?? "", ($0["words"] as? [String] ?? [], $0["wordsFor"] as? String ?? ""))
        })
    }

    @Test("a negative-share alert's evidence shows, for each item, the words occlusion finds pushed it towards negative")
    func occlusion() async throws {
        let texts = self.texts
        let (scoring, expected) = try await offPool { [self] in
            let scoring = try scoringService()
            return (scoring, scoring.classifier.classify(texts, explain: .occlusion, label: "negative", rounds: OcclusionEvidence.rounds)
                .map { $0.explanation!.evidence.prefix(8).map(\.word) })
        }
        let store = try await store()
        let evidence = try await evidence(OcclusionEvidence(store: store, scoring: scoring))
        for (text, words) in zip(texts, expected) {
            let entry = try #require(evidence[text])
            #expect(entry.wordsFor == "negative")
            #expect(entry.words == words && !words.isEmpty, "\(text): \(entry.words)")
            #expect(entry.words.allSatisfy(FillerWords.isShown))
        }
        #expect(evidence[texts[1]]?.words.first == "plunge")
        #expect(evidence[texts[0]]?.words.contains("warns") == true)
    }

    @Test("at most `budget` items a minute are explained; one explained before costs nothing; the budget comes back after a minute")
    func budget() async throws {
        let scoring = try await offPool { [self] in try scoringService() }
        let store = try await store(), time = ManualTime()
        let evidence = OcclusionEvidence(store: store, scoring: scoring, time: time, budget: 1)
        let one = try await store.item(id: 1), two = try await store.item(id: 2)
        #expect(one != nil && two != nil)
        let first = try await evidence.words(for: [1, 2], towards: "negative")
        #expect(Array(first.keys) == [1], "one item within the budget; the other keeps its stored words")
        let again = try await evidence.words(for: [1], towards: "negative")
        #expect(again == first, "explained before: no budget spent")
        time.advance(by: 59)
        let early = try await evidence.words(for: [2], towards: "negative")
        #expect(early.isEmpty, "the minute has not passed")
        time.advance(by: 1)
        let later = try await evidence.words(for: [2], towards: "negative")
        #expect(later.keys.contains(2))
    }

    @Test("without an explainer, or when it fails, the evidence keeps the words stored with the score")
    func storedWords() async throws {
        struct Failing: EvidenceExplainer {
            struct Down: Error {}
            func words(for items: [Int64], towards label: String?) async throws -> [Int64: EvidenceWords] { throw Down() }
        }
        for explainer in [nil, Failing()] as [(any EvidenceExplainer)?] {
            let evidence = try await evidence(explainer)
            #expect(evidence.values.map(\.words) == [["Contoso"], ["Contoso"]])
            #expect(evidence.values.allSatisfy { $0.wordsFor == "negative" })
        }
    }
}
