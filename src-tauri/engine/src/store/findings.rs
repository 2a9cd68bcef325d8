//! The latest audit's findings (table `findings`), the per-subject counts the audit writes with
//! them (`subject_counts`) and each audit run's summary (`audit_runs`).
//!
//! The rules decide what a finding is and what a filter means; this module only stores and
//! reads them. Filtering, counting and paging happen in SQLite so that a 100,000-finding audit
//! never crosses into the UI at once.

use std::collections::HashSet;

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Statement};

use super::{now_rfc3339, StoreError};
use crate::model::finding::{AuditSummary, Finding, RuleId, Severity};

/// The columns [`finding_from_row`] reads, in order (qualified by the alias `f`).
const FINDING_COLUMNS: &str = "f.id, f.rule, f.severity, f.subject_id, f.subject_key, f.purpose, f.recipient,
    f.at, f.occurrences, f.event_ids, f.systems, f.explanation";

/// A stored finding from a row of [`FINDING_COLUMNS`]. JSON columns the engine wrote itself
/// are parsed back; a malformed one is a conversion error naming the column.
fn finding_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Finding> {
    fn json_column<T: serde::de::DeserializeOwned>(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<T> {
        let text: String = r.get(i)?;
        serde_json::from_str(&text)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e)))
    }
    let rule_text: String = r.get(1)?;
    let rule = RuleId::parse(&rule_text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            1,
            rusqlite::types::Type::Text,
            format!("stored finding has unknown rule {rule_text}").into(),
        )
    })?;
    let severity: String = r.get(2)?;
    Ok(Finding {
        id: r.get(0)?,
        rule,
        severity: Severity::parse(&severity).unwrap_or(Severity::Low),
        subject_id: r.get(3)?,
        subject_key: r.get(4)?,
        purpose: r.get(5)?,
        recipient: r.get(6)?,
        at: r.get(7)?,
        occurrences: json_column(r, 8)?,
        event_ids: json_column(r, 9)?,
        systems: json_column(r, 10)?,
        explanation: r.get(11)?,
    })
}

/// The order the audit lists findings in (and packs digest them in): subject key, rule number,
/// purpose, recipient.
const AUDIT_ORDER_SQL: &str = "f.subject_key, CAST(substr(f.rule, 2) AS INTEGER), f.purpose, f.recipient";

// --- Written by an audit run -------------------------------------------------------------

/// Empties the findings and the subject counts, before an audit run writes its own (in the
/// run's transaction, so that a failed run leaves the previous one in place).
pub fn clear(conn: &Connection) -> Result<(), StoreError> {
    conn.execute("DELETE FROM findings", [])?;
    conn.execute("DELETE FROM subject_counts", [])?;
    Ok(())
}

/// The indexes of `findings` and `subject_counts` other than their keys, dropped while an
/// audit run fills the emptied tables and built again, each in one sort, before it commits:
/// keeping six indexes up to date row by row was a fifth of the writing thread's time.
#[must_use = "the indexes must be built again before the transaction commits"]
pub struct DeferredIndexes(Vec<String>);

/// Drops the tables' secondary indexes for the rest of the transaction (which
/// [`DeferredIndexes::restore`] must end); their definitions are read from the schema itself.
pub fn defer_indexes(conn: &Connection) -> Result<DeferredIndexes, StoreError> {
    let indexes: Vec<(String, String)> = conn
        .prepare(
            "SELECT name, sql FROM main.sqlite_master
             WHERE type = 'index' AND tbl_name IN ('findings', 'subject_counts') AND sql IS NOT NULL ORDER BY name",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut definitions = Vec::with_capacity(indexes.len());
    for (name, sql) in indexes {
        conn.execute_batch(&format!("DROP INDEX main.\"{}\"", name.replace('"', "\"\"")))?;
        definitions.push(sql);
    }
    Ok(DeferredIndexes(definitions))
}

impl DeferredIndexes {
    /// Builds the dropped indexes again from the rows now in the tables.
    pub fn restore(self, conn: &Connection) -> Result<(), StoreError> {
        for sql in self.0 {
            conn.execute_batch(&sql)?;
        }
        Ok(())
    }
}

/// Writes an audit run's findings and subject counts as they come, one subject at a time. The
/// two statements are prepared once and reused for every row: a million-event audit writes a
/// quarter of a million findings.
pub struct FindingWriter<'c> {
    insert: Statement<'c>,
    counts: Statement<'c>,
}

