//! Browsing stored findings: the SPEC §9 FINDING view, filtered pages and the counts behind the
//! app's dashboard. Filtering, counting and paging happen in SQLite so that a 100,000-finding
//! audit never crosses into the UI at once.

use std::collections::HashMap;

use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use super::decisions::{decision_with, Decision, REOPENED, STATUSES};
use super::{Finding, RuleId};
use crate::reconcile::state::rfc3339;
use crate::store::findings::{self, Axis, FindingQuery, OccurrenceRange};
use crate::store::identity::{identifiers_of, StoredIdentifier};
use crate::store::StoreError;

/// One bar of a dashboard chart (counted by the store).
pub use crate::store::findings::Count;

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
    /// `YYYY-MM` of the finding's first instant (UTC); under a date range, of its first
    /// occurrence in the range.
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

impl FindingFilter {
    /// What the filter asks the store for: blanks dropped, the rule and the status checked, the
    /// date range as instants.
    pub(crate) fn query(&self) -> Result<FindingQuery, StoreError> {
        let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        let rule = given(&self.rule)
            .map(|rule| {
                RuleId::parse(&rule)
                    .map(|r| r.as_str().to_string())
                    .ok_or_else(|| StoreError::Invalid(format!("unknown rule '{rule}'")))
            })
            .transpose()?;
        let status = given(&self.status);
        if let Some(status) = &status {
            if status != "open" && status != REOPENED && !STATUSES.contains(&status.as_str()) {
                return Err(StoreError::Invalid(format!(
                    "unknown decision status '{status}' (expected open, {}, {REOPENED})",
                    STATUSES.join(", ")
                )));
            }
        }
        let from = given(&self.from).map(|d| day_start_ms(&d, "from")).transpose()?;
        let to = given(&self.to).map(|d| day_start_ms(&d, "to")).transpose()?;
        if let (Some(from), Some(to)) = (from, to) {
            if from > to {
                return Err(StoreError::Invalid("the date range starts after it ends ('from' is after 'to')".into()));
            }
        }
        let occurred = (from.is_some() || to.is_some()).then(|| OccurrenceRange {
            from_ms: from.unwrap_or(i64::MIN),
            // `to` is inclusive: everything before the start of the next day.
            until_ms: to.map_or(i64::MAX, |t| t.saturating_add(DAY_MS)),
            exclude_undated: self.exclude_undated,
        });
        Ok(FindingQuery {
            rule,
            severity: given(&self.severity),
            purpose: given(&self.purpose),
            system: given(&self.system),
            month: given(&self.month),
            status,
            subject_id: self.subject_id,
            occurred,
        })
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
    findings::matching_ids(conn, &filter.query()?)
}

/// The findings matching `filter`, most severe first, then by subject and rule; `limit` rows
/// (at most 1000) from `offset`.
pub fn page(conn: &Connection, filter: &FindingFilter, limit: i64, offset: i64) -> Result<FindingPage, StoreError> {
    let query = filter.query()?;
    let total = findings::count(conn, &query)?;
    let rows = findings::page(conn, &query, limit.clamp(0, 1000), offset.max(0))?;
    Ok(FindingPage { total, rows: views(conn, &rows)? })
}

/// Counts of the findings matching `filter` by rule, severity, purpose, system, month and
/// decision status.
pub fn breakdown(conn: &Connection, filter: &FindingFilter) -> Result<FindingBreakdown, StoreError> {
    let query = filter.query()?;
    Ok(FindingBreakdown {
        total: findings::count(conn, &query)?,
        by_rule: findings::count_by(conn, &query, Axis::Rule)?,
        by_severity: findings::count_by(conn, &query, Axis::Severity)?,
        by_purpose: findings::count_by(conn, &query, Axis::Purpose)?,
        by_system: findings::count_by(conn, &query, Axis::System)?,
        by_month: findings::count_by(conn, &query, Axis::Month)?,
        by_status: findings::count_by(conn, &query, Axis::Status)?,
        audited_at: findings::last_run_at(conn)?,
    })
}
