-- Stories, as SQLite's 0007_stories.sql: the copies and rewrites of one event, per model version;
-- a story's id is the id of the item that started it.
CREATE TABLE stories (
    model_version text NOT NULL,
    id            bigint NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    first_seen_at bigint NOT NULL,
    last_seen_at  bigint NOT NULL,
    size          integer NOT NULL,
    sources       text NOT NULL DEFAULT '[]',
    PRIMARY KEY (model_version, id)
);
CREATE INDEX stories_last_seen ON stories (model_version, last_seen_at);
CREATE TABLE story_items (
    item_id       bigint NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    model_version text NOT NULL,
    story_id      bigint NOT NULL,
    embedding     bytea,
    PRIMARY KEY (item_id, model_version),
    FOREIGN KEY (model_version, story_id) REFERENCES stories (model_version, id) ON DELETE CASCADE
);
CREATE INDEX story_items_story ON story_items (model_version, story_id);
