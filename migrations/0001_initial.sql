-- FinSent Monitor: first schema.
-- Times are INTEGER milliseconds since the Unix epoch (UTC). JSON columns hold
-- UTF-8 JSON text. Never edit this file once shipped: add 0002_*.sql instead.

-- Feeds from the configuration and their polling state.
CREATE TABLE feeds (
    id              TEXT PRIMARY KEY,          -- feeds[].id in config.json
    url             TEXT NOT NULL,             -- current URL (a permanent redirect updates it)
    etag            TEXT,                      -- for If-None-Match
    last_modified   TEXT,                      -- for If-Modified-Since, as the server sent it
    last_polled_at  INTEGER,
    last_status     INTEGER,                   -- last HTTP status (0 for transport errors)
    last_error      TEXT,
    error_streak    INTEGER NOT NULL DEFAULT 0,
    next_poll_at    INTEGER,
    unhealthy_since INTEGER,                   -- NULL while healthy
    items_seen      INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL
);

-- Every item fetched, stored exactly once.
CREATE TABLE items (
    id                  INTEGER PRIMARY KEY,
    canonical_id        TEXT NOT NULL UNIQUE,  -- guid/id, else cleaned link, else content hash
    content_hash        TEXT NOT NULL,         -- hash of title + text, catches syndicated copies
    feed_id             TEXT NOT NULL REFERENCES feeds(id) ON UPDATE CASCADE,
    title               TEXT NOT NULL DEFAULT '',
    link                TEXT,
    summary             TEXT NOT NULL DEFAULT '', -- plain text
    authors             TEXT NOT NULL DEFAULT '[]', -- JSON array of strings
    raw                 TEXT,                  -- JSON object of the source fields
    published_at        INTEGER NOT NULL,
    published_estimated INTEGER NOT NULL DEFAULT 0, -- 1 when the feed gave no date (fetch time used)
    fetched_at          INTEGER NOT NULL
);
CREATE INDEX items_content_hash ON items(content_hash);
CREATE INDEX items_published_at ON items(published_at);
CREATE INDEX items_feed_id ON items(feed_id);

-- Model scores, one row per item and model version (rescoring keeps history).
CREATE TABLE scores (
    item_id       INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    model_version TEXT NOT NULL,
    heads         TEXT NOT NULL,              -- JSON {"sentiment": {"negative": p, ...}, "topic": {...}}
    sentiment     REAL NOT NULL,              -- P(positive) - P(negative)
    risk          REAL NOT NULL,              -- item risk in [0, 1]
    label         TEXT NOT NULL,              -- sentiment label with the highest probability
    topic         TEXT,
    explanation   TEXT,                       -- JSON [{"word": ..., "weight": ...}]
    scored_at     INTEGER NOT NULL,
    PRIMARY KEY (item_id, model_version)
);
CREATE INDEX scores_model_version ON scores(model_version, item_id);

-- Entities: watchlist symbols and any cashtag seen.
CREATE TABLE entities (
    symbol       TEXT PRIMARY KEY,
    name         TEXT,
    on_watchlist INTEGER NOT NULL DEFAULT 0,
    first_seen_at INTEGER NOT NULL
);

CREATE TABLE mentions (
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    symbol  TEXT NOT NULL REFERENCES entities(symbol) ON DELETE CASCADE,
    kind    TEXT NOT NULL CHECK (kind IN ('cashtag', 'name')),
    matched TEXT NOT NULL,                    -- the text that matched
    PRIMARY KEY (item_id, symbol)
);
CREATE INDEX mentions_symbol ON mentions(symbol, item_id);

-- Alerts: one row per fingerprint (rule + entity), its current state.
CREATE TABLE alerts (
    id               INTEGER PRIMARY KEY,
    fingerprint      TEXT NOT NULL UNIQUE,
    kind             TEXT NOT NULL CHECK (kind IN ('threshold', 'source')),
    rule_id          TEXT NOT NULL,
    entity           TEXT NOT NULL,           -- ticker symbol, or feed id for source alerts
    state            TEXT NOT NULL CHECK (state IN ('pending', 'firing', 'resolved')),
    severity         TEXT,
    value            REAL,
    started_at       INTEGER NOT NULL,
    fired_at         INTEGER,
    resolved_at      INTEGER,
    last_notified_at INTEGER,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX alerts_state ON alerts(state);

-- Every state change of every alert, with the metrics and evidence at the time.
CREATE TABLE alert_events (
    id       INTEGER PRIMARY KEY,
    alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    state    TEXT NOT NULL,
    value    REAL,
    details  TEXT,                            -- JSON: window metrics, thresholds, evidence
    at       INTEGER NOT NULL
);
CREATE INDEX alert_events_alert ON alert_events(alert_id, at);

CREATE TABLE silences (
    id         INTEGER PRIMARY KEY,
    matcher    TEXT NOT NULL,                 -- a symbol or a rule id
    comment    TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    until_at   INTEGER NOT NULL
);

-- Webhook outbox: written in the same transaction as the alert state change.
CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    message_id      TEXT NOT NULL UNIQUE,     -- webhook-id header, stable across retries
    webhook_id      TEXT NOT NULL,            -- webhooks[].id in config.json
    event_type      TEXT NOT NULL,            -- alert.firing, alert.resolved, source.unhealthy
    alert_event_id  INTEGER REFERENCES alert_events(id) ON DELETE SET NULL,
    payload         TEXT NOT NULL,            -- the exact JSON body that is signed and sent
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'delivered', 'failed', 'disabled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_attempt_at INTEGER,
    delivered_at    INTEGER,
    created_at      INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at);

CREATE TABLE delivery_attempts (
    id          INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    attempted_at INTEGER NOT NULL,
    http_status INTEGER,                      -- NULL when no response arrived
    latency_ms  INTEGER,
    error       TEXT
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts(delivery_id, attempted_at);
