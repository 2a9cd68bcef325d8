-- ConsentTrail schema, version 1.
-- Times are stored as INTEGER milliseconds since the Unix epoch (UTC) for ordering, with the
-- original text kept beside them.

CREATE TABLE sources (
    id              INTEGER PRIMARY KEY,
    path            TEXT    NOT NULL,           -- as given by the user; zip entries as archive.zip!/entry.csv
    file_name       TEXT    NOT NULL,
    system          TEXT    NOT NULL,           -- importer id, e.g. mailchimp
    sha256          TEXT    NOT NULL UNIQUE,    -- content hash: the same file is imported once
    bytes           INTEGER NOT NULL,
    imported_at     TEXT    NOT NULL,           -- RFC 3339 UTC
    rows_imported   INTEGER NOT NULL DEFAULT 0,
    rows_rejected   INTEGER NOT NULL DEFAULT 0,
    rows_warned     INTEGER NOT NULL DEFAULT 0,
    header          TEXT,                       -- JSON array of the CSV header, verbatim
    settings        TEXT    NOT NULL            -- JSON: the import settings used (zones, date order, system override)
);

-- Every source row verbatim (CSV values re-serialised as CSV, JSON records as JSON).
-- No index on source_id: removing a source (rare) scans, importing a million rows (common) does
-- not pay for one more B-tree. The same holds for events.source_id below.
CREATE TABLE source_rows (
    id          INTEGER PRIMARY KEY,
    source_id   INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    locator     TEXT    NOT NULL,               -- "line 12" for CSV, a JSON pointer for JSON
    line        INTEGER,                        -- first physical line of the record, when known
    raw         TEXT    NOT NULL
);

-- Identifiers: email:…, phone:…, or system:kind:value. subject_id is the union-find component
-- (the smallest identifier id in it), recomputed from identity_links after every change.
CREATE TABLE identifiers (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    subject_id  INTEGER NOT NULL DEFAULT 0,
    UNIQUE (kind, value)
);
CREATE INDEX identifiers_subject ON identifiers(subject_id);

-- Why two identifiers are the same person: a source row that names both, or a crosswalk.
CREATE TABLE identity_links (
    id              INTEGER PRIMARY KEY,
    identifier_a    INTEGER NOT NULL REFERENCES identifiers(id),
    identifier_b    INTEGER NOT NULL REFERENCES identifiers(id),
    source_id       INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    row_id          INTEGER REFERENCES source_rows(id) ON DELETE CASCADE,
    reason          TEXT    NOT NULL,
    UNIQUE (identifier_a, identifier_b, source_id)
);
CREATE INDEX identity_links_source ON identity_links(source_id);
CREATE INDEX identity_links_row ON identity_links(row_id);
CREATE INDEX identity_links_b ON identity_links(identifier_b);

-- Display-only attributes per source (names, date of birth): never used to join.
CREATE TABLE identifier_attributes (
    id              INTEGER PRIMARY KEY,
    identifier_id   INTEGER NOT NULL REFERENCES identifiers(id),
    source_id       INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    row_id          INTEGER REFERENCES source_rows(id) ON DELETE CASCADE,
    attribute       TEXT    NOT NULL,           -- first_name, last_name, name, date_of_birth
    value           TEXT    NOT NULL,
    UNIQUE (identifier_id, source_id, attribute, value)
);
CREATE INDEX identifier_attributes_identifier ON identifier_attributes(identifier_id);
CREATE INDEX identifier_attributes_row ON identifier_attributes(row_id);
CREATE INDEX identifier_attributes_source ON identifier_attributes(source_id);

CREATE TABLE events (
    id                  INTEGER PRIMARY KEY,
    source_id           INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    row_id              INTEGER NOT NULL,       -- source_rows.id; removed with its source (no FK: one index less per event)
    identifier_id       INTEGER NOT NULL REFERENCES identifiers(id),
    system              TEXT    NOT NULL,       -- the system that recorded the fact
    kind                TEXT    NOT NULL,
    occurred_at         INTEGER,                -- ms since epoch UTC; NULL when the source gives no time
    occurred_at_text    TEXT,                   -- as originally written
    zone_basis          TEXT,                   -- explicit | assumed:<zone> | epoch | export-state
    purpose             TEXT,                   -- canonical purpose id, derived from purpose_label + profile
    purpose_label       TEXT,                   -- as the source names it
    channel             TEXT,
    method              TEXT,                   -- effective: stated, else the collection point's
    method_stated       TEXT,
    capture_source      TEXT,
    collected_by        TEXT,
    collected_by_stated TEXT,
    notice_version      TEXT,
    notice_stated       TEXT,
    evidence            TEXT,                   -- JSON object, as given
    fingerprint         BLOB    NOT NULL UNIQUE -- 16-byte content hash: the same fact from the same system is stored once
);
CREATE INDEX events_identifier_time ON events(identifier_id, occurred_at);

-- Named recipients of a grant or a disclosure; legal_name derived through the profile.
CREATE TABLE event_recipients (
    event_id    INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    label       TEXT    NOT NULL,
    legal_name  TEXT,
    PRIMARY KEY (event_id, label)
) WITHOUT ROWID;
CREATE INDEX event_recipients_label ON event_recipients(label);

-- A row from another source that reported a fact already stored (overlapping exports). When the
-- event's own source is removed, the event moves to one of these instead of disappearing.
CREATE TABLE event_duplicates (
    id          INTEGER PRIMARY KEY,
    event_id    INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    source_id   INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    row_id      INTEGER NOT NULL REFERENCES source_rows(id) ON DELETE CASCADE
);
CREATE INDEX event_duplicates_event ON event_duplicates(event_id);
CREATE INDEX event_duplicates_source ON event_duplicates(source_id);
CREATE INDEX event_duplicates_row ON event_duplicates(row_id);

-- Lookups a source system provides for itself, e.g. Salesforce DataUsePurpose Id -> Name.
CREATE TABLE label_lookups (
    source_id   INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    system      TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    PRIMARY KEY (system, kind, key, source_id)
) WITHOUT ROWID;
CREATE INDEX label_lookups_source ON label_lookups(source_id);

-- Warnings and rejections found while importing (file, line or JSON pointer, field, reason).
CREATE TABLE import_issues (
    id          INTEGER PRIMARY KEY,
    source_id   INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    severity    TEXT    NOT NULL CHECK (severity IN ('warning', 'rejected')),
    locator     TEXT    NOT NULL,
    field       TEXT,
    message     TEXT    NOT NULL,
    raw         TEXT
);
CREATE INDEX import_issues_source ON import_issues(source_id);

-- The organisation profile in force (one row) as the JSON document of SPEC §2.
CREATE TABLE profile (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    document    TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
);

-- User-defined column mappings, reused when the same header appears again.
CREATE TABLE column_mappings (
    header_signature TEXT PRIMARY KEY,           -- SHA-256 of the normalised header
    name             TEXT NOT NULL,
    document         TEXT NOT NULL,
    saved_at         TEXT NOT NULL
);

-- The user's own actions: imports, removals, decisions, packs generated.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    action      TEXT NOT NULL,
    detail      TEXT NOT NULL                    -- JSON
);
