import API
import Config
import Dispatch
import Foundation
import Logging
import ServiceLifecycle
import Store
import Stories
import Transformer

/// Scores stored items in batches.
///
/// One inference executor (a serial queue; the engine spreads each batch over
/// `engine.threads` cores) takes whatever is waiting, up to `engine.batchSize` texts. Each
/// batch goes classify → `ScoreBatch` (risk, entity tagging) → `StoryAssigner` (each item's story, from
/// the embedding the classifier pooled and the headline) → one store transaction, and then
/// wakes the alert service. The rest overlaps the next batch's inference: while batch N is
/// classified, batch N−1's records are made and written and batch N+1 is claimed (one write in
/// flight, in batch order). Batches are claimed (`cluster.leaseTimeout`), so instances sharing a
/// PostgreSQL database score different items; a batch whose instance died is scored by another
/// once its claim runs out (the cursor goes back to the oldest unscored item when idle).
///
/// `@unchecked Sendable`: the classifier is only used on the serial `inference` queue.
public final class ScoringService: Service, @unchecked Sendable {
    let current: CurrentConfig
    let store: any MonitorStore
    let classifier: TextClassifier
    let itemsStored: PipelineSignal
    let scoresWritten: PipelineSignal
    let backlog: ScoringBacklog
    let logger: Logger
    let stats: PipelineStats
    let time: any TimeSource
    let instanceID: String
    private let inference = DispatchQueue(label: "finsent.inference", qos: .userInitiated)

    public var modelVersion: String { classifier.version }

    public init(current: CurrentConfig, store: any MonitorStore, classifier: TextClassifier, itemsStored: PipelineSignal,
                scoresWritten: PipelineSignal, backlog: ScoringBacklog, stats: PipelineStats, time: any TimeSource = SystemTime(),
                instanceID: String, logger: Logger) {
        self.instanceID = instanceID
        self.current = current
        self.store = store
        self.classifier = classifier
        self.itemsStored = itemsStored
        self.scoresWritten = scoresWritten
        self.backlog = backlog
        self.stats = stats
        self.time = time
        self.logger = logger
    }

    public func run() async throws {
        let start = try await store.scoringCursor(modelVersion: modelVersion)
        logger.info("scoring with \(modelVersion)", metadata: ["heads": "\(classifier.heads.map(\.name).joined(separator: ","))"])
        let stories = StoryAssigner(settings: current.config.stories, modelVersion: modelVersion)
        try await stories.restore(from: store, now: time.now)
        logger.info("stories in the window read back", metadata: ["stories": "\(stories.count)"])
        try await runUntilShutdown { [self] in
            var cursor = start
            var rewound = time.now
            var batcher = ScoreBatch.Cache()
            // While a batch is classified, the previous batch's scores are written and the next batch
            // is claimed, so the cores do not wait for the database between batches.
            var writing: Task<Void, any Error>?
            var prefetched: ClaimedBatch?
            while !Task.isCancelled {
                let (config, generation) = current.configAndGeneration
                let claimed: ClaimedBatch
                if let prefetched { claimed = prefetched } else { claimed = try await claim(after: cursor, config: config) }
                prefetched = nil
                let batch = claimed.items
                if let last = batch.last {
                    cursor = last.id
                    let started = ContinuousClock.now
                    let texts = batch.map { Self.text(title: $0.title, summary: $0.summary) }
                    async let classified = classify(texts)
                    try await writing?.value
                    writing = nil
                    if batch.count == config.engine.batchSize {
                        prefetched = try await claim(after: cursor, config: config)
                    }
                    let scorer = batcher.batch(for: config, generation: generation), results = await classified
                    // Risk, tagging and the records are made in the write's task too: the next batch's
                    // inference starts at once.
                    writing = Task { [self] in
                        var scored = try scorer.records(for: batch, texts: texts, results: results, modelVersion: modelVersion,
                                                        at: time.now)
                        stories.update(config.stories)
                        if store.storiesShared, config.stories.enabled { try await stories.sync(from: store) }
                        stories.assign(&scored, items: batch, results: results)
                        try await write(scored, of: claimed, started: started, config: config)
                    }
                }
                stats.heartbeat()
                if batch.count < config.engine.batchSize {
                    try await writing?.value
                    writing = nil
                    // Caught up. Items other instances claimed lie behind the cursor; if one of them died,
                    // its claims run out, so once per lease period the cursor goes back to the oldest unscored item.
                    if time.now.timeIntervalSince(rewound) >= config.cluster.leaseTimeout.seconds {
                        cursor = min(cursor, try await store.scoringCursor(modelVersion: modelVersion))
                        rewound = time.now
                    }
                    await itemsStored.wait(timeout: .seconds(1))
                }
            }
            try await writing?.value
        }
    }

