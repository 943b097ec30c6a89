-- newswire item store, PostgreSQL schema version 1 (issue 6).
-- Applied once, in one transaction, by consumers/store/migrations.py; never edit a shipped
-- migration: add 0002_....sql instead.

CREATE TABLE items (
    item_id    text PRIMARY KEY,            -- 32 lowercase hex digits
    version    bigint NOT NULL,             -- the highest version seen wins
    dedup_key  text NOT NULL,
    feed_url   text NOT NULL,
    link       text NOT NULL,
    title      text NOT NULL,
    published  timestamptz,
    fetched    timestamptz NOT NULL,
    sort_time  timestamptz NOT NULL,        -- published, else fetched: what listings order by
    story_id   text,
    language   text,                        -- normalized tag: lower case, '-' separated
    body       text NOT NULL,               -- the indexed body text, for ts_headline snippets
    data       bytea NOT NULL,              -- the whole item as JSON (orjson): what reads return
    search     tsvector NOT NULL            -- title (A), authors+categories (B), summary (C), body (D)
);

CREATE INDEX items_search ON items USING GIN (search);
CREATE INDEX items_sort_time ON items (sort_time, item_id);
CREATE INDEX items_id_prefix ON items (item_id text_pattern_ops);
CREATE INDEX items_dedup_key ON items (dedup_key);
CREATE INDEX items_feed_url ON items (feed_url, sort_time);
CREATE INDEX items_story_id ON items (story_id) WHERE story_id IS NOT NULL;
CREATE INDEX items_language ON items (language) WHERE language IS NOT NULL;
