//! The subject list: search by any identifier or recorded name, sorted by the counts the last
//! audit stored (`subject_counts`) or computed, paged; names as recorded per source. Its home
//! is the store because `Store` keeps the list's order cache beside the connection whose writes
//! invalidate it.

use rusqlite::{params, Connection};
use unicode_normalization::UnicodeNormalization;

use super::identity::{identifiers_of, name_parts_of, StoredIdentifier};
use super::StoreError;

/// One row of the subject list.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SubjectSummary {
    pub id: i64,
    pub identifiers: Vec<StoredIdentifier>,
    pub events: i64,
    pub systems: Vec<String>,
    /// Findings of the latest audit, in total and by severity.
    pub findings: i64,
    pub findings_high: i64,
    pub findings_medium: i64,
    pub findings_low: i64,
    /// The person's names as the sources recorded them, most agreed first (display only).
    pub names: Vec<RecordedName>,
}

/// How the subject list is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum SubjectSort {
    /// By subject id (import order).
    #[default]
    Id,
    /// By findings of the latest audit: high first, then medium, then low.
    Findings,
    /// By number of events.
    Events,
}

/// One page of the subject list as the app asks for it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SubjectQuery {
    /// Part of any identifier, case-insensitive (`kind:value` matches too); empty for all.
    pub search: String,
    pub sort: SubjectSort,
    pub descending: bool,
    pub limit: i64,
    pub offset: i64,
}

/// A page of subjects and how many match in all (the app's scroller sizes itself on it).
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SubjectPage {
    pub total: i64,
    pub rows: Vec<SubjectSummary>,
}

