//! Browsing stored findings: the SPEC §9 FINDING view, filtered pages and the counts behind the
//! app's dashboard. Filtering, counting and paging happen in SQLite so that a 100,000-finding
//! audit never crosses into the UI at once.

use std::collections::HashMap;

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::audit::{finding_from_row, FINDING_COLUMNS};
use super::decisions::{decision_with, Decision, REOPENED, STATUSES};
use super::{Finding, RuleId};
use crate::reconcile::state::rfc3339;
use crate::store::identity::{identifiers_of, StoredIdentifier};
use crate::store::StoreError;

/// A subject as findings show it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SubjectRef {
    pub id: i64,
    pub identifiers: Vec<IdentifierView>,
}

/// An identifier as `{kind, value}`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IdentifierView {
    pub kind: String,
    pub value: String,
}

impl From<&StoredIdentifier> for IdentifierView {
    fn from(i: &StoredIdentifier) -> Self {
        IdentifierView { kind: i.kind.clone(), value: i.value.clone() }
    }
}

/// The subject `id` with its identifiers.
pub fn subject_ref(conn: &Connection, id: i64) -> Result<SubjectRef, StoreError> {
    Ok(SubjectRef { id, identifiers: identifiers_of(conn, id)?.iter().map(IdentifierView::from).collect() })
}

/// A finding as the CLI's `--json` and the app show it (SPEC §9 FINDING).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FindingView {
    pub id: String,
    pub rule: &'static str,
    pub code: &'static str,
    #[cfg_attr(feature = "ts", ts(as = "super::Severity"))]
    pub severity: &'static str,
    pub subject: SubjectRef,
    pub purpose: Option<String>,
    pub recipient: Option<String>,
    pub at: Option<String>,
    pub occurrences: Vec<String>,
    pub event_ids: Vec<i64>,
    pub systems: Vec<String>,
    pub explanation: String,
    pub legal_reference: &'static str,
    pub decision: Option<Decision>,
}

/// Views of `findings`, looking each subject up once.
pub fn views(conn: &Connection, findings: &[Finding]) -> Result<Vec<FindingView>, StoreError> {
    let mut subjects: HashMap<i64, SubjectRef> = HashMap::new();
    let mut out = Vec::with_capacity(findings.len());
    for f in findings {
        let subject = match subjects.get(&f.subject_id) {
            Some(s) => s.clone(),
            None => {
                let s = subject_ref(conn, f.subject_id)?;
                subjects.insert(f.subject_id, s.clone());
                s
            }
        };
        out.push(FindingView {
            id: f.id.clone(),
            rule: f.rule.as_str(),
            code: f.rule.code(),
            severity: f.severity.as_str(),
            subject,
            purpose: f.purpose.clone(),
            recipient: f.recipient.clone(),
            at: f.at.map(rfc3339),
            occurrences: f.occurrences.iter().map(|t| rfc3339(*t)).collect(),
            event_ids: f.event_ids.clone(),
            systems: f.systems.clone(),
            explanation: f.explanation.clone(),
            legal_reference: f.rule.legal_reference(),
            decision: decision_with(conn, &f.id, &f.occurrences)?,
        });
    }
    Ok(out)
}

/// Which findings to show. Every field narrows; `None` (or an empty string) means any.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields = nullable))]
pub struct FindingFilter {
    /// `R1` … `R11`.
    pub rule: Option<String>,
    /// `high`, `medium` or `low`.
    #[cfg_attr(feature = "ts", ts(as = "Option<super::Severity>"))]
    pub severity: Option<String>,
    pub purpose: Option<String>,
    /// A system one of the finding's events comes from.
    pub system: Option<String>,
    /// `YYYY-MM` of the finding's first instant (UTC).
    pub month: Option<String>,
    /// `open` (no decision yet), a decision status, or `reopened` (remediated, then occurred
    /// again after the occurrences the decision saw).
    #[cfg_attr(
        feature = "ts",
        ts(type = "\"open\" | \"accepted\" | \"false-positive\" | \"remediated\" | \"reopened\" | null", optional)
    )]
    pub status: Option<String>,
    pub subject_id: Option<i64>,
    /// First day (`YYYY-MM-DD`, inclusive, from 00:00 UTC) of the date range. A finding is
    /// in the range when one of its occurrences (the offending events' times) falls in it.
    pub from: Option<String>,
    /// Last day (`YYYY-MM-DD`, inclusive, up to 24:00 UTC) of the date range.
    pub to: Option<String>,
    /// With a date range, leave out the findings with no time at all ("as of the export", e.g.
    /// a grant recorded without a date). They are kept by default so that a range never hides
    /// them silently: an auditor cannot tell whether they belong to the period.
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
    pub exclude_undated: bool,
}

