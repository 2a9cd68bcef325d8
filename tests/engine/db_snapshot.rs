//! Snapshots of a whole database, to compare "before" and "after" states exactly.
//!
//! - [`raw`]: every row of every table verbatim (ids included) — for "nothing changed at all".
//! - [`logical`]: the content with database ids replaced by what they stand for (a source by its
//!   SHA-256, a row by its locator and raw text, an identifier by `kind:value`, a subject by the
//!   sorted set of its identifiers) — for "the same data as if that file had never been imported",
//!   where ids legitimately differ.

use std::collections::{BTreeMap, BTreeSet};

use consenttrail_engine::store::Store;
use rusqlite::Connection;

/// Tables that are configuration or history rather than imported data: left out of
/// [`logical`] (the audit log records removals; saved mappings and the profile are the user's
/// settings; findings are recomputed by the rules).
const NOT_IMPORTED_DATA: &[&str] =
    &["audit_log", "profile", "column_mappings", "findings", "finding_decisions", "audit_runs"];

fn tables(conn: &Connection) -> Vec<String> {
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap();
    let names = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
    names.map(Result::unwrap).collect()
}

fn columns(conn: &Connection, table: &str) -> Vec<String> {
    let mut stmt = conn.prepare(&format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid")).unwrap();
    let names = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
    names.map(Result::unwrap).collect()
}

fn strings(conn: &Connection, sql: &str) -> Vec<String> {
    let mut stmt = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
    rows.map(Result::unwrap).collect()
}

/// Every table's rows, verbatim, each row as `quote(c1)|quote(c2)|…`, ordered by every column.
pub fn raw(store: &Store) -> BTreeMap<String, Vec<String>> {
    raw_conn(store.conn())
}

/// [`raw`] over a bare connection.
pub fn raw_conn(conn: &Connection) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for table in tables(conn) {
        let cols = columns(conn, &table);
        let expr: Vec<String> = cols.iter().map(|c| format!("quote(\"{c}\")")).collect();
        let order: Vec<String> = (1..=cols.len()).map(|i| i.to_string()).collect();
        let sql = format!(
            "SELECT {} FROM (SELECT * FROM \"{table}\" ORDER BY {})",
            expr.join(" || '|' || "),
            order.join(", ")
        );
        out.insert(table, strings(conn, &sql));
    }
    out
}

