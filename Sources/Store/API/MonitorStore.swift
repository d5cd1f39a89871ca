import Foundation

// The data API the daemon and monitorctl use. Every operation is named for what it does and
// runs in the transaction it needs; nothing above `Store` writes SQL. The protocols are small so
// that both backends implement them alike: `SQLiteStore` (one instance, embedded) and
// `PostgresStore` (several instances sharing one server). Work the instances share is claimed
// with a `Lease`: a feed, a batch of items, due deliveries, a role; a claim of an instance that
// died runs out and another instance takes the work. All operations are async and never block
// the cooperative pool.

/// Feeds and their items.
public protocol FeedStateStore: Sendable {
    /// Creates rows for new feeds and resets the URL (and validators) of feeds whose configured URL
    /// changed; returns every configured feed's state. Feeds no longer configured keep their rows.
    func syncFeeds(_ feeds: [FeedSpec], at now: Date) async throws -> [String: FeedRecord]
    /// Stores a poll's new items (each once: by canonical id, or by content when long enough) and the
    /// feed's new state, with the source-health alert change if there is one, in one transaction.
    /// The feed's lease is released in the same transaction.
    func recordPoll(_ update: FeedPollUpdate, items: [NewItem], sourceAlert: AlertWrite?) async throws -> IngestCounts
    /// Leases the feed when it is due at `lease.now` and no other instance holds it.
    func leaseFeed(id: String, lease: Lease) async throws -> FeedLease
    /// Every feed row, by id.
    func feeds() async throws -> [FeedRecord]
}

/// The scoring queue and the scores.
public protocol ScoringStore: Sendable {
    /// The id just before the oldest item `modelVersion` has not scored (the newest id when all are scored).
    func scoringCursor(modelVersion: String) async throws -> Int64
    /// The next unscored batch: items after `cursor` without a score from `modelVersion`, in id order.
    /// With a `claim`, items another instance claimed (and whose claim still runs) are skipped and the
    /// batch is claimed for the caller; without one (monitorctl rescore) nothing is claimed.
    func unscoredItems(after cursor: Int64, modelVersion: String, limit: Int, publishedSince: Date?, claim: Lease?) async throws -> [UnscoredItem]
    /// Items stored after `id` (the scoring backlog).
    func countItems(after id: Int64) async throws -> Int
    /// Items without a score from `modelVersion`.
    func countUnscored(modelVersion: String, publishedSince: Date?) async throws -> Int
    /// Writes a batch's scores, entities, mentions and story links in one transaction (a score already there is
    /// kept, and so is its story link); the stories it touches are brought up to date in the same transaction.
    func writeScores(_ batch: [ScoredItem]) async throws
    /// One item, by id.
    func item(id: Int64) async throws -> ItemRecord?
}

/// Stories: the copies and rewrites of one event, grouped per model version (written with the scores).
public protocol StoryStore: Sendable {
    /// The items of `modelVersion`'s stories whose last item was published after `lastSeenAfter`, in id order:
    /// what the story index is rebuilt from after a restart.
    func storyMembers(modelVersion: String, lastSeenAfter: Date) async throws -> [StoryMember]
    /// The stories `query` asks for, newest last item first, each with its items.
    func stories(_ query: StoryQuery) async throws -> [StoryRecord]
    /// The story links of `modelVersion` whose scores are numbered after `scoredAfter` (written since, by any
    /// instance), in number order, at most `limit`, with the highest score number read (`scoredAfter` when none).
    func storyMembers(modelVersion: String, scoredAfter: Int64, limit: Int) async throws -> (members: [StoryMember], lastSequence: Int64)
    /// The highest score number written so far (where `storyMembers(scoredAfter:)` reads on from).
    func lastScoreSequence() async throws -> Int64
    /// True when other instances may link items to stories at the same time (PostgreSQL): each reads the
    /// others' new links before it groups a batch.
    var storiesShared: Bool { get }
}

/// Alerts, their history and silences.
public protocol AlertStore: Sendable {
    /// The current row of each fingerprint that has one.
    func alerts(fingerprints: [String]) async throws -> [String: AlertRecord]
    /// Silences in force at `now`, soonest to end first.
    func activeSilences(at now: Date) async throws -> [SilenceRecord]
    /// Per symbol, the items mentioning it published in (`from`, `to`], with their score from `modelVersion`, oldest
    /// first; one read for all (a report over thousands of entities is one query, not thousands). Symbols without items are absent.
    func observations(symbols: [String], from: Date, to: Date, modelVersion: String) async throws -> [String: [EntityObservation]]
    /// The mentions scored by `modelVersion` of items published after `publishedAfter`, read in one
    /// snapshot with the score sequence number it covers (the start of `scoresWritten`).
    func mentionSnapshot(modelVersion: String, publishedAfter: Date) async throws -> MentionSnapshot
    /// Scores numbered after `sequence` or in `unseen`, in sequence order, at most `limit` of them,
    /// with the mentions of those from `modelVersion`: what was written since a snapshot or an
    /// earlier page.
    func scoresWritten(after sequence: Int64, unseen: [Int64], modelVersion: String, limit: Int) async throws -> ScorePage
    /// Advances alerts and enqueues their notifications: every write in one transaction.
    func applyAlertWrites(_ writes: [AlertWrite]) async throws
    /// Alerts not resolved, or resolved after `resolvedAfter`, with their latest event's details:
    /// firing first, then pending, then resolved, newest change first.
    func alerts(activeOrResolvedAfter resolvedAfter: Date, limit: Int) async throws -> [AlertWithDetails]
    /// Firing alerts with their latest details, newest change first.
    func firingAlerts() async throws -> [AlertWithDetails]
    /// Adds a silence; returns its id.
    func addSilence(matcher: String, comment: String, at now: Date, until: Date) async throws -> Int64
    /// Removes a silence; false when there is none with that id.
    func removeSilence(id: Int64) async throws -> Bool
}