/// Where an audit's findings are: the findings table (the audit of record, which the app and
/// packs show), or a temporary table of the same shape that `verify` recomputes the audit into
/// without touching the record (see [`super::scratch::RecomputedFindings`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindingsTable {
    Stored,
    Recomputed,
}

impl FindingsTable {
    pub(super) fn name(self) -> &'static str {
        match self {
            FindingsTable::Stored => "main.findings",
            FindingsTable::Recomputed => "temp.recomputed_findings",
        }
    }
}

impl<'c> FindingWriter<'c> {
    /// A writer into the findings table (the audit of record).
    pub fn new(conn: &'c Connection) -> Result<Self, StoreError> {
        Self::into_table(conn, FindingsTable::Stored)
    }

    /// A writer into `table` (subject counts always go to the record's table).
    pub fn into_table(conn: &'c Connection, table: FindingsTable) -> Result<Self, StoreError> {
        let insert = conn.prepare(&format!(
            "INSERT INTO {} (id, rule, code, severity, subject_id, subject_key, purpose, recipient, at, occurrences,
                event_ids, systems, explanation, legal_reference)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            table.name()
        ))?;
        let counts = conn.prepare(
            "INSERT INTO subject_counts (subject_id, events, findings, findings_high, findings_medium, findings_low)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        Ok(FindingWriter { insert, counts })
    }

    /// Stores one finding, with its rule's code and legal reference for readers of the table.
    pub fn finding(&mut self, f: &Finding) -> Result<(), StoreError> {
        self.insert.execute(params![
            f.id,
            f.rule.as_str(),
            f.rule.code(),
            f.severity.as_str(),
            f.subject_id,
            f.subject_key,
            f.purpose,
            f.recipient,
            f.at,
            serde_json::to_string(&f.occurrences)?,
            serde_json::to_string(&f.event_ids)?,
            serde_json::to_string(&f.systems)?,
            f.explanation,
            f.rule.legal_reference(),
        ])?;
        Ok(())
    }

    /// Stores one subject's counts: its events and its findings in all and by severity (high,
    /// medium, low). The subject list sorts on them.
    pub fn subject_counts(
        &mut self,
        subject_id: i64,
        events: i64,
        findings: i64,
        [high, medium, low]: [i64; 3],
    ) -> Result<(), StoreError> {
        self.counts.execute(params![subject_id, events, findings, high, medium, low])?;
        Ok(())
    }
}

/// Gives every subject known only by identifiers (e.g. from a crosswalk) a row of zero counts,
/// so that the subject list shows it too.
pub fn count_identified_subjects(conn: &Connection) -> Result<(), StoreError> {
    conn.execute("INSERT OR IGNORE INTO subject_counts (subject_id) SELECT DISTINCT subject_id FROM identifiers", [])?;
    Ok(())
}

/// Records an audit run's summary, stamped now.
pub fn record_run(conn: &Connection, summary: &AuditSummary) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO audit_runs (at, summary) VALUES (?1, ?2)",
        params![now_rfc3339(), serde_json::to_string(summary)?],
    )?;
    Ok(())
}

// --- Audit runs ----------------------------------------------------------------------------

/// The summary of the latest audit run; None before any, or when this version cannot read the
/// stored one (the caller then runs the audit again rather than report a summary it misreads).
pub fn last_run_summary(conn: &Connection) -> Result<Option<AuditSummary>, StoreError> {
    let summary: Option<String> =
        conn.query_row("SELECT summary FROM audit_runs ORDER BY id DESC LIMIT 1", [], |r| r.get(0)).optional()?;
    Ok(summary.and_then(|s| serde_json::from_str(&s).ok()))
}

/// When the stored findings were computed (the latest audit run); None before any.
pub fn last_run_at(conn: &Connection) -> Result<Option<String>, StoreError> {
    Ok(conn.query_row("SELECT max(at) FROM audit_runs", [], |r| r.get(0)).optional()?.flatten())
}

// --- Reading findings ----------------------------------------------------------------------

