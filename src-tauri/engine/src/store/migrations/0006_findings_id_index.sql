-- A finding's id becomes a unique index of its own instead of the table's primary key.
-- An audit writes its findings in subject order while their ids are hashes: kept as the
-- primary key, every insert lands on a random page of that index (at 10M events, 2.4M
-- findings, an index larger than the page cache). As a secondary index the audit drops it
-- while it writes and builds it again by one sort before it commits (findings::defer_indexes);
-- uniqueness is checked then, in the same transaction. Readers see the same table.
-- SQLite cannot drop a primary key, so the table is rebuilt.
CREATE TABLE findings_rebuilt (
    id              TEXT    NOT NULL,           -- stable: hash of rule, subject key, purpose, recipient
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
INSERT INTO findings_rebuilt SELECT id, rule, code, severity, subject_id, subject_key, purpose, recipient, at,
    occurrences, event_ids, systems, explanation, legal_reference FROM findings ORDER BY subject_id, rowid;
DROP TABLE findings;
ALTER TABLE findings_rebuilt RENAME TO findings;
CREATE UNIQUE INDEX findings_id ON findings(id);
CREATE INDEX findings_subject ON findings(subject_id);
CREATE INDEX findings_rule ON findings(rule);
