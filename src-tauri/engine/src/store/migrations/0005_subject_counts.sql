-- Each subject's counts, so that the subject list sorts a million subjects by findings or
-- events from an index instead of counting every subject's rows (SPEC §6).
-- The audit writes a row for every subject (events as read, findings of that run by severity)
-- in its own transaction. Adding or removing a source can change which events a subject has
-- (and join two subjects), so the triggers below empty the table in that same transaction:
-- an empty table means "not known since the last change", and the list counts rows itself
-- until the next audit (the app and the CLI re-audit after every change).
CREATE TABLE subject_counts (
    subject_id      INTEGER PRIMARY KEY,
    events          INTEGER NOT NULL DEFAULT 0,
    findings        INTEGER NOT NULL DEFAULT 0,
    findings_high   INTEGER NOT NULL DEFAULT 0,
    findings_medium INTEGER NOT NULL DEFAULT 0,
    findings_low    INTEGER NOT NULL DEFAULT 0
);
-- The list's orders, both directions, ties by subject id ascending as before.
CREATE INDEX subject_counts_findings_desc ON subject_counts(findings_high DESC, findings DESC, subject_id);
CREATE INDEX subject_counts_findings_asc ON subject_counts(findings_high, findings, subject_id);
CREATE INDEX subject_counts_events_desc ON subject_counts(events DESC, subject_id);
CREATE INDEX subject_counts_events_asc ON subject_counts(events, subject_id);

CREATE TRIGGER sources_added_stale_subject_counts AFTER INSERT ON sources
BEGIN
    DELETE FROM subject_counts;
END;
CREATE TRIGGER sources_removed_stale_subject_counts AFTER DELETE ON sources
BEGIN
    DELETE FROM subject_counts;
END;

-- A database audited before this version: its counts, as the list counted them.
INSERT INTO subject_counts (subject_id, events, findings, findings_high, findings_medium, findings_low)
SELECT s.subject_id,
    (SELECT count(*) FROM identifiers i JOIN events e ON e.identifier_id = i.id WHERE i.subject_id = s.subject_id),
    (SELECT count(*) FROM findings f WHERE f.subject_id = s.subject_id),
    (SELECT count(*) FROM findings f WHERE f.subject_id = s.subject_id AND f.severity = 'high'),
    (SELECT count(*) FROM findings f WHERE f.subject_id = s.subject_id AND f.severity = 'medium'),
    (SELECT count(*) FROM findings f WHERE f.subject_id = s.subject_id AND f.severity = 'low')
FROM (SELECT DISTINCT subject_id FROM identifiers) s;