/// Findings stored by the latest audit run, optionally for one rule and/or one subject, in the
/// audit's order.
pub fn stored(conn: &Connection, rule: Option<RuleId>, subject_id: Option<i64>) -> Result<Vec<Finding>, StoreError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {FINDING_COLUMNS} FROM findings f WHERE (?1 IS NULL OR f.rule = ?1) AND (?2 IS NULL OR f.subject_id = ?2)
         ORDER BY {AUDIT_ORDER_SQL}"
    ))?;
    let rows = stmt.query_map(params![rule.map(|r| r.as_str()), subject_id], finding_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Calls `each` with every stored finding in the audit's order, one at a time, so that the
/// findings never sit in memory together.
pub fn for_each_stored<E: From<StoreError>>(
    conn: &Connection,
    each: impl FnMut(&Finding) -> Result<(), E>,
) -> Result<(), E> {
    for_each_in(conn, FindingsTable::Stored, each)
}

/// [`for_each_stored`] over the findings of `table`.
pub fn for_each_in<E: From<StoreError>>(
    conn: &Connection,
    table: FindingsTable,
    mut each: impl FnMut(&Finding) -> Result<(), E>,
) -> Result<(), E> {
    let sql = format!("SELECT {FINDING_COLUMNS} FROM {} f ORDER BY {AUDIT_ORDER_SQL}", table.name());
    let mut stmt = conn.prepare(&sql).map_err(StoreError::from)?;
    let mut rows = stmt.query([]).map_err(StoreError::from)?;
    while let Some(row) = rows.next().map_err(StoreError::from)? {
        each(&finding_from_row(row).map_err(StoreError::from)?)?;
    }
    Ok(())
}

/// A finding's rule, subject key, purpose, recipient and occurrences (the JSON text as
/// stored), copied into its decisions so that an orphaned decision stays readable.
#[derive(Debug, Clone)]
pub struct FindingKey {
    pub rule: String,
    pub subject_key: String,
    pub purpose: Option<String>,
    pub recipient: Option<String>,
    pub occurrences: String,
}

/// The key of the finding `finding_id` of the latest audit; None when there is no such finding.
pub fn key_of(conn: &Connection, finding_id: &str) -> Result<Option<FindingKey>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT rule, subject_key, purpose, recipient, occurrences FROM findings WHERE id = ?1",
            params![finding_id],
            |r| {
                Ok(FindingKey {
                    rule: r.get(0)?,
                    subject_key: r.get(1)?,
                    purpose: r.get(2)?,
                    recipient: r.get(3)?,
                    occurrences: r.get(4)?,
                })
            },
        )
        .optional()?)
}

/// The occurrences (ms) of the finding `finding_id` of the latest audit; None when there is no
/// such finding.
pub fn occurrences_of(conn: &Connection, finding_id: &str) -> Result<Option<Vec<i64>>, StoreError> {
    let occurrences: Option<String> = conn
        .query_row("SELECT occurrences FROM findings WHERE id = ?1", params![finding_id], |r| r.get(0))
        .optional()?;
    Ok(occurrences.map(|text| serde_json::from_str(&text)).transpose()?)
}

// --- Filtered reads (the Findings screen, its dashboard and its export) -------------------

/// Which findings to read, already checked by the caller (`rules::browse` says what a filter
/// means): every field narrows, `None` means any.
#[derive(Debug, Clone, Default)]
pub struct FindingQuery {
    /// `R1` … `R11`.
    pub rule: Option<String>,
    pub severity: Option<String>,
    pub purpose: Option<String>,
    /// A system one of the finding's events comes from.
    pub system: Option<String>,
    /// `YYYY-MM` of the finding's first instant (UTC); under a date range, of its first
    /// occurrence in the range.
    pub month: Option<String>,
    /// `open`, a decision status or `reopened` (see [`STATUS_SQL`]).
    pub status: Option<String>,
    pub subject_id: Option<i64>,
    /// An occurrence in this range (ms UTC, start inclusive, end exclusive).
    pub occurred: Option<OccurrenceRange>,
}

/// A range of time one of a finding's occurrences must fall in.
#[derive(Debug, Clone, Copy)]
pub struct OccurrenceRange {
    pub from_ms: i64,
    pub until_ms: i64,
    /// Leave out the findings with no time at all (kept by default).
    pub exclude_undated: bool,
}

