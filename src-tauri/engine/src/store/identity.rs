//! Identifiers, the links that join them, and subjects as union-find components over the links.
//!
//! Subjects are recomputed from the links (not merged in place), so that removing a source that
//! brought a link splits the subject again exactly as before.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension};

use super::StoreError;
use crate::model::Identifier;

/// Caches identifier ids during an import so that a million rows do not mean a million lookups.
#[derive(Default)]
pub struct IdentifierCache {
    ids: rustc_hash::FxHashMap<Identifier, i64>,
    /// The last identifier asked for: exports list a person's rows together.
    last: Option<(Identifier, i64)>,
}

impl IdentifierCache {
    /// The id of `identifier`, creating it when new.
    pub fn id_of(&mut self, conn: &Connection, identifier: &Identifier) -> Result<i64, StoreError> {
        if let Some((last, id)) = &self.last {
            if last == identifier {
                return Ok(*id);
            }
        }
        let id = self.lookup(conn, identifier)?;
        // In a log in time order nearly every row names another person than the row before:
        // the remembered identifier's buffers are reused rather than allocated again.
        match &mut self.last {
            Some((Identifier { kind, value }, last_id)) => {
                // Destructured in full: a field added to Identifier must be copied here too.
                kind.clone_from(&identifier.kind);
                value.clone_from(&identifier.value);
                *last_id = id;
            }
            None => self.last = Some((identifier.clone(), id)),
        }
        Ok(id)
    }

    fn lookup(&mut self, conn: &Connection, identifier: &Identifier) -> Result<i64, StoreError> {
        if let Some(id) = self.ids.get(identifier) {
            return Ok(*id);
        }
        let mut find = conn.prepare_cached("SELECT id FROM identifiers WHERE kind = ?1 AND value = ?2")?;
        let existing: Option<i64> =
            find.query_row(params![identifier.kind, identifier.value], |r| r.get(0)).optional()?;
        let id = match existing {
            Some(id) => id,
            None => {
                let mut insert = conn.prepare_cached("INSERT INTO identifiers (kind, value) VALUES (?1, ?2)")?;
                // subject_id is set by `recompute_subjects`, which every import runs before it
                // commits.
                insert.execute(params![identifier.kind, identifier.value])?;
                conn.last_insert_rowid()
            }
        };
        // Bounded (~25 MB): a file with more people re-reads some ids from SQLite's index rather
        // than growing memory with the file.
        if self.ids.len() >= 200_000 {
            self.ids.clear();
        }
        self.ids.insert(identifier.clone(), id);
        Ok(id)
    }
}

/// Records that two identifiers belong to the same person, with the evidence.
pub fn add_link(
    conn: &Connection,
    a: i64,
    b: i64,
    source_id: i64,
    row_id: Option<i64>,
    reason: &str,
) -> Result<(), StoreError> {
    if a == b {
        return Ok(());
    }
    let (a, b) = if a < b { (a, b) } else { (b, a) };
    conn.prepare_cached(
        "INSERT OR IGNORE INTO identity_links (identifier_a, identifier_b, source_id, row_id, reason)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![a, b, source_id, row_id, reason])?;
    Ok(())
}

fn find(parent: &mut HashMap<i64, i64>, x: i64) -> i64 {
    let mut root = x;
    while let Some(&p) = parent.get(&root) {
        if p == root {
            break;
        }
        root = p;
    }
    // Path compression.
    let mut cur = x;
    while let Some(&p) = parent.get(&cur) {
        if p == root {
            break;
        }
        parent.insert(cur, root);
        cur = p;
    }
    root
}

/// Recomputes every identifier's subject (the smallest identifier id of its component).
/// Returns how many identifiers changed subject.
pub fn recompute_subjects(conn: &Connection) -> Result<usize, StoreError> {
    let mut parent: HashMap<i64, i64> = HashMap::new();
    let mut links = conn.prepare("SELECT identifier_a, identifier_b FROM identity_links")?;
    let pairs = links.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
    for pair in pairs {
        let (a, b) = pair?;
        parent.entry(a).or_insert(a);
        parent.entry(b).or_insert(b);
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        if ra != rb {
            // The smaller id is the root, so a component's subject id is its smallest member.
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            parent.insert(hi, lo);
        }
    }
    let mut changed = 0;
    let mut update =
        conn.prepare_cached("UPDATE identifiers SET subject_id = ?2 WHERE id = ?1 AND subject_id != ?2")?;
    let mut all = conn.prepare("SELECT id, subject_id FROM identifiers")?;
    let rows: Vec<(i64, i64)> = all.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    for (id, current) in rows {
        let subject = if parent.contains_key(&id) { find(&mut parent, id) } else { id };
        if subject != current {
            changed += update.execute(params![id, subject])?;
        }
    }
    Ok(changed)
}

/// Removes identifiers that no event, link or attribute uses any more (after a source removal).
pub fn prune_orphan_identifiers(conn: &Connection) -> Result<usize, StoreError> {
    Ok(conn.execute(
        "DELETE FROM identifiers WHERE
            NOT EXISTS (SELECT 1 FROM events e WHERE e.identifier_id = identifiers.id)
        AND NOT EXISTS (SELECT 1 FROM identity_links l WHERE l.identifier_a = identifiers.id OR l.identifier_b = identifiers.id)
        AND NOT EXISTS (SELECT 1 FROM identifier_attributes a WHERE a.identifier_id = identifiers.id)",
        [],
    )?)
}

/// A stored identifier.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StoredIdentifier {
    pub id: i64,
    pub kind: String,
    pub value: String,
}

