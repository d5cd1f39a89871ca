-- Leases: shared work is claimed by one instance for a bounded time (cluster.leaseTimeout).
-- SQLite is used by one monitord at a time; the PostgreSQL schema has the same columns and
-- tables, where several instances share them.
ALTER TABLE feeds ADD COLUMN lease_owner TEXT;          -- the instance polling the feed now
ALTER TABLE feeds ADD COLUMN lease_until INTEGER;       -- when that lease runs out
ALTER TABLE items ADD COLUMN claimed_by TEXT;           -- the instance scoring the item now
ALTER TABLE items ADD COLUMN claimed_until INTEGER;
ALTER TABLE webhook_deliveries ADD COLUMN lease_owner TEXT;   -- the instance sending it now
ALTER TABLE webhook_deliveries ADD COLUMN lease_until INTEGER;

-- Running instances (monitorctl db lists them).
CREATE TABLE cluster_instances (
    id           TEXT PRIMARY KEY,            -- hostname-pid-start time in ms
    host         TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    version      TEXT NOT NULL,
    started_at   INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL
);

-- Work one instance does at a time (alert evaluation, retention): who holds it, until when.
CREATE TABLE cluster_roles (
    role  TEXT PRIMARY KEY CHECK (role IN ('alerts', 'retention')),
    owner TEXT NOT NULL,
    until INTEGER NOT NULL
);
