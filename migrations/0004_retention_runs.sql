-- Retention passes (retention.* in config.json): when each ran and what it removed,
-- for `monitorctl db`.
CREATE TABLE retention_runs (
    id            INTEGER PRIMARY KEY,
    started_at    INTEGER NOT NULL,
    finished_at   INTEGER NOT NULL,
    items         INTEGER NOT NULL,           -- items removed (their scores and mentions went with them)
    alerts        INTEGER NOT NULL,           -- resolved alerts removed
    alert_events  INTEGER NOT NULL,
    deliveries    INTEGER NOT NULL            -- finished webhook deliveries removed (with their attempts)
);
-- Retention finds old items by fetch time as well as publication time.
CREATE INDEX items_fetched_at ON items(fetched_at);
CREATE INDEX alert_events_at ON alert_events(at);
CREATE INDEX webhook_deliveries_created ON webhook_deliveries(created_at);
