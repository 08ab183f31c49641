-- See sqlite/0008_followers.sql.
ALTER TABLE documents ADD COLUMN generation BIGINT NOT NULL DEFAULT 0;
UPDATE documents SET generation = (SELECT generation FROM store_generation WHERE id = 1);
CREATE INDEX documents_by_generation ON documents (generation);

CREATE TABLE removed_documents (
    id         TEXT COLLATE "C" PRIMARY KEY,
    generation BIGINT NOT NULL
);
CREATE INDEX removed_documents_by_generation ON removed_documents (generation);

CREATE TABLE leases (
    name       TEXT COLLATE "C" PRIMARY KEY,
    holder     TEXT COLLATE "C" NOT NULL,
    since      TEXT COLLATE "C" NOT NULL,
    renewed_at TEXT COLLATE "C" NOT NULL,
    expires_at TEXT COLLATE "C" NOT NULL
);

CREATE TABLE nodes (
    id               TEXT COLLATE "C" PRIMARY KEY,
    host             TEXT NOT NULL,
    pid              BIGINT NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('leader', 'standby', 'stopped')),
    index_generation BIGINT NOT NULL,
    started_at       TEXT COLLATE "C" NOT NULL,
    seen_at          TEXT COLLATE "C" NOT NULL
);
