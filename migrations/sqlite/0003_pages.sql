-- What a "next page" button stands for (the question and its options), so paging keeps
-- working after a restart and button ids stay within Discord's 100 characters.
CREATE TABLE pages (
    token      TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,      -- 'ask', 'roster', …
    payload    TEXT NOT NULL,      -- JSON
    created_at TEXT NOT NULL       -- RFC 3339, UTC
);
CREATE INDEX pages_by_age ON pages (created_at);