/// Month of a finding's `at` (ms) as `YYYY-MM`, in SQL; undated findings have none.
const MONTH_SQL: &str = "strftime('%Y-%m', f.at / 1000, 'unixepoch')";
/// Under a date range (its bounds bound as ?1 and ?2, see [`FindingQuery::condition`]): the
/// month of the finding's first occurrence in the range, so that the chart has no bar outside
/// the period chosen and a bar's filter finds what the bar counts.
const MONTH_IN_RANGE_SQL: &str = "(SELECT strftime('%Y-%m', min(o.value) / 1000, 'unixepoch')
    FROM json_each(f.occurrences) o WHERE o.value >= ?1 AND o.value < ?2)";
/// A finding's status: `open`, the decision in force, or `reopened` when that decision is
/// `remediated` and an occurrence is later than every one it saw (as `rules::decisions` says).
const STATUS_SQL: &str = "CASE WHEN d.status = 'remediated' AND EXISTS (
        SELECT 1 FROM json_each(f.occurrences) o
        WHERE NOT EXISTS (SELECT 1 FROM json_each(d.occurrences_seen) s WHERE s.value >= o.value))
    THEN 'reopened' ELSE coalesce(d.status, 'open') END";
/// The order findings are listed in: most severe first, then by subject and rule.
const ORDER_SQL: &str = "CASE f.severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END,
    f.subject_key, CAST(substr(f.rule, 2) AS INTEGER), f.purpose, f.recipient";
/// Findings with the decision in force (the latest) on each.
const FROM_SQL: &str = "FROM findings f LEFT JOIN finding_decisions d
    ON d.id = (SELECT max(l.id) FROM finding_decisions l WHERE l.finding_id = f.id)";

impl FindingQuery {
    /// The month a finding is counted in (see [`MONTH_IN_RANGE_SQL`]).
    fn month_sql(&self) -> &'static str {
        if self.occurred.is_some() {
            MONTH_IN_RANGE_SQL
        } else {
            MONTH_SQL
        }
    }

    /// The SQL condition and its parameters. Values are always bound, never spliced in. A date
    /// range's bounds are always ?1 and ?2 (the month expression refers to them too).
    fn condition(&self) -> (String, Vec<Value>) {
        let mut clauses = vec!["1 = 1".to_string()];
        let mut values: Vec<Value> = Vec::new();
        if let Some(range) = self.occurred {
            values.push(Value::Integer(range.from_ms));
            values.push(Value::Integer(range.until_ms));
            let in_range = "EXISTS (SELECT 1 FROM json_each(f.occurrences) o WHERE o.value >= ?1 AND o.value < ?2)";
            clauses.push(if range.exclude_undated {
                in_range.to_string()
            } else {
                format!("({in_range} OR f.at IS NULL)")
            });
        }
        let month_sql = self.month_sql();
        // `$v` in a clause is where its value goes (as the next numbered parameter); the range's
        // `?1` and `?2` inside the month expression stay as they are.
        let mut add = |clause: &str, value: Value| {
            values.push(value);
            clauses.push(clause.replace("$v", &format!("?{}", values.len())));
        };
        if let Some(rule) = &self.rule {
            add("f.rule = $v", Value::Text(rule.clone()));
        }
        if let Some(severity) = &self.severity {
            add("f.severity = $v", Value::Text(severity.clone()));
        }
        if let Some(purpose) = &self.purpose {
            add("f.purpose = $v", Value::Text(purpose.clone()));
        }
        if let Some(system) = &self.system {
            add("EXISTS (SELECT 1 FROM json_each(f.systems) WHERE json_each.value = $v)", Value::Text(system.clone()));
        }
        if let Some(month) = &self.month {
            add(&format!("{month_sql} = $v"), Value::Text(month.clone()));
        }
        if let Some(status) = &self.status {
            add(&format!("{STATUS_SQL} = $v"), Value::Text(status.clone()));
        }
        if let Some(subject) = self.subject_id {
            add("f.subject_id = $v", Value::Integer(subject));
        }
        (clauses.join(" AND "), values)
    }
}

