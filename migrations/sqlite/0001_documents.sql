-- Ingested documents and the passages they were cut into. The tantivy index is derived
-- from these tables and can be rebuilt from them at any time.

CREATE TABLE documents (
    id            TEXT PRIMARY KEY,          -- the source file name
    source_path   TEXT NOT NULL,
    sha256        TEXT NOT NULL,             -- of the file bytes: unchanged files are skipped
    lexicon       TEXT NOT NULL,             -- fingerprint of the lexicon that parsed it
    title         TEXT NOT NULL,
    form          TEXT NOT NULL,
    fiscal_year   INTEGER,
    sheets        INTEGER NOT NULL,
    warnings      TEXT NOT NULL DEFAULT '[]', -- JSON array of strings (Japanese)
    ingested_at   TEXT NOT NULL              -- RFC 3339, UTC
);

CREATE TABLE passages (
    id            TEXT PRIMARY KEY,
    document_id   TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal       INTEGER NOT NULL,
    region_name   TEXT NOT NULL,
    region_key    TEXT NOT NULL,             -- path joined with '/', e.g. 愛知県/名古屋市/東ブロック
    region_path   TEXT NOT NULL,             -- JSON array of path segments
    prefecture    TEXT,
    region_kind   TEXT NOT NULL,
    region_source TEXT NOT NULL,
    fiscal_year   INTEGER,
    form          TEXT NOT NULL,
    section       TEXT NOT NULL,
    topics        TEXT NOT NULL,             -- JSON array of topic ids
    body          TEXT NOT NULL,
    UNIQUE (document_id, ordinal)
);

CREATE INDEX passages_by_region ON passages (region_key);

-- A counter bumped by every change, recorded in the index commit so that an index left
-- behind by a crash between the two is noticed and rebuilt.
CREATE TABLE store_generation (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
);
INSERT INTO store_generation (id, generation) VALUES (1, 0);
