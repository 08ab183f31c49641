-- 事前課題: forms (versioned definitions), meetings, people and their roles, submissions
-- with their draft answers and every submitted version, and where each person is in
-- their form conversation (so a restart or crash resumes where they were).

CREATE TABLE forms (
    id          TEXT NOT NULL,
    version     TEXT NOT NULL,
    definition  TEXT NOT NULL,           -- JSON of the parsed definition
    loaded_at   TEXT NOT NULL,
    PRIMARY KEY (id, version)
);

CREATE TABLE meetings (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    fiscal_year  INTEGER,
    form_id      TEXT NOT NULL,
    form_version TEXT NOT NULL,
    deadline     TEXT NOT NULL,          -- RFC 3339, UTC
    meeting_date TEXT,                   -- YYYY-MM-DD (Japan)
    created_at   TEXT NOT NULL,
    FOREIGN KEY (form_id, form_version) REFERENCES forms (id, version)
);

CREATE TABLE people (
    id          TEXT PRIMARY KEY,        -- discord:123 / local:山田
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE grants (
    person_id    TEXT NOT NULL REFERENCES people (id),
    role         TEXT NOT NULL CHECK (role IN ('staff', 'organizer', 'advisor')),
    region_key   TEXT NOT NULL DEFAULT '',
    region_name  TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL CHECK (status IN ('approved', 'pending', 'revoked')),
    updated_at   TEXT NOT NULL,
    decided_by   TEXT,
    PRIMARY KEY (person_id, role, region_key)
);

CREATE TABLE submissions (
    id                INTEGER PRIMARY KEY,
    meeting_id        INTEGER NOT NULL REFERENCES meetings (id),
    region_key        TEXT NOT NULL,
    region_name       TEXT NOT NULL,
    form_id           TEXT NOT NULL,
    form_version      TEXT NOT NULL,
    submitted_version INTEGER NOT NULL DEFAULT 0,
    amended           INTEGER NOT NULL DEFAULT 0,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    submitted_at      TEXT,
    UNIQUE (meeting_id, region_key)
);

CREATE TABLE answers (
    submission_id INTEGER NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    question_id   TEXT NOT NULL,
    value         TEXT NOT NULL,          -- JSON of the answer
    updated_at    TEXT NOT NULL,
    updated_by    TEXT NOT NULL,
    PRIMARY KEY (submission_id, question_id)
);

CREATE TABLE submission_versions (
    submission_id INTEGER NOT NULL REFERENCES submissions (id),
    version       INTEGER NOT NULL,
    answers       TEXT NOT NULL,          -- JSON of all answers as submitted
    submitted_at  TEXT NOT NULL,
    submitted_by  TEXT NOT NULL,
    PRIMARY KEY (submission_id, version)
);

CREATE TABLE conversations (
    person_id     TEXT PRIMARY KEY REFERENCES people (id),
    submission_id INTEGER NOT NULL REFERENCES submissions (id),
    cursor        TEXT NOT NULL,          -- JSON
    active        INTEGER NOT NULL,
    updated_at    TEXT NOT NULL
);