/// The ids of every finding matching `query`.
pub fn matching_ids(conn: &Connection, query: &FindingQuery) -> Result<HashSet<String>, StoreError> {
    let (condition, values) = query.condition();
    let mut stmt = conn.prepare(&format!("SELECT f.id {FROM_SQL} WHERE {condition}"))?;
    let ids = stmt.query_map(params_from_iter(&values), |r| r.get::<_, String>(0))?;
    Ok(ids.collect::<Result<_, _>>()?)
}

/// How many findings match `query`.
pub fn count(conn: &Connection, query: &FindingQuery) -> Result<i64, StoreError> {
    let (condition, values) = query.condition();
    Ok(conn
        .query_row(&format!("SELECT count(*) {FROM_SQL} WHERE {condition}"), params_from_iter(&values), |r| r.get(0))?)
}

/// The findings matching `query`, most severe first, then by subject and rule; `limit` rows
/// from `offset`.
pub fn page(conn: &Connection, query: &FindingQuery, limit: i64, offset: i64) -> Result<Vec<Finding>, StoreError> {
    let (condition, values) = query.condition();
    let mut with_page = values.clone();
    with_page.push(Value::Integer(limit));
    with_page.push(Value::Integer(offset));
    let n = values.len();
    let sql = format!(
        "SELECT {FINDING_COLUMNS} {FROM_SQL} WHERE {condition}
         ORDER BY {ORDER_SQL}
         LIMIT ?{} OFFSET ?{}",
        n + 1,
        n + 2
    );
    let mut stmt = conn.prepare(&sql)?;
    let findings = stmt.query_map(params_from_iter(&with_page), finding_from_row)?.collect::<Result<_, _>>()?;
    Ok(findings)
}

/// Calls `each` with every finding matching `query`, in [`page`]'s order, one at a time (an
/// export streams them: a million findings never sit in memory).
pub fn for_each_matching<E: From<StoreError>>(
    conn: &Connection,
    query: &FindingQuery,
    mut each: impl FnMut(&Finding) -> Result<(), E>,
) -> Result<(), E> {
    let (condition, values) = query.condition();
    let mut stmt = conn
        .prepare(&format!("SELECT {FINDING_COLUMNS} {FROM_SQL} WHERE {condition} ORDER BY {ORDER_SQL}"))
        .map_err(StoreError::from)?;
    let mut rows = stmt.query(params_from_iter(&values)).map_err(StoreError::from)?;
    while let Some(r) = rows.next().map_err(StoreError::from)? {
        each(&finding_from_row(r).map_err(StoreError::from)?)?;
    }
    Ok(())
}

/// One bar of a dashboard chart.
#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Count {
    pub key: String,
    pub count: i64,
}

/// An axis the dashboard counts findings along.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    /// By rule number.
    Rule,
    /// Most severe first.
    Severity,
    /// Most findings first, then by name.
    Purpose,
    /// A finding counts once for each system its events come from; most findings first.
    System,
    /// `YYYY-MM`, in order; undated findings are not counted.
    Month,
    /// `open`, a decision status or `reopened`, by name.
    Status,
}

/// Counts of the findings matching `query` along `axis`.
pub fn count_by(conn: &Connection, query: &FindingQuery, axis: Axis) -> Result<Vec<Count>, StoreError> {
    let (key_sql, extra_from, order) = match axis {
        Axis::Rule => ("f.rule", "", "CAST(substr(k, 2) AS INTEGER)"),
        Axis::Severity => ("f.severity", "", "CASE k WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END"),
        Axis::Purpose => ("f.purpose", "", "count(*) DESC, k"),
        Axis::System => ("s.value", ", json_each(f.systems) s", "count(*) DESC, k"),
        Axis::Month => (query.month_sql(), "", "k"),
        Axis::Status => (STATUS_SQL, "", "k"),
    };
    let (condition, values) = query.condition();
    let sql = format!(
        "SELECT {key_sql} AS k, count(*) {FROM_SQL} {extra_from} WHERE {condition} AND {key_sql} IS NOT NULL
             GROUP BY k ORDER BY {order}"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params_from_iter(&values), |r| Ok(Count { key: r.get(0)?, count: r.get(1)? }))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