/// The imported data without database ids (see the module comment). Row counts of
/// `import_issues` are kept per source and severity, their wording is not (a warning's text can
/// depend on what else was in the database when the file was read).
pub fn logical(store: &Store) -> BTreeMap<String, BTreeSet<String>> {
    let conn = store.conn();
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut put = |name: &str, sql: &str| {
        out.insert(name.to_string(), strings(conn, sql).into_iter().collect());
    };
    put(
        "sources",
        "SELECT path || '|' || system || '|' || sha256 || '|' || bytes || '|' || rows_imported || '|' || rows_rejected
                || '|' || quote(header) FROM sources",
    );
    put(
        "source_rows",
        "SELECT s.sha256 || '|' || r.locator || '|' || quote(r.line) || '|' || r.raw
         FROM source_rows r JOIN sources s ON s.id = r.source_id",
    );
    put("identifiers", "SELECT kind || ':' || value FROM identifiers");
    put(
        "identity_links",
        "SELECT ia.kind || ':' || ia.value || ' = ' || ib.kind || ':' || ib.value || '|' || s.sha256 || '|'
                || quote(r.locator) || '|' || l.reason
         FROM identity_links l JOIN identifiers ia ON ia.id = l.identifier_a JOIN identifiers ib ON ib.id = l.identifier_b
         JOIN sources s ON s.id = l.source_id LEFT JOIN source_rows r ON r.id = l.row_id",
    );
    put(
        "identifier_attributes",
        "SELECT i.kind || ':' || i.value || '|' || s.sha256 || '|' || quote(r.locator) || '|' || a.attribute || '=' || a.value
         FROM identifier_attributes a JOIN identifiers i ON i.id = a.identifier_id JOIN sources s ON s.id = a.source_id
         LEFT JOIN source_rows r ON r.id = a.row_id",
    );
    put(
        "events",
        "SELECT quote(e.fingerprint) || '|' || s.sha256 || '|' || r.locator || '|' || i.kind || ':' || i.value || '|' || e.system
                || '|' || e.kind || '|' || quote(e.occurred_at) || '|' || quote(e.occurred_at_text) || '|' || quote(e.zone_basis)
                || '|' || quote(e.purpose) || '|' || quote(e.purpose_label) || '|' || quote(e.channel) || '|' || quote(e.method)
                || '|' || quote(e.method_stated) || '|' || quote(e.capture_source) || '|' || quote(e.collected_by)
                || '|' || quote(e.collected_by_stated) || '|' || quote(e.notice_version) || '|' || quote(e.notice_stated)
                || '|' || quote(e.evidence)
         FROM event_details e JOIN sources s ON s.id = e.source_id JOIN source_rows r ON r.id = e.row_id
         JOIN identifiers i ON i.id = e.identifier_id",
    );
    put(
        "event_recipients",
        "SELECT quote(e.fingerprint) || '|' || er.label || '|' || quote(er.legal_name)
         FROM event_recipients er JOIN events e ON e.id = er.event_id",
    );
    put(
        "event_duplicates",
        "SELECT quote(e.fingerprint) || '|' || s.sha256 || '|' || r.locator
         FROM event_duplicates d JOIN events e ON e.id = d.event_id JOIN sources s ON s.id = d.source_id
         JOIN source_rows r ON r.id = d.row_id",
    );
    put(
        "label_lookups",
        "SELECT s.sha256 || '|' || l.system || '|' || l.kind || '|' || l.key || '|' || l.value
         FROM label_lookups l JOIN sources s ON s.id = l.source_id",
    );
    put(
        "import_issue_counts",
        "SELECT s.sha256 || '|' || i.severity || '|' || count(*) FROM import_issues i JOIN sources s ON s.id = i.source_id
         WHERE i.severity = 'rejected' GROUP BY s.sha256, i.severity",
    );
    out.insert("subjects".into(), subjects(conn));
    // Any table added later that this snapshot does not know yet is compared by row count, so
    // that new data is never silently outside the comparison.
    let known = [
        "sources",
        "source_rows",
        "identifiers",
        "identity_links",
        "identifier_attributes",
        "events",
        "event_recipients",
        "event_duplicates",
        "label_lookups",
        "import_issues",
    ];
    for table in tables(conn) {
        if known.contains(&table.as_str()) || NOT_IMPORTED_DATA.contains(&table.as_str()) {
            continue;
        }
        let n: i64 = conn.query_row(&format!("SELECT count(*) FROM \"{table}\""), [], |r| r.get(0)).unwrap();
        out.insert(format!("{table} (row count)"), BTreeSet::from([n.to_string()]));
    }
    out
}

/// Subjects as the sorted sets of their identifiers.
pub fn subjects(conn: &Connection) -> BTreeSet<String> {
    let mut stmt = conn.prepare("SELECT subject_id, kind || ':' || value FROM identifiers").unwrap();
    let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))).unwrap();
    let mut groups: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
    for row in rows {
        let (subject, id) = row.unwrap();
        groups.entry(subject).or_default().insert(id);
    }
    groups.into_values().map(|ids| ids.into_iter().collect::<Vec<_>>().join(" + ")).collect()
}

/// Row counts of every table.
pub fn counts(store: &Store) -> BTreeMap<String, i64> {
    let conn = store.conn();
    tables(conn)
        .into_iter()
        .map(|t| {
            let n: i64 = conn.query_row(&format!("SELECT count(*) FROM \"{t}\""), [], |r| r.get(0)).unwrap();
            (t, n)
        })
        .collect()
}

/// A readable difference between two logical snapshots (empty when equal).
pub fn diff(a: &BTreeMap<String, BTreeSet<String>>, b: &BTreeMap<String, BTreeSet<String>>) -> String {
    let mut out = String::new();
    let names: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let empty = BTreeSet::new();
    for name in names {
        let (x, y) = (a.get(name).unwrap_or(&empty), b.get(name).unwrap_or(&empty));
        for only in x.difference(y) {
            out.push_str(&format!("  {name}: only in left:  {only}\n"));
        }
        for only in y.difference(x) {
            out.push_str(&format!("  {name}: only in right: {only}\n"));
        }
    }
    out
}
