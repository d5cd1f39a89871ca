import Foundation

// Statements both backends run with the same text: PostgreSQL's $1, $2 … placeholders, which the
// SQLite backend turns into its own before running them. Anything that differs lives with its backend.
enum SQLText {
    /// Takes a role when free, expired, or already the caller's: $1 role, $2 owner, $3 until, $4 now.
    /// Returns a row only when the caller holds the role afterwards.
    static let acquireRole = """
        INSERT INTO cluster_roles (role, owner, until) VALUES ($1, $2, $3)
        ON CONFLICT (role) DO UPDATE SET owner = excluded.owner, until = excluded.until
        WHERE cluster_roles.owner = excluded.owner OR cluster_roles.until <= $4
        RETURNING owner
        """

    // The conditions that make a row expired ($1: the cut-off), shared by the preview and the deletion.
    static let expiredItems = "published_at < $1 AND fetched_at < $1"
    static let expiredAlerts = "state = 'resolved' AND updated_at < $1"
    // Each alert keeps its latest event: listings and the dashboard show its details.
    static let expiredEvents = "at < $1 AND id NOT IN (SELECT max(id) FROM alert_events GROUP BY alert_id)"
    static let expiredDeliveries = "status != 'pending' AND created_at < $1"

    /// Deletes at most $2 expired rows: a bounded sub-select keeps each transaction short, so ingest
    /// waits milliseconds, not the whole purge. Scores, mentions, events and attempts go by ON DELETE CASCADE.
    static func deleteExpired(_ table: String, _ condition: String) -> String {
        "DELETE FROM \(table) WHERE id IN (SELECT id FROM \(table) WHERE \(condition) LIMIT $2)"
    }

    /// The mentions of items published after $2 with their score from model $1, up to score number $3:
    /// the alert evaluator's starting point.
    static let mentionSnapshot = """
        SELECT s.seq, s.item_id, m.symbol, i.published_at, s.sentiment, s.risk, s.label
        FROM items i JOIN mentions m ON m.item_id = i.id JOIN scores s ON s.item_id = i.id AND s.model_version = $1
        WHERE i.published_at > $2 AND s.seq <= $3
        """
    static let lastScoreSequence = "SELECT coalesce(max(seq), 0) FROM scores"
    /// Score numbers in ($1, $2]: the snapshot tells the numbers it did not see from these.
    static let visibleScoreSequences = "SELECT seq FROM scores WHERE seq > $1 AND seq <= $2"

    /// A page of scores numbered after $1 (or in the list that replaces `{unseen}`), at most $2, in
    /// number order, each with its item's publication time and one row per mention (none: NULL symbol).
    static func scoresWritten(unseen: String?) -> String {
        let selection = unseen.map { "seq > $1 OR seq IN (\($0))" } ?? "seq > $1"
        return """
            WITH page AS (SELECT seq, item_id, model_version, sentiment, risk, label FROM scores
                          WHERE \(selection) ORDER BY seq LIMIT $2)
            SELECT p.seq, p.item_id, p.model_version, p.sentiment, p.risk, p.label, i.published_at, m.symbol
            FROM page p JOIN items i ON i.id = p.item_id LEFT JOIN mentions m ON m.item_id = p.item_id
            ORDER BY p.seq
            """
    }

    /// An instance killed without a clean shutdown leaves its row; the others' heartbeats remove it an hour later.
    static let forgetInstancesAfterMillis: Int64 = 3_600_000

    /// Keeps the last 100 retention runs.
    static let trimRetentionRuns = "DELETE FROM retention_runs WHERE id <= (SELECT max(id) - 100 FROM retention_runs)"

    /// Releases what an instance ($1) holds, as a clean shutdown does: others take it at once.
    static let releaseAll = [
        "UPDATE feeds SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1",
        "UPDATE items SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = $1",
        "UPDATE webhook_deliveries SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1",
        "DELETE FROM cluster_roles WHERE owner = $1",
        "DELETE FROM cluster_instances WHERE id = $1",
    ]
}

extension SQLText {
    /// The statement for SQLite, whose numbered placeholders are ?1, ?2 …
    static func sqlite(_ statement: String) -> String {
        statement.replacingOccurrences(of: "$", with: "?")
    }
}

/// The cut-off times of a retention policy at `now`, in milliseconds (nil: kept for ever).
struct RetentionCutoffs: Sendable {
    var items: Int64?, alertHistory: Int64?, deliveryLog: Int64?
    init(_ policy: RetentionPolicy, now: Date) {
        items = policy.items.map { now.millis - $0.millis }
        alertHistory = policy.alertHistory.map { now.millis - $0.millis }
        deliveryLog = policy.deliveryLog.map { now.millis - $0.millis }
    }
}
