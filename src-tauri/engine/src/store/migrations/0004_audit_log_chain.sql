-- A tamper-evident audit log and a kept history of decisions (SPEC §4.1, §7).
--
-- 1. audit_log becomes append-only and hash-chained: each entry stores the hash of the entry
--    before it (prev_hash; 64 zeros for the first) and its own hash, SHA-256 over prev_hash and
--    a canonical encoding of the entry (see store/audit_log.rs). Triggers refuse any UPDATE or
--    DELETE and any INSERT that does not follow the last entry. SQL cannot compute SHA-256, so
--    the existing rows are parked in a temporary table here and chained, in id order, by the
--    migration's Rust hook (store::audit_log::chain_parked_entries) in the same transaction.
-- 2. finding_decisions keeps every decision (one row each, the latest is the one in force)
--    with the occurrences the auditor saw; rows are never changed or deleted.
--    A decision taken before this version saw, as far as can be known, the occurrences its
--    finding has now (none when the finding is gone).

CREATE TEMP TABLE audit_log_unchained AS SELECT id, at, action, detail FROM audit_log;
DROP TABLE audit_log;
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,                  -- RFC 3339 UTC
    action      TEXT NOT NULL,
    detail      TEXT NOT NULL,                  -- JSON
    prev_hash   TEXT NOT NULL UNIQUE,           -- hex SHA-256 of the entry before (a chain cannot fork)
    hash        TEXT NOT NULL UNIQUE            -- hex SHA-256 of prev_hash and this entry
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only: an entry cannot be changed');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only: an entry cannot be deleted');
END;
CREATE TRIGGER audit_log_append_only BEFORE INSERT ON audit_log
WHEN NEW.id IS NULL OR NEW.id <= coalesce((SELECT max(id) FROM audit_log), 0)
  OR NEW.prev_hash IS NOT coalesce((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1),
                                   '0000000000000000000000000000000000000000000000000000000000000000')
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only: an entry must follow the last one (id and prev_hash)');
END;

CREATE TABLE finding_decisions_history (
    id                  INTEGER PRIMARY KEY,
    finding_id          TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('accepted', 'false-positive', 'remediated')),
    note                TEXT NOT NULL,
    decided_by          TEXT,
    decided_at          TEXT NOT NULL,
    rule                TEXT NOT NULL,
    subject_key         TEXT NOT NULL,
    purpose             TEXT,
    recipient           TEXT,
    occurrences_seen    TEXT NOT NULL           -- JSON array of ms: the finding's occurrences when decided
);
INSERT INTO finding_decisions_history (finding_id, status, note, decided_by, decided_at, rule, subject_key, purpose,
    recipient, occurrences_seen)
SELECT d.finding_id, d.status, d.note, d.decided_by, d.decided_at, d.rule, d.subject_key, d.purpose, d.recipient,
    coalesce((SELECT f.occurrences FROM findings f WHERE f.id = d.finding_id), '[]')
FROM finding_decisions d ORDER BY d.decided_at, d.finding_id;
DROP TABLE finding_decisions;
ALTER TABLE finding_decisions_history RENAME TO finding_decisions;
-- The decision in force is the finding's latest: max(id) per finding_id.
CREATE INDEX finding_decisions_finding ON finding_decisions(finding_id, id);
CREATE TRIGGER finding_decisions_no_update BEFORE UPDATE ON finding_decisions
BEGIN
    SELECT RAISE(ABORT, 'decisions are kept: a new decision is added, an earlier one cannot be changed');
END;
CREATE TRIGGER finding_decisions_no_delete BEFORE DELETE ON finding_decisions
BEGIN
    SELECT RAISE(ABORT, 'decisions are kept: an earlier decision cannot be deleted');
END;
