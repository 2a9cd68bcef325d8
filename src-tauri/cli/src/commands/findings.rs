//! `consent-trail audit` and `findings`: run the rules, list or export their findings.

use std::path::Path;

use anyhow::anyhow;
use consenttrail_engine::rules::{self, audit, AuditSummary};
use consenttrail_engine::store::{findings, Store, StoreError};
use serde::ser::{SerializeSeq, Serializer};
use serde::Serialize;
use serde_json::json;

use super::find_subject;
use crate::{out, output, FindingsArgs};

/// Runs every rule and reports the findings, read back from the store one at a time as they
/// are printed: at 10M events an audit has over a million findings, which never sit in memory
/// together (the engine's run stores them as it goes).
pub fn audit(store: &mut Store, json: bool) -> anyhow::Result<()> {
    let summary = audit::run_stored(store, &mut |_, _| {})?;
    if json {
        output::json_streamed(&AuditDocument { summary: &summary, findings: StoredFindings(store) })?;
        return Ok(());
    }
    out!(
        "{} finding(s) over {} subject(s) and {} event(s): {} high, {} medium, {} low.",
        summary.findings,
        summary.subjects,
        summary.events,
        summary.by_severity.get("high").unwrap_or(&0),
        summary.by_severity.get("medium").unwrap_or(&0),
        summary.by_severity.get("low").unwrap_or(&0)
    );
    for (rule, n) in summary.by_rule.iter().filter(|(_, n)| **n > 0) {
        out!("  {rule:<4} {n}");
    }
    findings::for_each_stored(store.conn(), |f| -> anyhow::Result<()> {
        output::print_findings(store, std::slice::from_ref(f))
    })?;
    if !summary.not_evaluated.is_empty() {
        out!("Not evaluated:");
        for n in &summary.not_evaluated {
            out!("  - {}", n.reason);
        }
    }
    Ok(())
}

/// `audit --json` (SPEC §9): the summary, then every FINDING in the audit's order.
#[derive(Serialize)]
struct AuditDocument<'a> {
    summary: &'a AuditSummary,
    findings: StoredFindings<'a>,
}

/// The stored findings as a JSON array, each read and written in turn.
struct StoredFindings<'a>(&'a Store);

impl Serialize for StoredFindings<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        /// Why the walk over the findings stopped: the store, or the output.
        enum Stop<E> {
            Store(StoreError),
            Output(E),
        }
        impl<E> From<StoreError> for Stop<E> {
            fn from(e: StoreError) -> Self {
                Stop::Store(e)
            }
        }
        let conn = self.0.conn();
        let mut seq = serializer.serialize_seq(None)?;
        let walked = findings::for_each_stored(conn, |f| -> Result<(), Stop<S::Error>> {
            for view in rules::browse::views(conn, std::slice::from_ref(f))? {
                seq.serialize_element(&view).map_err(Stop::Output)?;
            }
            Ok(())
        });
        match walked {
            Ok(()) => seq.end(),
            Err(Stop::Output(e)) => Err(e),
            Err(Stop::Store(e)) => Err(serde::ser::Error::custom(format!("cannot read the findings: {e}"))),
        }
    }
}

/// `findings --export FILE`: the filtered findings written as CSV or XLSX.
pub fn export(store: &Store, json: bool, args: &FindingsArgs, file: &Path) -> anyhow::Result<()> {
    let filter = rules::browse::FindingFilter {
        rule: args.rule.clone(),
        severity: args.severity.clone(),
        purpose: args.purpose.clone(),
        system: args.system.clone(),
        month: args.month.clone(),
        status: args.status.clone(),
        subject_id: match &args.subject {
            Some(s) => Some(find_subject(store, s)?),
            None => None,
        },
        from: args.from.clone(),
        to: args.to.clone(),
        exclude_undated: args.exclude_undated,
    };
    let n = rules::export::export_findings(store.conn(), &filter, file)?;
    if json {
        output::json(&json!({ "exported": n, "file": file }))?;
    } else {
        out!("Exported {n} finding{} to {}.", if n == 1 { "" } else { "s" }, file.display());
    }
    Ok(())
}

/// The findings of the latest audit, by rule, subject and date range.
pub fn list(store: &Store, json: bool, args: &FindingsArgs) -> anyhow::Result<()> {
    let rule = match &args.rule {
        Some(r) => {
            Some(rules::RuleId::parse(r).ok_or_else(|| anyhow!("unknown rule '{r}' (R1 … R11 or a rule code)"))?)
        }
        None => None,
    };
    let subject = match &args.subject {
        Some(s) => Some(find_subject(store, s)?),
        None => None,
    };
    let mut list = audit::stored_findings(store.conn(), rule, subject)?;
    if args.from.is_some() || args.to.is_some() {
        // The same date filter the app's list and the export apply, read by the engine.
        let range = rules::browse::FindingFilter {
            from: args.from.clone(),
            to: args.to.clone(),
            exclude_undated: args.exclude_undated,
            ..Default::default()
        };
        let keep = rules::browse::matching_ids(store.conn(), &range)?;
        list.retain(|f| keep.contains(&f.id));
    }
    if json {
        output::json(&findings_json(store, &list)?)?;
    } else {
        output::print_findings(store, &list)?;
    }
    Ok(())
}

/// FINDING objects of SPEC §9.
fn findings_json(store: &Store, list: &[rules::Finding]) -> anyhow::Result<Vec<rules::browse::FindingView>> {
    Ok(rules::browse::views(store.conn(), list)?)
}
