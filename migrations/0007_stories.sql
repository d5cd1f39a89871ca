-- Stories: the copies and rewrites of one event, grouped as items are scored. Grouping reads the
-- model's embedding, so stories belong to a model version (a rescore with another model groups
-- again). A story's id is the id of the item that started it (its representative).
CREATE TABLE stories (
    model_version TEXT NOT NULL,
    id            INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    first_seen_at INTEGER NOT NULL,           -- earliest published_at of its items
    last_seen_at  INTEGER NOT NULL,           -- latest published_at of its items
    size          INTEGER NOT NULL,           -- items in the story
    sources       TEXT NOT NULL DEFAULT '[]', -- JSON array of its items' feed ids, sorted
    PRIMARY KEY (model_version, id)
) WITHOUT ROWID;                              -- one B-tree for the rows and their key, not two
CREATE INDEX stories_last_seen ON stories(model_version, last_seen_at);

-- Which story each scored item is in, written in the scoring batch's transaction.
CREATE TABLE story_items (
    item_id       INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    model_version TEXT NOT NULL,
    story_id      INTEGER NOT NULL,
    embedding     BLOB,                       -- the item's unit embedding × 127 as int8: rebuilds the window after a restart
    PRIMARY KEY (item_id, model_version),
    FOREIGN KEY (model_version, story_id) REFERENCES stories(model_version, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX story_items_story ON story_items(model_version, story_id);
