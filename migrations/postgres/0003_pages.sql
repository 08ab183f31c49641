CREATE TABLE pages (
    token      TEXT COLLATE "C" PRIMARY KEY,
    kind       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX pages_by_age ON pages (created_at);
