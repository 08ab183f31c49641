-- PostgreSQL twin of sqlite/0001_documents.sql: the same tables with the same meaning.
-- Text is compared byte by byte (COLLATE "C") as SQLite does, so orderings (region keys,
-- RFC 3339 times written in one fixed UTC form) are the same on both engines.

CREATE TABLE documents (
    id            TEXT COLLATE "C" PRIMARY KEY,
    source_path   TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    lexicon       TEXT NOT NULL,
    title         TEXT NOT NULL,
    form          TEXT NOT NULL,
    fiscal_year   INTEGER,
    sheets        BIGINT NOT NULL,
    warnings      TEXT NOT NULL DEFAULT '[]',
    ingested_at   TEXT COLLATE "C" NOT NULL
);

CREATE TABLE passages (
    id            TEXT COLLATE "C" PRIMARY KEY,
    document_id   TEXT COLLATE "C" NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal       BIGINT NOT NULL,
    region_name   TEXT COLLATE "C" NOT NULL,
    region_key    TEXT COLLATE "C" NOT NULL,
    region_path   TEXT NOT NULL,
    prefecture    TEXT COLLATE "C",
    region_kind   TEXT COLLATE "C" NOT NULL,
    region_source TEXT NOT NULL,
    fiscal_year   INTEGER,
    form          TEXT NOT NULL,
    section       TEXT NOT NULL,
    topics        TEXT NOT NULL,
    body          TEXT NOT NULL,
    UNIQUE (document_id, ordinal)
);

CREATE INDEX passages_by_region ON passages (region_key);

CREATE TABLE store_generation (
    id         BIGINT PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO store_generation (id, generation) VALUES (1, 0);
