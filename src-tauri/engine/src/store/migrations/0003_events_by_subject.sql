-- Leaner events for bulk imports (SPEC §8: import speed); what readers see is unchanged.
-- 1. Events are de-duplicated per subject identifier. The fingerprint already covers the
--    subject, so (identifier_id, fingerprint) is unique exactly when the fingerprint alone is;
--    but an import appends to this index (identifier ids grow as a file is read) instead of
--    writing all over one ordered by hash.
-- 2. The written time and the zone basis are stored only when they say more than the instant;
--    the view event_details shows them as before (occurred_at_text, zone_basis).
-- SQLite cannot drop a column's UNIQUE, so the table is rebuilt (foreign keys are off while
-- migrations run, and checked before this commits).
CREATE TABLE events_rebuilt (
    id                  INTEGER PRIMARY KEY,
    source_id           INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    row_id              INTEGER NOT NULL,       -- source_rows.id; removed with its source (no FK: one index less per event)
    identifier_id       INTEGER NOT NULL REFERENCES identifiers(id),
    system              TEXT    NOT NULL,       -- the system that recorded the fact
    kind                TEXT    NOT NULL,
    occurred_at         INTEGER,                -- ms since epoch UTC; NULL when the source gives no time
    occurred_at_written TEXT,                   -- as originally written, when not exactly the UTC form below
    zone_noted          TEXT,                   -- assumed:<zone> | epoch | export-state; NULL: explicit (or no time)
    purpose             TEXT,                   -- canonical purpose id, derived from purpose_label + profile
    purpose_label       TEXT,                   -- as the source names it
    channel             TEXT,
    method              TEXT,                   -- effective: stated, else the collection point's
    method_stated       TEXT,                   -- the *_stated columns are what the row itself said, kept where a
    capture_source      TEXT,                   -- collection point can be re-derived (capture_source not NULL)
    collected_by        TEXT,
    collected_by_stated TEXT,
    notice_version      TEXT,
    notice_stated       TEXT,
    evidence            TEXT,                   -- JSON object, as given
    fingerprint         BLOB    NOT NULL        -- 16-byte content hash: the same fact from the same system is stored once
);
INSERT INTO events_rebuilt (id, source_id, row_id, identifier_id, system, kind, occurred_at, occurred_at_written,
    zone_noted, purpose, purpose_label, channel, method, method_stated, capture_source, collected_by,
    collected_by_stated, notice_version, notice_stated, evidence, fingerprint)
SELECT id, source_id, row_id, identifier_id, system, kind, occurred_at, occurred_at_text,
    zone_basis, purpose, purpose_label, channel, method, method_stated, capture_source, collected_by,
    collected_by_stated, notice_version, notice_stated, evidence, fingerprint
FROM events;
DROP TABLE events;
ALTER TABLE events_rebuilt RENAME TO events;
-- Also the way to a subject's events (timelines sort in memory; nothing reads events in time
-- order across subjects), so the former (identifier_id, occurred_at) index is not rebuilt.
CREATE UNIQUE INDEX events_fact ON events(identifier_id, fingerprint);


-- Events as they are read: every column, with the time text and zone basis as the source gave
-- them (computed where the stored instant says it all). What the app, packs and ad-hoc
-- queries read; imports write the table.
CREATE VIEW event_details AS
SELECT events.*,
    coalesce(occurred_at_written, strftime('%Y-%m-%dT%H:%M:%SZ', occurred_at / 1000, 'unixepoch')) AS occurred_at_text,
    coalesce(zone_noted, CASE WHEN occurred_at IS NOT NULL THEN 'explicit' END) AS zone_basis
FROM events;
