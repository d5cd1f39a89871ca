-- Scores get a sequence number in write order that is never reused (AUTOINCREMENT), so the alert
-- evaluator reads only the scores written since its last pass instead of every entity's window.
-- SQLite cannot add such a column to a table, so the table is rebuilt (same columns, same keys).
CREATE TABLE scores_numbered (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id       INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    model_version TEXT NOT NULL,
    heads         TEXT NOT NULL,              -- JSON {"sentiment": {"negative": p, ...}, "topic": {...}}
    sentiment     REAL NOT NULL,              -- P(positive) - P(negative)
    risk          REAL NOT NULL,              -- item risk in [0, 1]
    label         TEXT NOT NULL,              -- sentiment label with the highest probability
    topic         TEXT,
    explanation   TEXT,                       -- JSON [{"word": ..., "weight": ...}]
    scored_at     INTEGER NOT NULL,
    UNIQUE (item_id, model_version)
);
INSERT INTO scores_numbered (item_id, model_version, heads, sentiment, risk, label, topic, explanation, scored_at)
    SELECT item_id, model_version, heads, sentiment, risk, label, topic, explanation, scored_at FROM scores ORDER BY rowid;
DROP TABLE scores;
ALTER TABLE scores_numbered RENAME TO scores;
CREATE INDEX scores_model_version ON scores(model_version, item_id);
CREATE INDEX scores_item ON scores(item_id);
