import WordPiece

/// The explanation methods (`ExplanationMethod`) on a classifier's outputs.
extension TextClassifier {
    /// The head explanations are about: `sentiment`, else the first; nil for a bare encoder.
    var explainedHead: Int? {
        heads.firstIndex { $0.name == "sentiment" } ?? (heads.isEmpty ? nil : 0)
    }

    /// The attention the explained head reads: what every position receives for a mean-pooled head, else
    /// what [CLS] attends to (a head on [CLS] or the pooler, as FinBERT's).
    var attentionCapture: AttentionCapture {
        guard let head = explainedHead else { return .none }
        return heads[head].pooling == .mean ? .received : .cls
    }

    /// The index of `label` in the head's labels, else the label the head gave.
    func target(_ label: String?, of prediction: HeadPrediction) -> Int {
        label.flatMap { prediction.labels.firstIndex(of: $0) } ?? prediction.index
    }

    /// Each word's share of the last layer's attention (its tokens summed; `attentionCapture`).
    func attentionShares(_ words: TextWords, attention: [Float]) -> [Float] {
        var shares = [Float](repeating: 0, count: words.count)
        for (token, word) in words.wordOfToken.enumerated() where word >= 0 { shares[word] += attention[token] }
        return shares
    }

    /// At most this many words of one text are tried by occlusion (`occlusion`).
    static let occlusionCandidates = 32

    /// Greedy occlusion. Round 1 removes each word the model read on its own (or, past
    /// `occlusionCandidates` words, the shown words with the most attention; the others keep weight 0): every word's signed
    /// contribution is how far the label's probability falls without it. Each later round keeps the
    /// words chosen so far removed and removes each remaining shown word besides; the one that lowers
    /// the probability most is chosen, weighted by that further fall (so the chosen words' weights add
    /// up to the fall when they are all removed). Filler is never chosen. Every round is one batch.
    /// Returns each word's weight and the chosen words in the order they were chosen.
    func occlusion(_ words: TextWords, ids: [Int32], head: Int, label: Int, probability: Float,
                   rounds: Int, attention: [Float]) -> (weights: [Float], chosen: [Int]) {
        var read = words.encodedWords.sorted()
        if read.count > Self.occlusionCandidates {
            // A long text (a news item with its summary): its shown words with the most attention, so one
            // text costs at most occlusionCandidates passes per round, not one per word of its 128 tokens.
            let shares = attentionShares(words, attention: attention)
            read = Array(read.filter { words.isShown[$0] }.sorted { shares[$0] > shares[$1] }
                .prefix(Self.occlusionCandidates)).sorted()
        }
        var weights = [Float](repeating: 0, count: words.count)
        var chosen: [Int] = []
        var removed = Set<Int>(), current = probability
        for round in 0..<max(1, rounds) {
            let candidates = round == 0 ? read : read.filter { !removed.contains($0) && words.isShown[$0] }
            guard !candidates.isEmpty else { break }
            let falls = probabilities(candidates.map { words.ids(ids, without: removed.union([$0])) }, head: head, label: label)
                .map { current - $0 }
            if round == 0 { for (index, word) in candidates.enumerated() { weights[word] = falls[index] } }
            let shown = candidates.indices.filter { words.isShown[candidates[$0]] }
            guard let best = shown.max(by: { falls[$0] < falls[$1] }), falls[best] > 0 else { break }
            let word = candidates[best]
            weights[word] = falls[best]
            chosen.append(word)
            removed.insert(word)
            current -= falls[best]
        }
        return (weights, chosen)
    }

    /// The head's probability of `label` for each sequence, in one batch split between the workers.
    private func probabilities(_ sequences: [[Int32]], head: Int, label: Int) -> [Float] {
        let slots = ResultSlots<Float>(count: sequences.count)
        forward(sequences, capture: .none) { part, output in
            for (row, index) in part.enumerated() {
                var pooled: [HeadConfig.Pooling: [Float]] = [:]
                slots[index] = self.predict(output: output, sequence: row, pooled: &pooled)[head].probabilities[label]
            }
        }
        return sequences.indices.map { slots[$0]! }
    }

    /// The words with their contributions: `first` (occlusion's chosen words, in order), then the rest,
    /// largest first. Attention shares add up to 1; occlusion keeps probability units.
    func explanation(_ method: ExplanationMethod, head: Int, label: Int, words: TextWords,
                     contributions: [Float], first: [Int] = []) -> Explanation {
        let total = contributions.reduce(0) { $0 + abs($1) }
        let scale: Float = method == .occlusion || total == 0 ? 1 : 1 / total
        func weighted(_ word: Int) -> WordWeight {
            WordWeight(word: words.shown[word], weight: contributions[word] * scale, scalarRange: words.ranges[word],
                       isShown: words.isShown[word])
        }
        let leading = Set(first)
        let rest = words.ranges.indices.filter { !leading.contains($0) }.map(weighted).sorted { $0.weight > $1.weight }
        return Explanation(method: method, head: heads[head].name, label: heads[head].labels[label],
                           words: first.map(weighted) + rest)
    }
}