/// A page of findings and how many match in all.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FindingPage {
    pub total: i64,
    pub rows: Vec<FindingView>,
}

/// One bar of a dashboard chart.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Count {
    pub key: String,
    pub count: i64,
}

/// Counts of the filtered findings along each dashboard axis.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FindingBreakdown {
    pub total: i64,
    pub by_rule: Vec<Count>,
    pub by_severity: Vec<Count>,
    pub by_purpose: Vec<Count>,
    pub by_system: Vec<Count>,
    pub by_month: Vec<Count>,
    pub by_status: Vec<Count>,
    /// When the stored findings were computed (the latest audit run); None before any.
    pub audited_at: Option<String>,
}

/// Month of a finding's `at` (ms) as `YYYY-MM`, in SQL; undated findings have none.
const MONTH_SQL: &str = "strftime('%Y-%m', f.at / 1000, 'unixepoch')";
/// A finding's status: `open`, the decision in force, or `reopened` when that decision is
/// `remediated` and an occurrence is later than every one it saw (as `decisions::decision_with`).
const STATUS_SQL: &str = "CASE WHEN d.status = 'remediated' AND EXISTS (
        SELECT 1 FROM json_each(f.occurrences) o
        WHERE NOT EXISTS (SELECT 1 FROM json_each(d.occurrences_seen) s WHERE s.value >= o.value))
    THEN 'reopened' ELSE coalesce(d.status, 'open') END";
/// The order findings are listed in: most severe first, then by subject and rule.
pub(crate) const ORDER_SQL: &str = "CASE f.severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END,
    f.subject_key, CAST(substr(f.rule, 2) AS INTEGER), f.purpose, f.recipient";
/// Findings with the decision in force (the latest) on each.
pub(crate) const FROM_SQL: &str = "FROM findings f LEFT JOIN finding_decisions d
    ON d.id = (SELECT max(l.id) FROM finding_decisions l WHERE l.finding_id = f.id)";

impl FindingFilter {
    /// The SQL condition and its parameters. Values are always bound, never spliced in.
    pub(crate) fn condition(&self) -> Result<(String, Vec<Value>), StoreError> {
        let mut clauses = vec!["1 = 1".to_string()];
        let mut values: Vec<Value> = Vec::new();
        let mut add = |clause: &str, value: Value| {
            values.push(value);
            clauses.push(clause.replace('?', &format!("?{}", values.len())));
        };
        let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        if let Some(rule) = given(&self.rule) {
            let rule = RuleId::parse(&rule).ok_or_else(|| StoreError::Invalid(format!("unknown rule '{rule}'")))?;
            add("f.rule = ?", Value::Text(rule.as_str().into()));
        }
        if let Some(severity) = given(&self.severity) {
            add("f.severity = ?", Value::Text(severity));
        }
        if let Some(purpose) = given(&self.purpose) {
            add("f.purpose = ?", Value::Text(purpose));
        }
        if let Some(system) = given(&self.system) {
            add("EXISTS (SELECT 1 FROM json_each(f.systems) WHERE json_each.value = ?)", Value::Text(system));
        }
        if let Some(month) = given(&self.month) {
            add(&format!("{MONTH_SQL} = ?"), Value::Text(month));
        }
        if let Some(status) = given(&self.status) {
            if status != "open" && status != REOPENED && !STATUSES.contains(&status.as_str()) {
                return Err(StoreError::Invalid(format!(
                    "unknown decision status '{status}' (expected open, {}, {REOPENED})",
                    STATUSES.join(", ")
                )));
            }
            add(&format!("{STATUS_SQL} = ?"), Value::Text(status));
        }
        if let Some(subject) = self.subject_id {
            add("f.subject_id = ?", Value::Integer(subject));
        }
        let from = given(&self.from).map(|d| day_start_ms(&d, "from")).transpose()?;
        let to = given(&self.to).map(|d| day_start_ms(&d, "to")).transpose()?;
        if let (Some(from), Some(to)) = (from, to) {
            if from > to {
                return Err(StoreError::Invalid("the date range starts after it ends ('from' is after 'to')".into()));
            }
        }
        if from.is_some() || to.is_some() {
            values.push(Value::Integer(from.unwrap_or(i64::MIN)));
            let lo = values.len();
            // `to` is inclusive: everything before the start of the next day.
            values.push(Value::Integer(to.map_or(i64::MAX, |t| t.saturating_add(DAY_MS))));
            let hi = values.len();
            let in_range =
                format!("EXISTS (SELECT 1 FROM json_each(f.occurrences) o WHERE o.value >= ?{lo} AND o.value < ?{hi})");
            clauses.push(if self.exclude_undated { in_range } else { format!("({in_range} OR f.at IS NULL)") });
        }
        Ok((clauses.join(" AND "), values))
    }
}

