import Alerts
import Store

/// Alert evidence explained by occlusion (README, "Explanations"): each evidence item's text, as the
/// scorer read it, explained again on the scorer's inference queue. An alert carries at most five
/// items, so this costs a few tens of milliseconds per alert change, not per scored item.
public struct OcclusionEvidence: EvidenceExplainer {
    let store: any MonitorStore
    let scoring: ScoringService

    public init(store: any MonitorStore, scoring: ScoringService) {
        self.store = store
        self.scoring = scoring
    }

    public func words(for items: [Int64], towards label: String?) async throws -> [Int64: EvidenceWords] {
        var ids: [Int64] = [], texts: [String] = []
        for id in items {
            guard let item = try await store.item(id: id) else { continue }  // removed by retention meanwhile
            ids.append(id)
            texts.append(ScoringService.text(title: item.title, summary: item.summary))
        }
        guard !texts.isEmpty else { return [:] }
        let explanations = await scoring.explain(texts, towards: label)
        var words: [Int64: EvidenceWords] = [:]
        for (id, explanation) in zip(ids, explanations) {
            guard let explanation else { continue }
            words[id] = EvidenceWords(label: explanation.label, words: explanation.evidence.prefix(8).map(\.word))
        }
        return words
    }
}
