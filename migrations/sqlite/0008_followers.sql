-- Several processes on one database (issue 13). Each document records the generation that
-- wrote it and each removal leaves a tombstone, so a process whose search index is at
-- generation g applies only what changed after g. The lease names the process that serves
-- Discord and runs the scheduler (on SQLite it *is* the lock: a row with an expiry renewed by
-- the holder; on PostgreSQL an advisory lock is, and this row only says who holds it).
-- Every process records itself in `nodes` for `nimo status`.
ALTER TABLE documents ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;
UPDATE documents SET generation = (SELECT generation FROM store_generation WHERE id = 1);
CREATE INDEX documents_by_generation ON documents (generation);

CREATE TABLE removed_documents (
    id         TEXT PRIMARY KEY,
    generation INTEGER NOT NULL
);
CREATE INDEX removed_documents_by_generation ON removed_documents (generation);

CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    since      TEXT NOT NULL,       -- RFC 3339 UTC, seconds, 'Z'
    renewed_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE TABLE nodes (
    id               TEXT PRIMARY KEY,   -- host:pid:start
    host             TEXT NOT NULL,
    pid              INTEGER NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('leader', 'standby', 'stopped')),
    index_generation INTEGER NOT NULL,
    started_at       TEXT NOT NULL,
    seen_at          TEXT NOT NULL
);
