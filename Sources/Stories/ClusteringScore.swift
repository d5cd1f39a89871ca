/// How well a clustering matches labelled stories: pairwise precision and recall (over pairs of
/// items put together), and B-cubed precision, recall and F1 (per item: the share of its cluster
/// that belongs to its story, and of its story that is in its cluster, averaged over items).
public struct ClusteringScore: Sendable, Equatable {
    public var items: Int
    public var pairPrecision: Double
    public var pairRecall: Double
    public var bcubedPrecision: Double
    public var bcubedRecall: Double
    public var bcubedF1: Double { bcubedPrecision + bcubedRecall > 0 ? 2 * bcubedPrecision * bcubedRecall / (bcubedPrecision + bcubedRecall) : 0 }
    public var pairF1: Double { pairPrecision + pairRecall > 0 ? 2 * pairPrecision * pairRecall / (pairPrecision + pairRecall) : 0 }

    /// `predicted[i]` and `truth[i]` are item i's cluster and story (any labels). B-cubed averages over the
    /// items `counted` marks (all by default): unlabelled background items still make their clusters larger.
    public init<P: Hashable, T: Hashable>(predicted: [P], truth: [T], counted: [Bool]? = nil) {
        precondition(predicted.count == truth.count)
        let counted = counted ?? Array(repeating: true, count: predicted.count)
        items = counted.filter { $0 }.count
        var clusterSize: [P: Int] = [:], storySize: [T: Int] = [:], both: [Pair<P, T>: Int] = [:]
        for (p, t) in zip(predicted, truth) {
            clusterSize[p, default: 0] += 1
            storySize[t, default: 0] += 1
            both[Pair(p, t), default: 0] += 1
        }
        var precision = 0.0, recall = 0.0
        for ((p, t), count) in zip(zip(predicted, truth), counted) where count {
            let shared = Double(both[Pair(p, t)]!)
            precision += shared / Double(clusterSize[p]!)
            recall += shared / Double(storySize[t]!)
        }
        bcubedPrecision = items > 0 ? precision / Double(items) : 1
        bcubedRecall = items > 0 ? recall / Double(items) : 1
        func pairs(_ n: Int) -> Double { Double(n * (n - 1) / 2) }
        let together = clusterSize.values.reduce(0) { $0 + pairs($1) }
        let sameStory = storySize.values.reduce(0) { $0 + pairs($1) }
        let correct = both.values.reduce(0) { $0 + pairs($1) }
        pairPrecision = together > 0 ? correct / together : 1
        pairRecall = sameStory > 0 ? correct / sameStory : 1
    }

    private struct Pair<A: Hashable, B: Hashable>: Hashable {
        var a: A, b: B
        init(_ a: A, _ b: B) { self.a = a; self.b = b }
    }
}
