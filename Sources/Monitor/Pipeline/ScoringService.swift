import API
import Config
import Dispatch
import Foundation
import Logging
import ServiceLifecycle
import Store
import Transformer

/// Scores stored items in batches.
///
/// One inference executor (a serial queue; the engine spreads each batch over
/// `engine.threads` cores) takes whatever is waiting, up to `engine.batchSize` texts. Each
/// batch goes classify → `ScoreBatch` (risk, entity tagging) → one store transaction, and then
/// wakes the alert service. Batches are claimed (`cluster.leaseTimeout`), so instances sharing a
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
        try await runUntilShutdown { [self] in
            var cursor = start
            var rewound = time.now
            var batcher = ScoreBatch.Cache()
            while !Task.isCancelled {
                let (config, generation) = current.configAndGeneration
                let claim = Lease(owner: instanceID, now: time.now, duration: config.cluster.leaseTimeout)
                let batch = try await store.unscoredItems(after: cursor, modelVersion: modelVersion, limit: config.engine.batchSize,
                                                          publishedSince: nil, claim: claim)
                if let last = batch.last {
                    try await score(batch, using: batcher.batch(for: config, generation: generation))
                    if time.now > claim.until {
                        logger.warning("a batch took longer than cluster.leaseTimeout: another instance may have scored it too",
                                       metadata: ["items": "\(batch.count)", "lease_timeout": "\(DurationText.format(config.cluster.leaseTimeout))"])
                    }
                    cursor = last.id
                    backlog.set(try await store.countItems(after: cursor))
                    scoresWritten.notify()
                }
                stats.heartbeat()
                if batch.count < config.engine.batchSize {
                    // Caught up. Items other instances claimed lie behind the cursor; if one of them died,
                    // its claims run out, so once per lease period the cursor goes back to the oldest unscored item.
                    if time.now.timeIntervalSince(rewound) >= config.cluster.leaseTimeout.seconds {
                        cursor = min(cursor, try await store.scoringCursor(modelVersion: modelVersion))
                        rewound = time.now
                    }
                    await itemsStored.wait(timeout: .seconds(1))
                }
            }
        }
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

    func score(_ batch: [UnscoredItem], using scorer: ScoreBatch) async throws {
        let started = ContinuousClock.now
        let texts = batch.map { Self.text(title: $0.title, summary: $0.summary) }
        let results = await withCheckedContinuation { continuation in
            inference.async { [self] in
                continuation.resume(returning: classifier.classify(texts, batchSize: batch.count, explain: true))
            }
        }
        let scored = try scorer.records(for: batch, texts: texts, results: results, modelVersion: modelVersion, at: time.now)
        try await uncancelled { [store] in try await store.writeScores(scored) }
        let elapsed = ContinuousClock.now - started
        stats.recordBatch(size: batch.count, total: elapsed)
        logger.debug("scored", metadata: ["items": "\(batch.count)", "ms": "\(Int(elapsed.seconds * 1000))"])
    }
}
