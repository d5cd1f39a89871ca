-- The URL as configured, so a permanent redirect (which updates feeds.url) is told
-- apart from an edit of config.json (which resets feeds.url to the new address).
ALTER TABLE feeds ADD COLUMN configured_url TEXT;
-- When the feed last answered with a usable document (200 or 304).
ALTER TABLE feeds ADD COLUMN last_success_at INTEGER;
-- Items recognised again (same id, or same title and text from another source).
ALTER TABLE feeds ADD COLUMN duplicates_seen INTEGER NOT NULL DEFAULT 0;
