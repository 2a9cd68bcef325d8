-- Findings of the latest audit run, recomputed deterministically from events and profile.
CREATE TABLE findings (
    id              TEXT    PRIMARY KEY,        -- stable: hash of rule, subject key, purpose, recipient
    rule            TEXT    NOT NULL,           -- R1 … R11
    code            TEXT    NOT NULL,
    severity        TEXT    NOT NULL CHECK (severity IN ('high', 'medium', 'low')),
    subject_id      INTEGER NOT NULL,
    subject_key     TEXT    NOT NULL,           -- the subject's first identifier, for stable ids
    purpose         TEXT,
    recipient       TEXT,
    at              INTEGER,                    -- earliest triggering instant, ms UTC (NULL: undated grant)
    occurrences     TEXT    NOT NULL,           -- JSON array of ms
    event_ids       TEXT    NOT NULL,           -- JSON array
    systems         TEXT    NOT NULL,           -- JSON array of the systems the events come from
    explanation     TEXT    NOT NULL,
    legal_reference TEXT    NOT NULL
);
CREATE INDEX findings_subject ON findings(subject_id);
CREATE INDEX findings_rule ON findings(rule);

-- An auditor's decisions, keyed by the stable finding id so they survive recomputation and
-- re-imports; the finding's key fields are copied so an orphaned decision stays readable.
CREATE TABLE finding_decisions (
    finding_id  TEXT PRIMARY KEY,
    status      TEXT NOT NULL CHECK (status IN ('accepted', 'false-positive', 'remediated')),
    note        TEXT NOT NULL,
    decided_by  TEXT,
    decided_at  TEXT NOT NULL,
    rule        TEXT NOT NULL,
    subject_key TEXT NOT NULL,
    purpose     TEXT,
    recipient   TEXT
);

-- Each audit run's summary (what ran, what could not).
CREATE TABLE audit_runs (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    summary TEXT NOT NULL
);
