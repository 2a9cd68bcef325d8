//! `consent-trail audit` and `findings`: run the rules, list or export their findings.

use std::path::Path;

use anyhow::anyhow;
use consenttrail_engine::rules::{self, audit};
use consenttrail_engine::store::Store;
use serde_json::json;

use super::find_subject;
use crate::{out, output, FindingsArgs};

/// Runs every rule and reports the findings.
pub fn audit(store: &mut Store, json: bool) -> anyhow::Result<()> {
    let report = audit::run(store)?;
    let findings = findings_json(store, &report.findings)?;
    if json {
        output::json(&json!({"summary": report.summary, "findings": findings}))?;
    } else {
        out!(
            "{} finding(s) over {} subject(s) and {} event(s): {} high, {} medium, {} low.",
            report.summary.findings,
            report.summary.subjects,
            report.summary.events,
            report.summary.by_severity.get("high").unwrap_or(&0),
            report.summary.by_severity.get("medium").unwrap_or(&0),
            report.summary.by_severity.get("low").unwrap_or(&0)
        );
        for (rule, n) in report.summary.by_rule.iter().filter(|(_, n)| **n > 0) {
            out!("  {rule:<4} {n}");
        }
        output::print_findings(store, &report.findings)?;
        if !report.summary.not_evaluated.is_empty() {
            out!("Not evaluated:");
            for n in &report.summary.not_evaluated {
                out!("  - {}", n.reason);
            }
        }
    }
    Ok(())
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
