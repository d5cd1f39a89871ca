-- Webhook endpoints switched off by a 410 Gone answer (until an operator retries a delivery).
CREATE TABLE webhook_endpoints (
    id          TEXT PRIMARY KEY,              -- webhooks[].id in config.json
    disabled_at INTEGER,
    reason      TEXT
);
-- Scoring finds unscored items by id.
CREATE INDEX scores_item ON scores(item_id);