/// Milliseconds in a UTC day.
const DAY_MS: i64 = 86_400_000;

/// The start (ms UTC) of the day `date` (`YYYY-MM-DD`); `which` names the bound in the error.
fn day_start_ms(date: &str, which: &str) -> Result<i64, StoreError> {
    let day = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map_err(|_| StoreError::Invalid(format!("'{which}' date '{date}' is not a date (YYYY-MM-DD)")))?;
    Ok(day.and_time(chrono::NaiveTime::MIN).and_utc().timestamp_millis())
}

/// The ids of every finding matching `filter`, for callers (the CLI's list) that hold findings
/// read another way and must narrow them exactly as the app's list does.
pub fn matching_ids(
    conn: &Connection,
    filter: &FindingFilter,
) -> Result<std::collections::HashSet<String>, StoreError> {
    let (condition, values) = filter.condition()?;
    let mut stmt = conn.prepare(&format!("SELECT f.id {FROM_SQL} WHERE {condition}"))?;
    let ids = stmt.query_map(params_from_iter(&values), |r| r.get::<_, String>(0))?;
    Ok(ids.collect::<Result<_, _>>()?)
}

/// The findings matching `filter`, most severe first, then by subject and rule; `limit` rows
/// from `offset`.
pub fn page(conn: &Connection, filter: &FindingFilter, limit: i64, offset: i64) -> Result<FindingPage, StoreError> {
    let (condition, values) = filter.condition()?;
    let total: i64 =
        conn.query_row(&format!("SELECT count(*) {FROM_SQL} WHERE {condition}"), params_from_iter(&values), |r| {
            r.get(0)
        })?;
    let mut with_page = values.clone();
    with_page.push(Value::Integer(limit.clamp(0, 1000)));
    with_page.push(Value::Integer(offset.max(0)));
    let n = values.len();
    let sql = format!(
        "SELECT {FINDING_COLUMNS} {FROM_SQL} WHERE {condition}
         ORDER BY {ORDER_SQL}
         LIMIT ?{} OFFSET ?{}",
        n + 1,
        n + 2
    );
    let mut stmt = conn.prepare(&sql)?;
    let findings: Vec<Finding> =
        stmt.query_map(params_from_iter(&with_page), finding_from_row)?.collect::<Result<_, _>>()?;
    Ok(FindingPage { total, rows: views(conn, &findings)? })
}

/// Counts of the findings matching `filter` by rule, severity, purpose, system, month and
/// decision status.
pub fn breakdown(conn: &Connection, filter: &FindingFilter) -> Result<FindingBreakdown, StoreError> {
    let (condition, values) = filter.condition()?;
    let count_by = |key_sql: &str, extra_from: &str, order: &str| -> Result<Vec<Count>, StoreError> {
        let sql = format!(
            "SELECT {key_sql} AS k, count(*) {FROM_SQL} {extra_from} WHERE {condition} AND {key_sql} IS NOT NULL
             GROUP BY k ORDER BY {order}"
        );
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map(params_from_iter(&values), |r| Ok(Count { key: r.get(0)?, count: r.get(1)? }))?;
        Ok(rows.collect::<Result<_, _>>()?)
    };
    let total: i64 =
        conn.query_row(&format!("SELECT count(*) {FROM_SQL} WHERE {condition}"), params_from_iter(&values), |r| {
            r.get(0)
        })?;
    let audited_at: Option<String> =
        conn.query_row("SELECT max(at) FROM audit_runs", [], |r| r.get(0)).optional()?.flatten();
    Ok(FindingBreakdown {
        total,
        by_rule: count_by("f.rule", "", "CAST(substr(k, 2) AS INTEGER)")?,
        by_severity: count_by("f.severity", "", "CASE k WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END")?,
        by_purpose: count_by("f.purpose", "", "count(*) DESC, k")?,
        by_system: count_by("s.value", ", json_each(f.systems) s", "count(*) DESC, k")?,
        by_month: count_by(MONTH_SQL, "", "k")?,
        by_status: count_by(STATUS_SQL, "", "k")?,
        audited_at,
    })
}
