import Alerts
import Store
import Synchronization

/// Alert evidence explained by occlusion (README, "Explanations"): each evidence item's text, as the
/// scorer read it, explained again on the scorer's inference queue, three words chosen by search (the
/// rest by their weight alone). An alert carries at most five items and is explained only when it sends
/// a message; an item already explained for the same label is not explained again (the evidence of an
/// entity's rules overlaps), so this costs a few hundred passes per notified alert, not per scored item.
public final class OcclusionEvidence: EvidenceExplainer {
    let store: any MonitorStore
    let scoring: ScoringService
    /// Words by item and label; cleared when it reaches `cacheLimit`.
    private let explained = Mutex<[Key: EvidenceWords]>([:])
    private struct Key: Hashable { let item: Int64; let label: String? }
    static let rounds = 3
    static let cacheLimit = 4096

    public init(store: any MonitorStore, scoring: ScoringService) {
        self.store = store
        self.scoring = scoring
    }

    public func words(for items: [Int64], towards label: String?) async throws -> [Int64: EvidenceWords] {
        var words: [Int64: EvidenceWords] = [:]
        var ids: [Int64] = [], texts: [String] = []
        for id in items {
            if let known = explained.withLock({ $0[Key(item: id, label: label)] }) {
                words[id] = known
                continue
            }
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
        explained.withLock { cache in
            if cache.count + ids.count > Self.cacheLimit { cache.removeAll(keepingCapacity: true) }
            for id in ids { cache[Key(item: id, label: label)] = words[id] }
        }
        return words
    }
}
