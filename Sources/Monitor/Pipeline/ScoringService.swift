import Dispatch
import Foundation
import GRDB
import Logging
import ServiceLifecycle
import Transformer

/// Scores stored items in batches and keeps the alerts up to date.
///
/// One inference executor (a serial queue; the engine spreads each batch over
/// `engine.threads` cores) takes whatever is waiting, up to `engine.batchSize` texts.
/// Each batch's scores and mentions are one transaction. The rules are evaluated at most
/// once a second while items stream in, and every 2 s when idle (so alerts resolve as time passes).
///
/// `@unchecked Sendable`: the classifier is only used on the serial `inference` queue.
public final class ScoringService: Service, @unchecked Sendable {
    let current: CurrentConfig
    let database: DatabasePool
    let classifier: TextClassifier
    let itemsStored: PipelineSignal
    let outboxWritten: PipelineSignal
    let logger: Logger
    let stats: PipelineStats
    private let inference = DispatchQueue(label: "finsent.inference", qos: .userInitiated)

    public var modelVersion: String { classifier.version }

    public init(current: CurrentConfig, database: DatabasePool, classifier: TextClassifier, itemsStored: PipelineSignal,
                outboxWritten: PipelineSignal, stats: PipelineStats, logger: Logger) {
        self.current = current
        self.database = database
        self.classifier = classifier
        self.itemsStored = itemsStored
        self.outboxWritten = outboxWritten
        self.stats = stats
        self.logger = logger
    }

    public struct Pending: Sendable {
        public let id: Int64
        public let feedID: String
        public let text: String
    }

    /// Items with no score from `modelVersion`, after `cursor`, in id order (published after `since`, when given).
    public static func unscored(after cursor: Int64, modelVersion: String, limit: Int, since: Date? = nil, db: Database) throws -> [Pending] {
        try Row.fetchAll(db, sql: """
            SELECT i.id, i.feed_id, i.title, i.summary FROM items i
            WHERE i.id > ? AND i.published_at >= ? AND NOT EXISTS (SELECT 1 FROM scores s WHERE s.item_id = i.id AND s.model_version = ?)
            ORDER BY i.id LIMIT ?
            """, arguments: [cursor, since?.millis ?? 0, modelVersion, limit])
            .map { Pending(id: $0["id"], feedID: $0["feed_id"], text: text(title: $0["title"], summary: $0["summary"])) }
    }

    public func run() async throws {
        let alerts = AlertEngine(database: database)
        let start = try await database.read { [modelVersion] db in
            try Int64.fetchOne(db, sql: """
                SELECT coalesce(min(i.id) - 1, (SELECT coalesce(max(id), 0) FROM items)) FROM items i
                WHERE NOT EXISTS (SELECT 1 FROM scores s WHERE s.item_id = i.id AND s.model_version = ?)
                """, arguments: [modelVersion]) ?? 0
        }
        logger.info("scoring with \(modelVersion)", metadata: ["heads": "\(classifier.heads.map(\.name).joined(separator: ","))"])
        try await runUntilShutdown { [self] in
            var cursor = start
            var lastEvaluation = ContinuousClock.now - .seconds(60)
            while !Task.isCancelled {
                let config = current.config
                let batch = try await database.read { [cursor, modelVersion] db in
                    try Self.unscored(after: cursor, modelVersion: modelVersion, limit: config.engine.batchSize, db: db)
                }
                if let last = batch.last {
                    try await score(batch, config: config)
                    cursor = last.id
                    let remaining = try await database.read { [cursor] in try Int.fetchOne($0, sql: "SELECT count(*) FROM items WHERE id > ?", arguments: [cursor]) } ?? 0
                    itemsStored.backlog.store(remaining, ordering: .relaxed)
                }
                // Rules run at most once a second while batches stream in (each run reads every watched
                // entity's window), and every 2 s when idle so alerts resolve as time passes.
                let sinceEvaluation = ContinuousClock.now - lastEvaluation
                if (!batch.isEmpty && sinceEvaluation > .seconds(1)) || sinceEvaluation > .seconds(2) {
                    let changes = try alerts.evaluate(config: config, modelVersion: modelVersion)
                    lastEvaluation = .now
                    for change in changes {
                        logger.log(level: change.state == "firing" ? .warning : .info, "alert \(change.state)",
                                   metadata: ["rule": "\(change.rule)", "entity": "\(change.symbol)", "notified": "\(change.notified)"])
                    }
                    if changes.contains(where: \.notified) { outboxWritten.notify() }
                }
                stats.heartbeat()
                if batch.count < config.engine.batchSize { await itemsStored.wait(timeout: .seconds(1)) }
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

    func score(_ batch: [Pending], config: MonitorConfig) async throws {
        let started = ContinuousClock.now
        let results = await withCheckedContinuation { continuation in
            inference.async { [self] in
                continuation.resume(returning: classifier.classify(batch.map(\.text), batchSize: batch.count, explain: true))
            }
        }
        let version = modelVersion
        try await database.write { db in
            try ScoreWriter.write(zip(batch, results).map { ($0.id, $0.feedID, $0.text, $1) }, config: config, modelVersion: version, db: db)
        }
        stats.recordBatch(size: batch.count, total: ContinuousClock.now - started)
        logger.debug("scored", metadata: ["items": "\(batch.count)", "ms": "\((ContinuousClock.now - started).components.attoseconds / 1_000_000_000_000_000 + (ContinuousClock.now - started).components.seconds * 1000)"])
    }
}