impl StoredIdentifier {
    /// The identifier as users write it.
    pub fn display(&self) -> String {
        Identifier { kind: self.kind.clone(), value: self.value.clone() }.to_string()
    }
}

/// The subject an identifier (as a user types it) belongs to.
pub fn subject_of(conn: &Connection, text: &str) -> Result<Option<i64>, StoreError> {
    let identifier = Identifier::parse(text).map_err(|e| StoreError::NotFound(e.to_string()))?;
    Ok(conn
        .query_row(
            "SELECT subject_id FROM identifiers WHERE kind = ?1 AND value = ?2",
            params![identifier.kind, identifier.value],
            |r| r.get(0),
        )
        .optional()?)
}

/// Every identifier of a subject, e-mails first.
pub fn identifiers_of(conn: &Connection, subject_id: i64) -> Result<Vec<StoredIdentifier>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, kind, value FROM identifiers WHERE subject_id = ?1
         ORDER BY CASE kind WHEN 'email' THEN 0 WHEN 'phone' THEN 1 ELSE 2 END, kind, value",
    )?;
    let rows = stmt.query_map(params![subject_id], |r| {
        Ok(StoredIdentifier { id: r.get(0)?, kind: r.get(1)?, value: r.get(2)? })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Why two identifiers of a subject are joined: one row per link with its source.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LinkEvidence {
    pub a: String,
    pub b: String,
    pub reason: String,
    pub source_id: i64,
    pub source_path: String,
    pub locator: Option<String>,
}

/// The links that join a subject's identifiers, with their evidence.
pub fn links_of(conn: &Connection, subject_id: i64) -> Result<Vec<LinkEvidence>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT ia.kind, ia.value, ib.kind, ib.value, l.reason, l.source_id, s.path, r.locator
         FROM identity_links l
         JOIN identifiers ia ON ia.id = l.identifier_a
         JOIN identifiers ib ON ib.id = l.identifier_b
         JOIN sources s ON s.id = l.source_id
         LEFT JOIN source_rows r ON r.id = l.row_id
         WHERE ia.subject_id = ?1 ORDER BY l.id",
    )?;
    let rows = stmt.query_map(params![subject_id], |r| {
        let a = Identifier { kind: r.get(0)?, value: r.get(1)? };
        let b = Identifier { kind: r.get(2)?, value: r.get(3)? };
        Ok(LinkEvidence {
            a: a.to_string(),
            b: b.to_string(),
            reason: r.get(4)?,
            source_id: r.get(5)?,
            source_path: r.get(6)?,
            locator: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Every subject id that has an identifier, ascending (the audit chunks subjects by these).
pub fn subject_ids(conn: &Connection) -> Result<Vec<i64>, StoreError> {
    let mut stmt = conn.prepare("SELECT DISTINCT subject_id FROM identifiers ORDER BY subject_id")?;
    let ids = stmt.query_map([], |r| r.get(0))?;
    Ok(ids.collect::<Result<_, _>>()?)
}

/// Streams the identifiers of the subjects with ids from `first` to `last` (inclusive) to
/// `each` as (subject, kind, value), text borrowed from the row: subject keys are folded from
/// them without copying every identifier out.
pub fn for_each_identifier_between(
    conn: &Connection,
    first: i64,
    last: i64,
    mut each: impl FnMut(i64, &str, &str),
) -> Result<(), StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT subject_id, kind, value FROM identifiers WHERE subject_id BETWEEN ?1 AND ?2")?;
    let mut rows = stmt.query([first, last])?;
    while let Some(r) = rows.next()? {
        let subject: i64 = r.get(0)?;
        let (kind, value) = (
            r.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?,
            r.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?,
        );
        each(subject, kind, value);
    }
    Ok(())
}

/// The identifiers of every subject in subject id order, read one at a time (see
/// [`with_identifiers_by_subject`]).
pub struct IdentifiersBySubject<'s> {
    rows: rusqlite::Rows<'s>,
}

impl IdentifiersBySubject<'_> {
    /// The next identifier as (subject, kind, value), None after the last.
    pub fn next_identifier(&mut self) -> Result<Option<(i64, String, String)>, StoreError> {
        Ok(match self.rows.next()? {
            Some(r) => Some((r.get(0)?, r.get(1)?, r.get(2)?)),
            None => None,
        })
    }
}

/// Runs `f` with a cursor over every identifier in subject id order: a second cursor beside a
/// pass over the events in the same order, so that no map of every subject's identifiers is held.
pub fn with_identifiers_by_subject<T, E: From<StoreError>>(
    conn: &Connection,
    f: impl FnOnce(&mut IdentifiersBySubject<'_>) -> Result<T, E>,
) -> Result<T, E> {
    let mut stmt = conn
        .prepare("SELECT subject_id, kind, value FROM identifiers ORDER BY subject_id")
        .map_err(|e| E::from(StoreError::from(e)))?;
    let rows = stmt.query([]).map_err(|e| E::from(StoreError::from(e)))?;
    // Bound first: the cursor borrows `stmt`, which must outlive it.
    let value = f(&mut IdentifiersBySubject { rows })?;
    Ok(value)
}

/// Streams the `date_of_birth` values sources recorded for the subjects with ids from `first`
/// to `last` (inclusive) to `each` as (subject, value, system).
pub fn for_each_birth_date_between(
    conn: &Connection,
    first: i64,
    last: i64,
    mut each: impl FnMut(i64, String, String),
) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT i.subject_id, a.value, s.system FROM identifier_attributes a
         JOIN identifiers i ON i.id = a.identifier_id JOIN sources s ON s.id = a.source_id
         WHERE a.attribute = 'date_of_birth' AND i.subject_id BETWEEN ?1 AND ?2",
    )?;
    let mut rows = stmt.query([first, last])?;
    while let Some(r) = rows.next()? {
        each(r.get(0)?, r.get(1)?, r.get(2)?);
    }
    Ok(())
}

/// The source rows that joined a subject's identifiers (e.g. a crosswalk's): evidence about
/// the subject as much as the rows of its events.
pub fn link_row_ids(conn: &Connection, subject_id: i64) -> Result<Vec<i64>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT l.row_id FROM identity_links l JOIN identifiers ia ON ia.id = l.identifier_a
         WHERE ia.subject_id = ?1 AND l.row_id IS NOT NULL",
    )?;
    let ids = stmt.query_map(params![subject_id], |r| r.get::<_, i64>(0))?;
    Ok(ids.collect::<Result<_, _>>()?)
}

