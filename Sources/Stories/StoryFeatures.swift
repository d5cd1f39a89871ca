import Foundation

/// What story clustering knows of one item: its headline's keys, the entities it mentions, and
/// the model's mean-pooled embedding (unit length).
public struct StoryFeatures: Sendable, Equatable {
    /// Headline keys (hashed, ascending) with their base weights (a number weighs more than a word; the
    /// index multiplies them by the key's rarity when it compares, `StoryIndex.prepare`). The
    /// words that name a mentioned entity are not among them: two headlines about one company share
    /// its name whatever the event, so the name says nothing about which event it is.
    public var keys: [(hash: UInt64, weight: Float)]
    /// The keys, and one per entity (`@SYMBOL`): what finds candidate stories.
    public private(set) var lookup: [(hash: UInt64, weight: Float)] = []
    /// The keys' total weight.
    public private(set) var keyWeight: Float = 0
    /// Entity symbols found in the item (the tagger's, and the institutions its headline names).
    public var entities: Set<String>
    /// The embedding, scaled to unit length (empty when none was computed); centred on the window's mean once the index prepares it.
    public var embedding: [Float]

    /// Base weight of a number key (`#38`, `#12000000000`): a shared figure is strong evidence of one event.
    static let numberWeight: Float = 2
    /// Weight of an entity key (`@ACME`) when looking for candidates: names and cashtags of one company meet here.
    static let entityWeight: Float = 1.5

    /// `mentions`: the entities the tagger found, with the text that matched (`Acme Corp`, `$ACME`).
    public init(title: String, mentions: [(symbol: String, matched: String)], embedding: [Float]) {
        var keys: [UInt64: Float] = [:]
        let (words, institutions) = StoryText.keys(StoryText.headline(title))
        let names = Set(mentions.flatMap { StoryText.keys($0.matched).keys })
        for key in words where !names.contains(key) {
            keys[Self.hash(key)] = key.hasPrefix("#") ? Self.numberWeight : 1
        }
        let entities = Set(mentions.map(\.symbol)).union(institutions)
        self.keys = keys.map { (hash: $0.key, weight: $0.value) }.sorted { $0.hash < $1.hash }
        keyWeight = self.keys.reduce(0) { $0 + $1.weight }
        lookup = self.keys + entities.map { (hash: Self.hash("@" + $0), weight: Self.entityWeight) }
        self.entities = entities
        self.embedding = Self.unit(embedding)
    }

    public static func == (a: StoryFeatures, b: StoryFeatures) -> Bool {
        a.keys.elementsEqual(b.keys) { $0.hash == $1.hash && $0.weight == $1.weight } && a.entities == b.entities && a.embedding == b.embedding
    }

    /// The same features with each key weighed by `weight(hash, base)` (the index's inverse story
    /// frequency) and the embedding moved by `-mean` and scaled to unit length again.
    func reweighed(_ weight: (UInt64, Float) -> Float, mean: [Float]?) -> StoryFeatures {
        var copy = self
        copy.keys = keys.map { (hash: $0.hash, weight: weight($0.hash, $0.weight)) }
        copy.keyWeight = copy.keys.reduce(0) { $0 + $1.weight }
        if let mean, mean.count == embedding.count {
            copy.embedding = Self.unit(zip(embedding, mean).map { $0 - $1 })
        }
        return copy
    }

    /// FNV-1a: the same key hashes alike in every process.
    static func hash(_ key: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return h
    }

    static func unit(_ vector: [Float]) -> [Float] {
        var norm: Float = 0
        for x in vector { norm += x * x }
        guard norm > 0 else { return vector }
        let scale = 1 / norm.squareRoot()
        return vector.map { $0 * scale }
    }

    /// The embedding's cosine with another's (0 when either has none).
    public func cosine(_ other: StoryFeatures) -> Float {
        guard embedding.count == other.embedding.count, !embedding.isEmpty else { return 0 }
        var sum: Float = 0
        embedding.withUnsafeBufferPointer { a in
            other.embedding.withUnsafeBufferPointer { b in
                for i in 0..<a.count { sum += a[i] * b[i] }
            }
        }
        return sum
    }

    /// The weight of the keys both share over the geometric mean of the two totals (a cosine of weighted key
    /// sets): a short post whose few keys are all in a long headline is not thereby the same event (dividing by
    /// the lighter side's total merged unrelated short tweets; measured on the labelled set with distractors).
    public func overlap(_ other: StoryFeatures) -> Float {
        var shared: Float = 0
        var i = 0, j = 0
        let a = keys, b = other.keys
        while i < a.count && j < b.count {
            if a[i].hash == b[j].hash { shared += a[i].weight; i += 1; j += 1 }
            else if a[i].hash < b[j].hash { i += 1 }
            else { j += 1 }
        }
        let norm = (keyWeight * other.keyWeight).squareRoot()
        return norm > 0 ? shared / norm : 0
    }

    /// Both mention entities and none in common: a different company's news, whatever the wording.
    public func conflicts(with other: StoryFeatures) -> Bool {
        !entities.isEmpty && !other.entities.isEmpty && entities.isDisjoint(with: other.entities)
    }
}

/// How similar two items must be to be one story (`stories` in config.json; defaults measured on
/// the labelled set, README "Stories").
public struct StorySettings: Sendable, Equatable {
    /// False: items are not grouped (each counts as a story of its own; `rules[].count` then makes no difference).
    public var enabled = true
    /// An item joins a story whose last item is at most this old (ms).
    public var windowMillis: Int64
    /// The similarity at or above which an item joins a story: cosine × `embeddingWeight` + key overlap × (1 − `embeddingWeight`)
    /// + `entityBonus` when they name a common entity.
    public var threshold: Float
    /// The embedding's share of the similarity.
    public var embeddingWeight: Float

    public static let defaultWindowMillis: Int64 = 48 * 3_600_000
    public static let defaultThreshold: Float = 0.45
    public static let defaultEmbeddingWeight: Float = 0.1

    public init(windowMillis: Int64 = defaultWindowMillis, threshold: Float = defaultThreshold,
                embeddingWeight: Float = defaultEmbeddingWeight) {
        self.windowMillis = windowMillis
        self.threshold = threshold
        self.embeddingWeight = embeddingWeight
    }

    /// Added when two items name a common entity: the same company's paraphrases ("pulls forecast",
    /// "scraps guidance") share few words, and unrelated texts rarely share a watched entity.
    public static let entityBonus: Float = 0.2

    /// How similar two items are, 0 … 1.2; 0 when they name different companies.
    public func similarity(_ a: StoryFeatures, _ b: StoryFeatures) -> Float {
        guard !a.conflicts(with: b) else { return 0 }
        let bonus: Float = a.entities.isDisjoint(with: b.entities) ? 0 : Self.entityBonus
        return embeddingWeight * max(0, a.cosine(b)) + (1 - embeddingWeight) * a.overlap(b) + bonus
    }
}
