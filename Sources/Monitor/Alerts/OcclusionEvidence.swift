import Alerts
import Config
import Foundation
import Store
import Synchronization

/// Alert evidence explained by occlusion (README, "Explanations"): each evidence item's text, as the
/// scorer read it, explained again on the scorer's inference queue, three words chosen by search (the
/// rest by their weight alone). Only alerts that send a message ask, and an item already explained for
/// the same label is not explained again (the evidence of an entity's rules overlaps).
///
/// Occlusion costs about 80 ms of both cores per tweet-length item (three rounds of a pass per word),
/// taken from scoring. So at most `budget` items are explained in any minute (~2 s of inference, ~3% of
/// the minute); past it, evidence keeps the words stored with the score until the minute has passed.
public final class OcclusionEvidence: EvidenceExplainer {
    let store: any MonitorStore
    let scoring: ScoringService
    let time: any TimeSource
    let budget: Int
    private struct Key: Hashable { let item: Int64; let label: String? }
    private struct State {
        /// Words by item and label; cleared when it reaches `cacheLimit`.
        var explained: [Key: EvidenceWords] = [:]
        /// When each item of the last minute was explained.
        var spent: [Date] = []
    }
    private let state = Mutex(State())
    static let rounds = 3
    static let cacheLimit = 4096

    public init(store: any MonitorStore, scoring: ScoringService, time: any TimeSource = SystemTime(), budget: Int = 25) {
        self.store = store
        self.scoring = scoring
        self.time = time
        self.budget = budget
    }

    public func words(for items: [Int64], towards label: String?) async throws -> [Int64: EvidenceWords] {
        var words: [Int64: EvidenceWords] = [:]
        var wanted: [Int64] = []
        let now = time.now
        let allowed = state.withLock { state in
            for id in items {
                if let known = state.explained[Key(item: id, label: label)] { words[id] = known } else { wanted.append(id) }
            }
            state.spent.removeAll { now.timeIntervalSince($0) >= 60 }
            let allowed = min(wanted.count, max(0, budget - state.spent.count))
            state.spent += Array(repeating: now, count: allowed)
            return allowed
        }
        var ids: [Int64] = [], texts: [String] = []
        for id in wanted.prefix(allowed) {
            guard let item = try await store.item(id: id) else { continue }  // removed by retention meanwhile
            ids.append(id)
            texts.append(ScoringService.text(title: item.title, summary: item.summary))
        }
        guard !texts.isEmpty else { return words }
        let explanations = await scoring.explain(texts, towards: label, rounds: Self.rounds)
        for (id, explanation) in zip(ids, explanations) {
            guard let explanation else { continue }
            words[id] = EvidenceWords(label: explanation.label, words: explanation.evidence.prefix(8).map(\.word))
        }
        state.withLock { state in
            if state.explained.count + ids.count > Self.cacheLimit { state.explained.removeAll(keepingCapacity: true) }
            for id in ids { state.explained[Key(item: id, label: label)] = words[id] }
        }
        return words
    }
}
