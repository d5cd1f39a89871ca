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

    /// The story point of the item `i` scored in `s` (`StoryPoint`): its story's representative item
    /// (publication time and score from the same model), or the item itself when it is in no story.
    /// Five columns: id, published_at, sentiment, risk, label. Plain left joins, each by key: SQLite built a
    /// parenthesised `(items JOIN scores)` in full for every query (a scan of all scores per evaluator pass).
    static let storyPointColumns = """
        coalesce(rs.item_id, i.id), coalesce(ri.published_at, i.published_at), coalesce(rs.sentiment, s.sentiment),
        coalesce(rs.risk, s.risk), coalesce(rs.label, s.label)
        """
    static let storyPointJoins = """
        LEFT JOIN story_items si ON si.item_id = i.id AND si.model_version = s.model_version
        LEFT JOIN scores rs ON rs.item_id = si.story_id AND rs.model_version = s.model_version
        LEFT JOIN items ri ON ri.id = rs.item_id
        """

    /// The mentions of items published after $2 with their score from model $1, up to score number $3,
    /// with their story points: the alert evaluator's starting point.
    static let mentionSnapshot = """
        SELECT s.seq, s.item_id, m.symbol, i.published_at, s.sentiment, s.risk, s.label, \(storyPointColumns)
        FROM items i JOIN mentions m ON m.item_id = i.id JOIN scores s ON s.item_id = i.id AND s.model_version = $1
        \(storyPointJoins)
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
            SELECT s.seq, s.item_id, s.model_version, s.sentiment, s.risk, s.label, i.published_at, m.symbol, \(storyPointColumns)
            FROM page s JOIN items i ON i.id = s.item_id LEFT JOIN mentions m ON m.item_id = s.item_id
            \(storyPointJoins)
            ORDER BY s.seq
            """
    }

    /// Which story links `storyMembers` reads: those of the stories whose last item was published after $2
    /// (the window, in item id order), or those whose scores are numbered after $2 (written since, in number
    /// order, at most $3).
    enum StoryMemberSelection { case window, scoredAfter }

    /// Story links of model $1 with their score number, item, story, feed, publication time, title, mentions
    /// (`concat`: the backend's aggregate of `m.symbol` US `m.matched`, separated by RS) and stored embedding:
    /// what the story index is built from. Each selection filters the model on the table it walks: the window
    /// from `stories` by last seen, the reading on from `scores` by number.
    static func storyMembers(_ selection: StoryMemberSelection, concat: String) -> String {
        let (join, filter) = switch selection {
        case .window:
            ("JOIN stories st ON st.model_version = si.model_version AND st.id = si.story_id",
             "st.model_version = $1 AND st.last_seen_at > $2 ORDER BY si.item_id")
        case .scoredAfter: ("", "s.model_version = $1 AND s.seq > $2 ORDER BY s.seq LIMIT $3")
        }
        return """
            SELECT s.seq, si.item_id, si.story_id, i.feed_id, i.published_at, i.title,
                   (SELECT \(concat) FROM mentions m WHERE m.item_id = si.item_id) AS symbols, si.embedding
            FROM scores s JOIN story_items si ON si.item_id = s.item_id AND si.model_version = s.model_version
            JOIN items i ON i.id = si.item_id \(join)
            WHERE \(filter)
            """
    }

    /// Creates story $2 of model $1 when it is new (`refreshStory` fills it in once its items are linked).
    static let insertStory = """
        INSERT INTO stories (model_version, id, first_seen_at, last_seen_at, size, sources) VALUES ($1, $2, 0, 0, 0, '[]')
        ON CONFLICT DO NOTHING
        """
    /// Links item $1 to story $3 of model $2, with its embedding $4.
    static let insertStoryItem = """
        INSERT INTO story_items (item_id, model_version, story_id, embedding) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING
        """

    /// Recomputes story $2 of model $1 from its items: first and last seen, size, sources (`sourcesJSON`:
    /// the backend's JSON array of the distinct `d.feed_id`, sorted). PostgreSQL's instances link items to one
    /// story at once, so its rows are recomputed (the SQLite backend, one writer, adds to them).
    static func refreshStory(sourcesJSON: String) -> String { """
        UPDATE stories SET (first_seen_at, last_seen_at, size, sources) = (
            SELECT min(i.published_at), max(i.published_at), count(*),
                   (SELECT \(sourcesJSON) FROM (SELECT DISTINCT i2.feed_id FROM story_items s2 JOIN items i2 ON i2.id = s2.item_id
                                                  WHERE s2.model_version = $1 AND s2.story_id = $2 ORDER BY i2.feed_id) d)
            FROM story_items si JOIN items i ON i.id = si.item_id WHERE si.model_version = $1 AND si.story_id = $2)
        WHERE model_version = $1 AND id = $2
        """
    }

    /// Stories of model $1 with an item published after $2, newest last item first, at most $3; only those
    /// with an item mentioning symbol $4 (`symbol`), or among `ids`.
    static func stories(symbol: Bool, ids: String?) -> String {
        var conditions = ["st.model_version = $1", "st.last_seen_at > $2"]
        if symbol {
            conditions.append("""
                EXISTS (SELECT 1 FROM story_items sm JOIN mentions m ON m.item_id = sm.item_id
                        WHERE sm.model_version = st.model_version AND sm.story_id = st.id AND m.symbol = $4)
                """)
        }
        if let ids { conditions.append("st.id IN (\(ids))") }
        return """
            SELECT st.id, st.first_seen_at, st.last_seen_at, st.size, st.sources, r.title, r.link, r.feed_id
            FROM stories st JOIN items r ON r.id = st.id
            WHERE \(conditions.joined(separator: " AND "))
            ORDER BY st.last_seen_at DESC, st.id DESC LIMIT $3
            """
    }

    /// The items of the stories listed in `ids` (model $1), oldest first.
    static func storyItems(ids: String) -> String { """
        SELECT si.story_id, i.id, i.title, i.link, i.feed_id, i.published_at
        FROM story_items si JOIN items i ON i.id = si.item_id
        WHERE si.model_version = $1 AND si.story_id IN (\(ids))
        ORDER BY i.published_at, i.id
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