/// The `LIKE` pattern for a search text, with SQL wildcards in it taken literally.
fn like_pattern(search: &str) -> Option<String> {
    let search = search.trim();
    (!search.is_empty())
        .then(|| format!("%{}%", search_fold(search).replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")))
}

/// How a search and what it is compared with are folded: Unicode lower case of the NFC form.
/// SQLite's own `lower()` folds ASCII only, so "żółć" did not find "Żółć" nor "αλέξης"
/// "ΑΛΈΞΗΣ"; names here come in many scripts.
pub fn search_fold(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    text.nfc().collect::<String>().to_lowercase()
}

/// Registers [`search_fold`] as the SQL function `search_fold(text)` on `conn` (every
/// connection the store opens, so the app's reader has it too).
pub(super) fn register_search_fold(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    conn.create_scalar_function(
        "search_fold",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC | FunctionFlags::SQLITE_INNOCUOUS,
        |ctx| {
            Ok(match ctx.get_raw(0) {
                rusqlite::types::ValueRef::Text(bytes) => Some(search_fold(&String::from_utf8_lossy(bytes))),
                _ => None,
            })
        },
    )
}

/// Subjects with an identifier matching `?1`, or a name recorded with one (a first, last or full
/// name, or a first and last name recorded together). Names only find a subject: they never join
/// two (SPEC §2).
const MATCHING_SUBJECTS: &str = "SELECT DISTINCT subject_id FROM identifiers
    WHERE ?1 IS NULL OR search_fold(value) LIKE ?1 ESCAPE '\\' OR search_fold(kind || ':' || value) LIKE ?1 ESCAPE '\\'
       OR id IN (SELECT a.identifier_id FROM identifier_attributes a
                 WHERE a.attribute IN ('first_name', 'last_name', 'name') AND search_fold(a.value) LIKE ?1 ESCAPE '\\')
       OR id IN (SELECT f.identifier_id FROM identifier_attributes f
                 JOIN identifier_attributes l ON l.identifier_id = f.identifier_id AND l.source_id = f.source_id
                      AND l.attribute = 'last_name'
                 WHERE f.attribute = 'first_name' AND search_fold(f.value || ' ' || l.value) LIKE ?1 ESCAPE '\\')";

/// Subjects matching the query's search, sorted and paged in SQLite.
pub fn page(conn: &Connection, query: &SubjectQuery) -> Result<SubjectPage, StoreError> {
    page_cached(conn, query, &mut SubjectOrderCache::default())
}

/// [`page`]. Without a search, a sort by findings or events pages along an index of the counts
/// the last audit stored (`subject_counts`). A search, or counts dropped by a change not yet
/// audited, sorts every matching subject; that full order is kept in `cache` for the next page,
/// which then costs one lookup per row. The order is recomputed as soon as
/// anything in the database changed (this connection wrote, or another one committed).
pub fn page_cached(
    conn: &Connection,
    query: &SubjectQuery,
    cache: &mut SubjectOrderCache,
) -> Result<SubjectPage, StoreError> {
    let pattern = like_pattern(&query.search);
    let limit = usize::try_from(query.limit.clamp(0, 1000)).unwrap_or(0);
    let offset = usize::try_from(query.offset.max(0)).unwrap_or(usize::MAX);
    let direction = if query.descending { "DESC" } else { "ASC" };
    // The id order needs the counts table only to list every subject without a search.
    let counts_known = (query.sort != SubjectSort::Id || pattern.is_none()) && counts_known(conn)?;
    let counted_order = match query.sort {
        // Subject ids are the table's order: SQLite pages them without sorting anything.
        SubjectSort::Id => None,
        SubjectSort::Findings if counts_known => {
            Some(format!("c.findings_high {direction}, c.findings {direction}, s.subject_id"))
        }
        SubjectSort::Events if counts_known => Some(format!("c.events {direction}, s.subject_id")),
        SubjectSort::Findings => Some(format!(
            "(SELECT count(*) FILTER (WHERE severity = 'high') FROM findings WHERE subject_id = s.subject_id) {direction},
             (SELECT count(*) FROM findings WHERE subject_id = s.subject_id) {direction}, s.subject_id"
        )),
        SubjectSort::Events => Some(format!(
            "(SELECT count(*) FROM identifiers i JOIN events e ON e.identifier_id = i.id
              WHERE i.subject_id = s.subject_id) {direction}, s.subject_id"
        )),
    };
    // Every subject, by counts the last audit stored or by id: one walk along an index of
    // subject_counts (which lists every subject), a page at any depth without sorting (or
    // caching) anything, and the total without counting distinct subjects over identifiers.
    if let (true, None) = (counts_known, &pattern) {
        let total: i64 = conn.query_row("SELECT count(*) FROM subject_counts", [], |r| r.get(0))?;
        let by_id = format!("s.subject_id {direction}");
        let order = counted_order.as_deref().unwrap_or(&by_id).replace("s.subject_id", "c.subject_id");
        let mut stmt =
            conn.prepare(&format!("SELECT c.subject_id FROM subject_counts c ORDER BY {order} LIMIT ?1 OFFSET ?2"))?;
        let ids: Vec<i64> =
            stmt.query_map(params![limit as i64, offset as i64], |r| r.get(0))?.collect::<Result<_, _>>()?;
        let rows = ids.into_iter().map(|id| summary(conn, id)).collect::<Result<_, _>>()?;
        return Ok(SubjectPage { total, rows });
    }
    let counts_join = if counts_known { "JOIN subject_counts c ON c.subject_id = s.subject_id" } else { "" };
    let (total, ids) = match counted_order {
        None => {
            let total: i64 =
                conn.query_row(&format!("SELECT count(*) FROM ({MATCHING_SUBJECTS})"), params![pattern], |r| r.get(0))?;
            let mut stmt = conn.prepare(&format!(
                "SELECT s.subject_id FROM ({MATCHING_SUBJECTS}) s ORDER BY s.subject_id {direction} LIMIT ?2 OFFSET ?3"
            ))?;
            let ids: Vec<i64> = stmt
                .query_map(params![pattern, limit as i64, offset as i64], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            (total, ids)
        }
        Some(order) => {
            let key = OrderKey {
                version: DatabaseVersion::of(conn)?,
                pattern: pattern.clone(),
                sort: query.sort,
                descending: query.descending,
            };
            let ordered = match cache.entry.take() {
                Some((cached_key, ids)) if cached_key == key => ids,
                _ => {
                    let mut stmt = conn.prepare(&format!(
                        "SELECT s.subject_id FROM ({MATCHING_SUBJECTS}) s {counts_join} ORDER BY {order}"
                    ))?;
                    let ids: Vec<i64> = stmt.query_map(params![pattern], |r| r.get(0))?.collect::<Result<_, _>>()?;
                    ids
                }
            };
            let ids = ordered.iter().skip(offset).take(limit).copied().collect();
            let total = ordered.len() as i64;
            cache.entry = Some((key, ordered));
            (total, ids)
        }
    };
    let rows = ids.into_iter().map(|id| summary(conn, id)).collect::<Result<_, _>>()?;
    Ok(SubjectPage { total, rows })
}

/// True when `subject_counts` holds the counts of the latest audit for every subject: the audit
/// fills it, and adding or removing a source empties it (store migration 0005).
fn counts_known(conn: &Connection) -> Result<bool, StoreError> {
    Ok(conn.query_row("SELECT EXISTS (SELECT 1 FROM subject_counts)", [], |r| r.get(0))?)
}

/// The order of the subject list last asked for by findings or events (see [`page_cached`]).
#[derive(Debug, Default)]
pub struct SubjectOrderCache {
    entry: Option<(OrderKey, Vec<i64>)>,
}

/// What a cached order was computed for.
#[derive(Debug, PartialEq, Eq)]
struct OrderKey {
    version: DatabaseVersion,
    pattern: Option<String>,
    sort: SubjectSort,
    descending: bool,
}

/// Changes whenever the database may have: a row written through this connection (counted by
/// SQLite, whatever wrote it) or a commit by another connection (`PRAGMA data_version`).
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
struct DatabaseVersion {
    total_changes: u64,
    data_version: i64,
}

impl DatabaseVersion {
    fn of(conn: &Connection) -> Result<Self, StoreError> {
        let data_version = conn.query_row("PRAGMA data_version", [], |r| r.get(0))?;
        Ok(DatabaseVersion { total_changes: conn.total_changes(), data_version })
    }
}

/// Subjects whose identifiers contain `search` (case-insensitive), by id, paged in SQLite.
pub fn list(
    conn: &Connection,
    search: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<SubjectSummary>, StoreError> {
    let query = SubjectQuery { search: search.unwrap_or_default().to_string(), limit, offset, ..Default::default() };
    Ok(page(conn, &query)?.rows)
}

/// One subject's row: identifiers, events, systems and findings by severity.
fn summary(conn: &Connection, id: i64) -> Result<SubjectSummary, StoreError> {
    let (events, systems): (i64, Option<String>) = conn.query_row(
        "SELECT count(e.id), group_concat(DISTINCT e.system) FROM identifiers i
         LEFT JOIN events e ON e.identifier_id = i.id WHERE i.subject_id = ?1",
        params![id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let mut systems: Vec<String> = systems.map(|s| s.split(',').map(str::to_string).collect()).unwrap_or_default();
    systems.sort();
    let (findings, findings_high, findings_medium, findings_low) = conn.query_row(
        "SELECT count(*), count(*) FILTER (WHERE severity = 'high'), count(*) FILTER (WHERE severity = 'medium'),
                count(*) FILTER (WHERE severity = 'low')
         FROM findings WHERE subject_id = ?1",
        params![id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    Ok(SubjectSummary {
        id,
        identifiers: identifiers_of(conn, id)?,
        events,
        systems,
        findings,
        findings_high,
        findings_medium,
        findings_low,
        names: names_of(conn, id)?,
    })
}

/// A name as recorded, with the systems that recorded it (spelt alike up to case and spaces).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RecordedName {
    pub name: String,
    pub systems: Vec<String>,
}

/// The names the sources recorded for a subject: a full `name`, or a row's first and last name
/// put together. Names spelt alike (ignoring case and spacing) are one, with every system that
/// recorded it; the name most systems agree on comes first, then in the order recorded. More
/// than one entry means the sources disagree. Display only: names never join subjects (SPEC §2).
pub fn names_of(conn: &Connection, subject_id: i64) -> Result<Vec<RecordedName>, StoreError> {
    let attrs = name_parts_of(conn, subject_id)?;
    let mut recorded: Vec<(String, String)> = Vec::new();
    for source in attrs.chunk_by(|a, b| a.0 == b.0) {
        // A value is kept once per source (the first row that had it), so a row can lack a part
        // another row of the same source gave: it is filled in when the source has only one.
        let only = |attribute: &str| {
            let mut values = source.iter().filter(|a| a.2 == attribute).map(|a| a.3.as_str());
            match (values.next(), values.next()) {
                (Some(v), None) => Some(v),
                _ => None,
            }
        };
        let (only_first, only_last) = (only("first_name"), only("last_name"));
        for row in source.chunk_by(|a, b| a.1 == b.1) {
            let part = |attribute: &str| row.iter().find(|a| a.2 == attribute).map(|a| a.3.as_str());
            let system = &row[0].4;
            if let Some(name) = part("name") {
                recorded.push((name.to_string(), system.clone()));
            }
            let (first, last) = (part("first_name"), part("last_name"));
            if first.is_none() && last.is_none() {
                continue;
            }
            let full = [first.or(only_first), last.or(only_last)]
                .into_iter()
                .flatten()
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            if !full.is_empty() {
                recorded.push((full, system.clone()));
            }
        }
    }
    let fold = |name: &str| name.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    let mut names: Vec<(String, RecordedName)> = Vec::new();
    for (name, system) in recorded {
        let key = fold(&name);
        match names.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => {
                if !n.systems.contains(&system) {
                    n.systems.push(system);
                }
            }
            None => names.push((key, RecordedName { name, systems: vec![system] })),
        }
    }
    let mut names: Vec<RecordedName> = names.into_iter().map(|(_, n)| n).collect();
    for n in &mut names {
        n.systems.sort();
    }
    // Stable: equally agreed names stay in the order recorded.
    names.sort_by_key(|n| std::cmp::Reverse(n.systems.len()));
    Ok(names)
}
