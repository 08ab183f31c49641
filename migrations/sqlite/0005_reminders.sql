-- Meetings, deadlines and reminders: who takes part, who organizes, where the meeting's
-- channel is, how it reminds; the schedule of reminder steps and the outbox of deliveries.
-- Both are claimed atomically (claimed_by / claim_until) so several bot processes can
-- share one database and each reminder goes out once.

ALTER TABLE meetings ADD COLUMN channel_id TEXT;   -- Discord channel: fallback and digests
ALTER TABLE meetings ADD COLUMN policy TEXT;       -- JSON reminder policy; NULL = the default

CREATE TABLE meeting_regions (
    meeting_id  INTEGER NOT NULL REFERENCES meetings (id),
    region_key  TEXT NOT NULL,
    region_name TEXT NOT NULL,
    PRIMARY KEY (meeting_id, region_key)
);

CREATE TABLE meeting_organizers (
    meeting_id INTEGER NOT NULL REFERENCES meetings (id),
    person_id  TEXT NOT NULL REFERENCES people (id),
    PRIMARY KEY (meeting_id, person_id)
);

-- One row per rung of a meeting's ladder. pending → done (sent), merged (folded into a
-- later rung after downtime) or expired (about a deadline that had passed).
CREATE TABLE reminder_steps (
    meeting_id  INTEGER NOT NULL REFERENCES meetings (id),
    step        TEXT NOT NULL,
    audience    TEXT NOT NULL CHECK (audience IN ('staff', 'organizers')),
    due_at      TEXT NOT NULL,      -- RFC 3339 UTC, seconds, 'Z'
    state       TEXT NOT NULL CHECK (state IN ('pending', 'done', 'merged', 'expired')),
    claimed_by  TEXT,
    claim_until TEXT,
    settled_at  TEXT,
    PRIMARY KEY (meeting_id, step)
);
CREATE INDEX reminder_steps_due ON reminder_steps (state, due_at);

-- The outbox: one row per recipient and step, never two (UNIQUE). The nonce is fixed at
-- creation so a send retried after a crash is recognised by Discord (enforce_nonce).
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    meeting_id      INTEGER NOT NULL REFERENCES meetings (id),
    step            TEXT NOT NULL,
    recipient       TEXT NOT NULL,    -- person id, or channel:ID
    region_key      TEXT NOT NULL DEFAULT '',
    notice          TEXT NOT NULL,    -- JSON of the notice
    nonce           TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claimed_by      TEXT,
    claim_until     TEXT,
    via             TEXT,             -- dm / channel
    error           TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT,
    UNIQUE (meeting_id, step, recipient)
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