/// The webhook outbox.
public protocol DeliveryStore: Sendable {
    /// Endpoints a 410 Gone switched off.
    func disabledEndpoints() async throws -> Set<String>
    /// Claims due deliveries: pending, due at `claim.now`, not claimed (or the claim ran out); oldest first.
    func claimDueDeliveries(_ claim: Lease, limit: Int) async throws -> [DeliveryRecord]
    /// Records what became of a delivery (and the attempt, when a request was made), in one transaction;
    /// the claim is released.
    func recordDelivery(_ delivery: DeliveryRecord, outcome: DeliveryOutcome, attempt: DeliveryAttempt?, at now: Date) async throws
    /// Deliveries newest first, with their latest attempt.
    func deliveries(failedOnly: Bool, limit: Int) async throws -> [DeliveryWithLastAttempt]
    /// Makes a delivery due now (same message id) and re-enables its endpoint; returns its webhook id, nil when unknown.
    func retryDelivery(id: Int64, at now: Date) async throws -> String?
}

/// Read-only numbers for reports, stats and metrics.
public protocol ReportStore: Sendable {
    /// The model version that scored most recently.
    func latestModelVersion() async throws -> String?
    /// Symbols mentioned by items published in (`from`, `to`].
    func mentionedSymbols(from: Date, to: Date) async throws -> [String]
    /// Stats of the last 24 hours for `modelVersion` (nil: the latest).
    func pipelineCounts(at now: Date, modelVersion: String?) async throws -> PipelineCounts
    /// Alerts by state, deliveries by status, items per feed, size.
    func gauges() async throws -> StoreGauges
}

/// Health, schema and retention.
public protocol MaintenanceStore: Sendable {
    /// True when the database answers.
    func ping() async -> Bool
    /// Closes the connections (PostgreSQL); the SQLite file closes when the store goes away.
    func close() async
    /// Location, size, applied migrations and row counts.
    func info() async throws -> StoreInfo
    /// What `policy` would remove at `now`.
    func retentionPreview(_ policy: RetentionPolicy, at now: Date) async throws -> RetentionCounts
    /// Removes at most `limit` expired rows of each kind in one short transaction; call again while it removes something.
    func deleteExpired(_ policy: RetentionPolicy, at now: Date, limit: Int) async throws -> RetentionCounts
    /// Records a finished retention pass.
    func recordRetentionRun(_ run: RetentionRun) async throws
    /// The last finished retention pass.
    func lastRetentionRun() async throws -> RetentionRun?
}

/// The instances sharing the database, and the roles one of them holds at a time.
public protocol ClusterStore: Sendable {
    /// Announces (or renews) an instance. The SQLite backend, which one instance uses at a time,
    /// also releases what earlier processes left claimed, so a restart after a crash resumes at once.
    func registerInstance(_ instance: InstanceRecord) async throws
    /// Renews an instance's heartbeat, and forgets instances silent for an hour (killed, never stopped).
    func heartbeat(instance id: String, at now: Date) async throws
    /// Instances whose heartbeat is after `since`, oldest first.
    func instances(heartbeatAfter since: Date) async throws -> [InstanceRecord]
    /// Takes or renews `role` for `lease.owner`: true when the caller holds it until `lease.until`.
    func acquireRole(_ role: ClusterRole, lease: Lease) async throws -> Bool
    /// Who holds each role (expired holds included).
    func roles() async throws -> [RoleRecord]
    /// Releases every claim and role of `owner` and removes its instance row (a clean shutdown).
    func releaseAll(owner: String) async throws
}

/// Everything the daemon and monitorctl need from a database.
public typealias MonitorStore = FeedStateStore & ScoringStore & StoryStore & AlertStore & DeliveryStore & ReportStore & MaintenanceStore & ClusterStore

extension AlertStore {
    /// Items mentioning `symbol`, published in (`from`, `to`], with their score from `modelVersion`, oldest first.
    public func observations(symbol: String, from: Date, to: Date, modelVersion: String) async throws -> [EntityObservation] {
        try await observations(symbols: [symbol], from: from, to: to, modelVersion: modelVersion)[symbol] ?? []
    }
}
