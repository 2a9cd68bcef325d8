//! The audit run: every rule over every subject, findings replaced in one transaction,
//! decisions kept, a summary that says which rules could not be evaluated and why.

use std::collections::BTreeMap;

use rusqlite::params;

use super::subject;
use super::{AuditSummary, Coverage, Finding, NotEvaluated, RuleId, Severity};
use crate::model::EventKind;
use crate::profile::Profile;
use crate::reconcile::timeline;
use crate::store::{self, Store, StoreError};

/// The result of an audit run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditReport {
    pub summary: AuditSummary,
    pub findings: Vec<Finding>,
}

/// Runs every rule over the whole database and stores the findings (replacing the previous
/// run's). Deterministic: the same events and profile give the same findings.
pub fn run(store: &mut Store) -> Result<AuditReport, StoreError> {
    run_with_progress(store, &mut |_, _| {})
}

/// The audit's report without storing it (read-only: `verify` re-renders an organisation pack
/// from it).
pub fn report_with_progress(
    conn: &rusqlite::Connection,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<AuditReport, StoreError> {
    let profile = store::profile_doc::load(conn)?;
    let (findings, coverage, subjects, events) = compute_with_progress(conn, &profile, progress)?;
    let summary = summarise(&profile, &findings, &coverage, subjects, events);
    Ok(AuditReport { summary, findings })
}

/// [`run`], reporting `(subjects read, subjects in all)` as it goes, for a progress bar.
pub fn run_with_progress(store: &mut Store, progress: &mut dyn FnMut(usize, usize)) -> Result<AuditReport, StoreError> {
    let profile = store::profile_doc::load(store.conn())?;
    let (findings, coverage, subjects, events) = compute_with_progress(store.conn(), &profile, progress)?;
    let summary = summarise(&profile, &findings, &coverage, subjects, events);
    let tx = store.conn_mut().transaction()?;
    tx.execute("DELETE FROM findings", [])?;
    {
        let mut insert = tx.prepare(
            "INSERT INTO findings (id, rule, code, severity, subject_id, subject_key, purpose, recipient, at, occurrences,
                event_ids, systems, explanation, legal_reference)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        )?;
        for f in &findings {
            insert.execute(params![
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
        }
    }
    tx.execute(
        "INSERT INTO audit_runs (at, summary) VALUES (?1, ?2)",
        params![store::now_rfc3339(), serde_json::to_string(&summary)?],
    )?;
    store::audit_log::record(
        &tx,
        "audit",
        &serde_json::json!({"findings": findings.len(), "by_rule": summary.by_rule}),
    )?;
    tx.commit()?;
    Ok(AuditReport { summary, findings })
}

/// Computes findings without storing them.
pub fn compute(
    conn: &rusqlite::Connection,
    profile: &Profile,
) -> Result<(Vec<Finding>, Coverage, usize, usize), StoreError> {
    compute_with_progress(conn, profile, &mut |_, _| {})
}

/// [`compute`], reporting `(subjects read, subjects in all)` after every batch.
pub fn compute_with_progress(
    conn: &rusqlite::Connection,
    profile: &Profile,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<(Vec<Finding>, Coverage, usize, usize), StoreError> {
    let keys = subject::subject_keys(conn)?;
    let mut births = subject::all_birth_dates(conn)?;
    // Two stages on two threads: this one reads subjects from SQLite, a worker runs the rules.
    type Batch = Vec<(i64, Vec<timeline::TimelineEvent>)>;
    let (send, receive) = std::sync::mpsc::sync_channel::<Batch>(8);
    let (mut findings, coverage, subjects, total_events, read) = std::thread::scope(|scope| {
        let worker = scope.spawn(|| {
            let evaluator = subject::Evaluator::new(profile);
            let mut findings = Vec::new();
            let mut coverage = Coverage::default();
            let (mut subjects, mut total_events) = (0usize, 0usize);
            for batch in receive {
                for (subject_id, events) in batch {
                    subjects += 1;
                    total_events += events.len();
                    observe(&mut coverage, &events);
                    let key = keys.get(&subject_id).cloned().unwrap_or_else(|| subject::subject_key(subject_id, []));
                    let birth_dates = births.remove(&subject_id).unwrap_or_default();
                    if !birth_dates.is_empty() {
                        coverage.subjects_with_birth_date += 1;
                    }
                    findings.extend(evaluator.evaluate(subject_id, &key, &events, birth_dates));
                }
            }
            (findings, coverage, subjects, total_events)
        });
        let mut batch: Batch = Vec::with_capacity(256);
        let subjects_in_all = keys.len();
        let mut subjects_read = 0usize;
        let read = timeline::for_each_subject(conn, &mut |subject_id, events| {
            batch.push((subject_id, events));
            subjects_read += 1;
            if batch.len() == 256 {
                progress(subjects_read, subjects_in_all.max(subjects_read));
                // A closed channel means the worker panicked; its join below reports it.
                let _ = send.send(std::mem::replace(&mut batch, Vec::with_capacity(256)));
            }
            Ok(())
        });
        if !batch.is_empty() {
            let _ = send.send(batch);
        }
        progress(subjects_read, subjects_in_all.max(subjects_read));
        drop(send);
        let (findings, coverage, subjects, total_events) = match worker.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        (findings, coverage, subjects, total_events, read)
    });
    read?;
    findings.sort_by(|a, b| {
        (a.subject_key.as_str(), a.rule, &a.purpose, &a.recipient).cmp(&(
            b.subject_key.as_str(),
            b.rule,
            &b.purpose,
            &b.recipient,
        ))
    });
    Ok((findings, coverage, subjects, total_events))
}

fn observe(c: &mut Coverage, events: &[timeline::TimelineEvent]) {
    for e in events {
        match (&e.purpose, e.kind) {
            (None, _) if e.purpose_label.is_some() && e.folded_into.is_none() => {
                c.unmapped_events += 1;
                let entry = c.unmapped_by_system.entry(e.system.clone()).or_default();
                entry.0 += 1;
                if let Some(label) = &e.purpose_label {
                    if entry.1.len() < 50 {
                        entry.1.insert(label.clone());
                    }
                }
            }
            (Some(p), EventKind::Processing) => *c.uses_by_purpose.entry(p.clone()).or_default() += 1,
            (Some(p), EventKind::Disclosure) => {
                *c.uses_by_purpose.entry(p.clone()).or_default() += 1;
                *c.disclosures_by_purpose.entry(p.clone()).or_default() += 1;
            }
            (Some(p), k) if e.is_consent_state() || k == EventKind::ConsentConfirmed => {
                c.consent_systems_by_purpose.entry(p.clone()).or_default().insert(e.system.clone());
            }
            _ => {}
        }
        if e.kind == EventKind::ConsentGiven {
            c.grants += 1;
        }
        if e.evidence_json.as_deref().is_some_and(|t| t.contains("\"tc_string\"")) {
            c.tc_strings += 1;
        }
    }
}

fn summarise(profile: &Profile, findings: &[Finding], c: &Coverage, subjects: usize, events: usize) -> AuditSummary {
    let mut by_rule: BTreeMap<String, usize> = RuleId::ALL.iter().map(|r| (r.as_str().to_string(), 0)).collect();
    let mut by_severity: BTreeMap<String, usize> =
        [Severity::High, Severity::Medium, Severity::Low].iter().map(|s| (s.as_str().to_string(), 0)).collect();
    let mut by_purpose: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_system: BTreeMap<String, usize> = BTreeMap::new();
    for f in findings {
        *by_rule.entry(f.rule.as_str().to_string()).or_default() += 1;
        *by_severity.entry(f.severity.as_str().to_string()).or_default() += 1;
        *by_purpose.entry(f.purpose.clone().unwrap_or_else(|| "(unmapped)".into())).or_default() += 1;
        for s in &f.systems {
            *by_system.entry(s.clone()).or_default() += 1;
        }
    }
    let mut not_evaluated = Vec::new();
    let mut note = |rule: &str, purpose: Option<&str>, reason: String| {
        not_evaluated.push(NotEvaluated { rule: rule.into(), purpose: purpose.map(str::to_string), reason })
    };
    for p in profile.purposes.iter().filter(|p| p.lawful_basis == "consent") {
        let id = p.id.as_str();
        let uses = c.uses_by_purpose.get(id).copied().unwrap_or(0);
        if c.disclosures_by_purpose.get(id).copied().unwrap_or(0) == 0 && p.recipients.is_empty() {
            note(
                "R1",
                Some(id),
                format!("R1 not evaluated for purpose {id}: no disclosure data and no recipients in the profile"),
            );
        }
        if uses == 0 {
            for rule in ["R2", "R3", "R5", "R8"] {
                note(
                    rule,
                    Some(id),
                    format!("{rule} not evaluated for purpose {id}: no processing or disclosure data for it"),
                );
            }
        }
        if c.consent_systems_by_purpose.get(id).map_or(0, |s| s.len()) < 2 {
            note(
                "R7",
                Some(id),
                format!("R7 not evaluated for purpose {id}: fewer than two systems record consent for it"),
            );
        }
        let channel = p.channel.as_deref().unwrap_or("");
        if !profile.policy.double_opt_in_channels.iter().any(|ch| ch.eq_ignore_ascii_case(channel)) {
            note(
                "R9",
                Some(id),
                format!(
                    "R9 not applicable to purpose {id}: the policy requires no double opt-in for its channel ({})",
                    if channel.is_empty() { "none" } else { channel }
                ),
            );
        }
    }
    for p in profile.purposes.iter().filter(|p| p.lawful_basis != "consent") {
        note(
            "R1-R3,R5,R8",
            Some(&p.id),
            format!("uses of purpose {} are not tested against consent: its lawful basis is {}", p.id, p.lawful_basis),
        );
    }
    if c.grants == 0 {
        for rule in ["R4", "R6"] {
            note(rule, None, format!("{rule} not evaluated: no consent grants imported"));
        }
    }
    if c.subjects_with_birth_date == 0 {
        note("R10", None, "R10 not evaluated: no source records a date of birth".into());
    }
    if c.tc_strings == 0 {
        note("R11", None, "R11 not evaluated: no IAB TCF consent strings imported".into());
    }
    // SPEC §4.1: consents, uses and disclosures whose label maps to no profile purpose are not
    // judged; say so per system and label.
    for (system, (count, labels)) in &c.unmapped_by_system {
        let mut shown: Vec<&String> = labels.iter().collect();
        // Numeric labels (TCF purposes) in numeric order.
        shown.sort_by_key(|l| (l.parse::<u64>().unwrap_or(u64::MAX), l.as_str()));
        let more = if shown.len() > 12 { format!(" and {} more", shown.len() - 12) } else { String::new() };
        let list: Vec<&str> = shown.iter().take(12).map(|l| l.as_str()).collect();
        note(
            "R1-R11",
            None,
            format!(
                "R1–R11 not evaluated for {count} {system} event(s) with unmapped purposes {}{more}: map them in the profile",
                list.join(", ")
            ),
        );
    }
    AuditSummary {
        findings: findings.len(),
        by_rule,
        by_severity,
        by_purpose,
        by_system,
        subjects,
        events,
        rules_run: RuleId::ALL.iter().map(|r| format!("{} {}", r.as_str(), r.code())).collect(),
        not_evaluated,
    }
}

/// The columns [`finding_from_row`] reads, in order (qualified by the alias `f`).
pub(crate) const FINDING_COLUMNS: &str =
    "f.id, f.rule, f.severity, f.subject_id, f.subject_key, f.purpose, f.recipient,
    f.at, f.occurrences, f.event_ids, f.systems, f.explanation";

/// A stored finding from a row of [`FINDING_COLUMNS`]. JSON columns the engine wrote itself
/// are parsed back; a malformed one is a conversion error naming the column.
pub(crate) fn finding_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Finding> {
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

/// Findings stored by the latest audit run, optionally for one rule and/or one subject.
pub fn stored_findings(
    conn: &rusqlite::Connection,
    rule: Option<RuleId>,
    subject_id: Option<i64>,
) -> Result<Vec<Finding>, StoreError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {FINDING_COLUMNS} FROM findings f WHERE (?1 IS NULL OR f.rule = ?1) AND (?2 IS NULL OR f.subject_id = ?2)
         ORDER BY f.subject_key, CAST(substr(f.rule, 2) AS INTEGER), f.purpose, f.recipient"
    ))?;
    let rows = stmt.query_map(params![rule.map(|r| r.as_str()), subject_id], finding_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}
