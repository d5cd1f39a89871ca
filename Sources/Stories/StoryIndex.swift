import Foundation

/// One item to place in a story.
public struct StoryInput: Sendable {
    public var itemID: Int64
    public var feedID: String
    /// Publication time, ms since the epoch.
    public var publishedAt: Int64
    public var features: StoryFeatures

    public init(itemID: Int64, feedID: String, publishedAt: Int64, features: StoryFeatures) {
        self.itemID = itemID
        self.feedID = feedID
        self.publishedAt = publishedAt
        self.features = features
    }
}

/// Online story assignment over a sliding window: each item joins the most similar story whose
/// items are within `settings.windowMillis` of it, or starts one (whose id is the item's id).
///
/// Bounded per item whatever the window holds: an inverted index from headline keys to the
/// stories that have them proposes candidates (the most recent `postingsRead` stories of each key,
/// rarest keys first, up to `keysRead` keys), ranked by the key weight they share; only the best
/// `candidatesScored` are compared in full, each through at most `membersKept` of its items (the
/// first and the most recent). Stories whose last item left the window are dropped by `expire`.
public struct StoryIndex: Sendable {
    public struct Story: Sendable {
        public var id: Int64
        public var firstSeen: Int64
        public var lastSeen: Int64
        public var size: Int
        public var sources: Set<String>
        /// The first item and the most recent others.
        var members: [StoryFeatures]

        /// Adds an item (in place: the members array is not copied).
        mutating func absorb(_ features: StoryFeatures, publishedAt: Int64, feedID: String) {
            firstSeen = min(firstSeen, publishedAt)
            lastSeen = max(lastSeen, publishedAt)
            size += 1
            sources.insert(feedID)
            if members.count >= StoryIndex.membersKept { members.remove(at: 1) }
            members.append(features)
        }
    }

    public var settings: StorySettings
    public private(set) var stories: [Int64: Story] = [:]
    private var postings: [UInt64: [Int64]] = [:]
    private var postingEntries = 0
    private var entriesAfterCleaning = 0
    /// The sum of the unit embeddings of the items seen, and their mean (kept up to date, for centring).
    private var embeddingSum: [Double] = []
    private var embeddingMean: [Float] = []
    private var embeddingCount = 0

    static let keysRead = 8
    static let postingsRead = 64
    static let candidatesScored = 12
    static let membersKept = 8
    /// A candidate must share at least this much key weight: two words, a number, or an entity and a word.
    static let minimumShared: Float = 2

    public init(settings: StorySettings) {
        self.settings = settings
    }

    public var count: Int { stories.count }

    /// The story `input` belongs to, added to it (or a new story of its own).
    public mutating func assign(_ input: StoryInput) -> (storyID: Int64, isNew: Bool) {
        let prepared = StoryInput(itemID: input.itemID, feedID: input.feedID, publishedAt: input.publishedAt, features: prepare(input.features))
        if let (id, _) = bestMatch(prepared: prepared) {
            insert(prepared, raw: input.features, into: id)
            return (id, false)
        }
        insert(prepared, raw: input.features, into: input.itemID)
        return (input.itemID, true)
    }

    /// Features as compared now: each key weighed by how rare it is among the window's stories
    /// (log(1 + stories / (1 + stories with the key)) × its base weight: "profit" says less than "lenzumab"),
    /// and the embedding centred on the mean of the items seen (a fine-tuned classifier's vectors of
    /// any two finance texts are close; what tells events apart is the difference from the mean).
    func prepare(_ features: StoryFeatures) -> StoryFeatures {
        let total = Float(max(stories.count, 1))
        let mean: [Float]? = embeddingCount >= Self.centreAfter ? embeddingMean : nil
        return features.reweighed({ hash, base in base * log(1 + total / Float(1 + (postings[hash]?.count ?? 0))) }, mean: mean)
    }

    /// Items seen before the mean embedding is used to centre vectors.
    static let centreAfter = 64

    /// The most similar story within the window at or above the threshold (`input` prepared).
    private func bestMatch(prepared input: StoryInput) -> (id: Int64, similarity: Float)? {
        let window = settings.windowMillis
        var best: (id: Int64, similarity: Float)?
        for id in candidates(for: input) {
            guard let story = stories[id], input.publishedAt >= story.firstSeen - window, input.publishedAt <= story.lastSeen + window
            else { continue }
            var similarity: Float = 0
            for member in story.members { similarity = max(similarity, settings.similarity(input.features, member)) }
            if similarity >= settings.threshold, similarity > (best?.similarity ?? 0) { best = (id, similarity) }
        }
        return best
    }

    /// The stories compared in full with `input`: at most `candidatesScored`, those sharing the most key weight
    /// (at least `minimumShared`) among the recent postings of its rarest keys.
    func candidates(for input: StoryInput) -> [Int64] {
        let keys = input.features.lookup.sorted { (postings[$0.hash]?.count ?? 0) < (postings[$1.hash]?.count ?? 0) }
        var shared: [Int64: Float] = [:]
        for key in keys.prefix(Self.keysRead) {
            guard let list = postings[key.hash] else { continue }
            var seen = Set<Int64>()
            for id in list.suffix(Self.postingsRead).reversed() where seen.insert(id).inserted {
                shared[id, default: 0] += key.weight
            }
        }
        return shared.filter { $0.value >= Self.minimumShared }.sorted { ($0.value, $0.key) > ($1.value, $1.key) }
            .prefix(Self.candidatesScored).map(\.key)
    }

    /// Adds an item to a story (the store's own assignment, when the window is read back after a restart).
    public mutating func add(_ input: StoryInput, to id: Int64) {
        let prepared = StoryInput(itemID: input.itemID, feedID: input.feedID, publishedAt: input.publishedAt, features: prepare(input.features))
        insert(prepared, raw: input.features, into: id)
    }

    private mutating func insert(_ input: StoryInput, raw: StoryFeatures, into id: Int64) {
        if raw.embedding.count > 0 {
            if embeddingSum.count != raw.embedding.count {
                embeddingSum = Array(repeating: 0, count: raw.embedding.count)
                embeddingMean = Array(repeating: 0, count: raw.embedding.count)
                embeddingCount = 0
            }
            embeddingCount += 1
            let count = Double(embeddingCount)
            for i in raw.embedding.indices {
                embeddingSum[i] += Double(raw.embedding[i])
                embeddingMean[i] = Float(embeddingSum[i] / count)
            }
        }
        if stories[id] == nil {
            stories[id] = Story(id: id, firstSeen: input.publishedAt, lastSeen: input.publishedAt, size: 1, sources: [input.feedID],
                                members: [input.features])
        } else {
            stories[id]!.absorb(input.features, publishedAt: input.publishedAt, feedID: input.feedID)
        }
        index(input.features, story: id)
    }

    private mutating func index(_ features: StoryFeatures, story id: Int64) {
        for key in features.lookup where postings[key.hash]?.last != id {
            postings[key.hash, default: []].append(id)
            postingEntries += 1
        }
    }

    /// Drops the stories whose last item is older than the window before `now` (ms); the postings of
    /// dropped stories go once the index has doubled since it was last cleaned.
    public mutating func expire(now: Int64) {
        let cutoff = now - settings.windowMillis
        stories = stories.filter { $0.value.lastSeen >= cutoff }
        guard postingEntries > max(2 * entriesAfterCleaning, 65_536) else { return }
        var kept = 0
        postings = postings.compactMapValues { list in
            let live = list.filter { stories[$0] != nil }
            kept += live.count
            return live.isEmpty ? nil : live
        }
        postingEntries = kept
        entriesAfterCleaning = kept
    }
}