/// A display attribute recorded by a source.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RecordedAttribute {
    pub attribute: String,
    pub value: String,
    pub system: String,
    pub source_path: String,
}

/// The names (and date of birth) each source recorded for a subject — for display only.
pub fn attributes_of(conn: &Connection, subject_id: i64) -> Result<Vec<RecordedAttribute>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.attribute, a.value, s.system, s.path FROM identifier_attributes a
         JOIN identifiers i ON i.id = a.identifier_id JOIN sources s ON s.id = a.source_id
         WHERE i.subject_id = ?1 ORDER BY s.id, a.attribute, a.value",
    )?;
    let rows = stmt.query_map(params![subject_id], |r| {
        Ok(RecordedAttribute { attribute: r.get(0)?, value: r.get(1)?, system: r.get(2)?, source_path: r.get(3)? })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// One name part a source recorded: (source id, row id, attribute, value, system).
pub type NamePart = (i64, Option<i64>, String, String, String);

/// The `first_name`, `last_name` and `name` values recorded for a subject, by source, then
/// row, then as recorded (what `store::subjects::names_of` puts together).
pub fn name_parts_of(conn: &Connection, subject_id: i64) -> Result<Vec<NamePart>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.source_id, a.row_id, a.attribute, a.value, s.system FROM identifier_attributes a
         JOIN identifiers i ON i.id = a.identifier_id JOIN sources s ON s.id = a.source_id
         WHERE i.subject_id = ?1 AND a.attribute IN ('first_name', 'last_name', 'name')
         ORDER BY s.id, a.row_id, a.id",
    )?;
    let parts = stmt.query_map(params![subject_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?;
    Ok(parts.collect::<Result<_, _>>()?)
}

// ---- Writing identifier attributes during an import (import/context.rs asks for these) ----

/// Stores display attributes (name, date of birth) of identifiers, per source: the import's
/// statement, prepared once per file (the statement cache would hash its SQL on every call:
/// two or three calls a row, most of them for a value the file stated before).
pub struct AttributeWriter<'tx> {
    insert: rusqlite::Statement<'tx>,
}

impl<'tx> AttributeWriter<'tx> {
    pub fn new(conn: &'tx Connection) -> Result<AttributeWriter<'tx>, StoreError> {
        Ok(AttributeWriter {
            insert: conn.prepare(
                "INSERT OR IGNORE INTO identifier_attributes (identifier_id, source_id, row_id, attribute, value)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?,
        })
    }

    /// Keeps `attribute` = `value` for an identifier, from the first row of the source that
    /// stated it.
    pub fn add(
        &mut self,
        identifier_id: i64,
        source_id: i64,
        row_id: i64,
        attribute: &str,
        value: &str,
    ) -> Result<(), StoreError> {
        self.insert.execute(params![identifier_id, source_id, row_id, attribute, value])?;
        Ok(())
    }
}