    /// Items claimed for scoring by this instance, with the claim.
    struct ClaimedBatch: Sendable {
        let items: [UnscoredItem]
        let claim: Lease
    }

    private func claim(after cursor: Int64, config: MonitorConfig) async throws -> ClaimedBatch {
        let claim = Lease(owner: instanceID, now: time.now, duration: config.cluster.leaseTimeout)
        let items = try await stats.storage.retrying(time: time, logger: logger, wrote: false) { [store, modelVersion] in
            try await store.unscoredItems(after: cursor, modelVersion: modelVersion, limit: config.engine.batchSize, publishedSince: nil, claim: claim)
        }
        return ClaimedBatch(items: items, claim: claim)
    }

    /// How every scored item's words are found: attention is free (the pass computes it); occlusion,
    /// faithful but a forward pass per word and round, is for `monitorctl explain` and alert evidence
    /// (README, "Explanations", has the measured choice).
    public static let explanationMethod = ExplanationMethod.attention

    /// Every head's label, probabilities and explanation, on the inference queue.
    private func classify(_ texts: [String]) async -> [Classification] {
        await withCheckedContinuation { continuation in
            inference.async { [self] in
                continuation.resume(returning: classifier.classify(texts, batchSize: texts.count, explain: Self.explanationMethod))
            }
        }
    }

    /// Explains texts by occlusion on the inference queue (between two batches): for alert evidence.
    /// `label`: the sentiment label to explain; nil, the label the model gives. `rounds`: how many
    /// words are chosen by search (the top 3 are the same whatever the rounds; each costs a pass per word).
    public func explain(_ texts: [String], towards label: String?, rounds: Int) async -> [Explanation?] {
        await withCheckedContinuation { continuation in
            inference.async { [self] in
                continuation.resume(returning: classifier.classify(texts, explain: .occlusion, label: label, rounds: rounds).map(\.explanation))
            }
        }
    }

    /// One batch's scores and mentions in one transaction (finished even when the service is stopping).
    private func write(_ scored: [ScoredItem], of batch: ClaimedBatch, started: ContinuousClock.Instant,
                       config: MonitorConfig) async throws {
        // A full disk holds the batch here (and the pipeline behind it) until the write goes through.
        try await stats.storage.retrying(time: time, logger: logger) { [store] in
            try await uncancelled { try await store.writeScores(scored) }
        }
        let elapsed = ContinuousClock.now - started
        stats.recordBatch(size: batch.items.count, total: elapsed)
        logger.debug("scored", metadata: ["items": "\(batch.items.count)", "ms": "\(Int(elapsed.seconds * 1000))"])
        if time.now > batch.claim.until {
            logger.warning("a batch took longer than cluster.leaseTimeout: another instance may have scored it too",
                           metadata: ["items": "\(batch.items.count)", "lease_timeout": "\(DurationText.format(config.cluster.leaseTimeout))"])
        }
        if let last = batch.items.last { backlog.set(try await store.countItems(after: last.id)) }
        scoresWritten.notify()
    }

    /// The text the model reads: the title, then the summary unless it only repeats the title;
    /// URLs removed (the item keeps its link). A t.co link is ~12 tokens of noise: dropping them
    /// makes tweets 28% shorter (that much faster) for a Twitter dev weighted F1 of 0.8567
    /// instead of 0.8587 (2 of 954 texts); PhraseBank is unchanged.
    public static func text(title: String, summary: String) -> String {
        let t = withoutURLs(title), s = withoutURLs(summary)
        if s.isEmpty || s == t || t.hasPrefix(s) { return t }
        if t.isEmpty || s.hasPrefix(t) { return String(s.prefix(2000)) }
        return t + (t.last.map { ".!?".contains($0) } == true ? " " : ". ") + String(s.prefix(2000))
    }

    static func withoutURLs(_ text: String) -> String {
        guard text.contains("://") || text.contains("www.") else { return text.trimmingCharacters(in: .whitespaces) }
        let kept = text.split(separator: " ", omittingEmptySubsequences: false).filter { word in
            !(word.hasPrefix("http://") || word.hasPrefix("https://") || word.hasPrefix("www.") || word.hasPrefix("(http"))
        }
        return kept.joined(separator: " ").trimmingCharacters(in: .whitespaces)
    }
}
