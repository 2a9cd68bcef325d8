//! The audit run: every rule over every subject, findings replaced in one transaction,
//! decisions kept, a summary that says which rules could not be evaluated and why.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::subject;
use super::{AuditSummary, Coverage, Finding, NotEvaluated, RuleId, Severity};
use crate::model::EventKind;
use crate::profile::Profile;
use crate::reconcile::timeline;
use crate::store::events::by_subject::SubjectBuckets;
use crate::store::{self, findings, Store, StoreError};

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

/// The audit of the data as it is now, without touching the audit of record: its findings go
/// to `temp.recomputed_findings` (the caller holds a [`store::scratch::RecomputedFindings`]) as
/// they are computed, not to memory, and only the summary is returned. `verify` re-renders an
/// organisation pack from it.
pub fn recompute(
    conn: &rusqlite::Connection,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<AuditSummary, StoreError> {
    let profile = store::profile_doc::load(conn)?;
    // One transaction for the temporary table's rows (the database itself is only read).
    let tx = conn.unchecked_transaction()?;
    let mut tally = FindingTally::default();
    let (coverage, subjects, events) = {
        let mut writer = findings::FindingWriter::into_table(&tx, findings::FindingsTable::Recomputed)?;
        // One reader thread: verify holds the pack's document meanwhile (about 85 MB at 10M
        // events), and each reader adds its page cache and the buckets it reads ahead.
        evaluate_all(&tx, &profile, progress, reader_threads().min(1), &mut |subject| {
            for f in &subject.findings {
                tally.add(f);
                writer.finding(f)?;
            }
            Ok(())
        })?
    };
    tx.commit()?;
    Ok(summarise(&profile, &tally, &coverage, subjects, events))
}

/// [`run`], reporting `(subjects read, subjects in all)` as it goes, for a progress bar. The
/// findings are stored as they come ([`run_stored`]) and read back, sorted, for the report.
pub fn run_with_progress(store: &mut Store, progress: &mut dyn FnMut(usize, usize)) -> Result<AuditReport, StoreError> {
    let summary = run_stored(store, progress)?;
    let findings = stored_findings(store.conn(), None, None)?;
    Ok(AuditReport { summary, findings })
}

/// Runs every rule over the whole database and stores the findings and each subject's counts
/// (events, findings by severity: the subject list sorts on them) in one transaction,
/// replacing the previous run's. Findings go to the store in subject batches as the rules raise
/// them, so memory does not grow with the number of findings; only the summary is returned.
pub fn run_stored(store: &mut Store, progress: &mut dyn FnMut(usize, usize)) -> Result<AuditSummary, StoreError> {
    let profile = store::profile_doc::load(store.conn())?;
    let tx = store.conn_mut().transaction()?;
    findings::clear(&tx)?;
    let indexes = findings::defer_indexes(&tx)?;
    let mut tally = FindingTally::default();
    let (coverage, subjects, events) = {
        let mut writer = findings::FindingWriter::new(&tx)?;
        evaluate_all(&tx, &profile, progress, reader_threads(), &mut |subject| {
            let mut by_severity = [0i64; 3];
            for f in &subject.findings {
                tally.add(f);
                by_severity[match f.severity {
                    Severity::High => 0,
                    Severity::Medium => 1,
                    Severity::Low => 2,
                }] += 1;
                writer.finding(f)?;
            }
            writer.subject_counts(subject.subject_id, subject.events as i64, subject.findings.len() as i64, by_severity)
        })?
    };
    // Subjects known only by identifiers (e.g. from a crosswalk) are listed too, with nothing.
    findings::count_identified_subjects(&tx)?;
    indexes.restore(&tx)?;
    let summary = summarise(&profile, &tally, &coverage, subjects, events);
    findings::record_run(&tx, &summary)?;
    store::audit_log::record(
        &tx,
        "audit",
        // The engine version: an organisation pack made by another version audits again.
        &serde_json::json!({"findings": summary.findings, "by_rule": summary.by_rule, "engine": crate::VERSION}),
    )?;
    tx.commit()?;
    // The readers' page caches, closed with them, went back to the C allocator only.
    store::memory::give_back_freed();
    Ok(summary)
}

/// Computes findings without storing them.
pub fn compute(
    conn: &rusqlite::Connection,
    profile: &Profile,
) -> Result<(Vec<Finding>, Coverage, usize, usize), StoreError> {
    compute_with_progress(conn, profile, &mut |_, _| {})
}

/// [`compute`], reporting `(subjects read, subjects in all)` after every batch. The findings
/// are sorted by subject key, rule, purpose and recipient (the order the store reads them in).
pub fn compute_with_progress(
    conn: &rusqlite::Connection,
    profile: &Profile,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<(Vec<Finding>, Coverage, usize, usize), StoreError> {
    let mut findings = Vec::new();
    let (coverage, subjects, total_events) = evaluate_all(conn, profile, progress, reader_threads(), &mut |subject| {
        findings.extend(subject.findings);
        Ok(())
    })?;
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

/// One subject as evaluated, handed back to the reading thread: its findings and how many
/// events it has (the events themselves stay with, and are freed by, the reader).
struct Evaluated {
    subject_id: i64,
    events: usize,
    findings: Vec<Finding>,
}

/// A bucket of subjects as evaluated, and what their events add to the audit's coverage.
struct Batch {
    subjects: Vec<Evaluated>,
    observed: Observed,
}

/// A bucket's share of the [`Coverage`], observed by the reader that read its events. Unmapped
/// labels are kept in the order they were met, so that the summary names the same first labels
/// per system whatever the number of readers.
#[derive(Default)]
struct Observed {
    coverage: Coverage,
    unmapped_labels: Vec<(String, String)>,
}

impl Observed {
    /// Folds a bucket's share into the audit's coverage (buckets in subject order).
    fn add_to(self, c: &mut Coverage) {
        let o = self.coverage;
        for (p, n) in o.uses_by_purpose {
            *c.uses_by_purpose.entry(p).or_default() += n;
        }
        for (p, n) in o.disclosures_by_purpose {
            *c.disclosures_by_purpose.entry(p).or_default() += n;
        }
        for (p, systems) in o.consent_systems_by_purpose {
            c.consent_systems_by_purpose.entry(p).or_default().extend(systems);
        }
        c.grants += o.grants;
        c.subjects_with_birth_date += o.subjects_with_birth_date;
        c.tc_strings += o.tc_strings;
        c.unmapped_events += o.unmapped_events;
        for (system, (n, _)) in o.unmapped_by_system {
            c.unmapped_by_system.entry(system).or_default().0 += n;
        }
        for (system, label) in self.unmapped_labels {
            let labels = &mut c.unmapped_by_system.entry(system).or_default().1;
            if labels.len() < UNMAPPED_LABELS_NAMED {
                labels.insert(label);
            }
        }
    }
}

/// How many unmapped labels the summary names per system.
const UNMAPPED_LABELS_NAMED: usize = 50;

/// How many buckets may be read ahead of the one delivered next: bounds memory whatever the
/// threads' speeds.
const WINDOW: usize = 4;

/// What every reader shares: the rules and the profile, and the events dealt by subject.
struct Shared<'a> {
    evaluator: subject::Evaluator<'a>,
    buckets: SubjectBuckets,
}

impl Shared<'_> {
    /// Reads and evaluates the subjects of bucket `i`: their keys and dates of birth are read
    /// per bucket too, so memory does not grow with the database.
    fn bucket(&self, conn: &rusqlite::Connection, i: usize) -> Result<Batch, StoreError> {
        let (first, last) = self.buckets.ranges()[i];
        let keys = subject::subject_keys_between(conn, first, last)?;
        let mut births = subject::birth_dates_between(conn, first, last)?;
        let mut batch = Batch { subjects: Vec::new(), observed: Observed::default() };
        let mut labels_met = HashSet::new();
        self.buckets.for_each_subject(conn, i, &mut |subject_id, mut events| {
            timeline::finish(&mut events);
            let key = keys.get(&subject_id).cloned().unwrap_or_else(|| subject::subject_key(subject_id, []));
            let birth_dates = births.remove(&subject_id).unwrap_or_default();
            if !birth_dates.is_empty() {
                batch.observed.coverage.subjects_with_birth_date += 1;
            }
            let findings = self.evaluator.evaluate(subject_id, &key, &events, birth_dates);
            observe(&mut batch.observed, &mut labels_met, &events);
            batch.subjects.push(Evaluated { subject_id, events: events.len(), findings });
            Ok::<(), StoreError>(())
        })?;
        Ok(batch)
    }
}

/// How many reader threads the audit runs: one per core (at most 4), or
/// `CONSENTTRAIL_AUDIT_READERS` (0: read on the calling thread alone, e.g. on a machine shared
/// with other work, or to compare in the benchmark).
fn reader_threads() -> usize {
    std::env::var("CONSENTTRAIL_AUDIT_READERS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .min(4)
}

/// Evaluates every subject and hands each one to `each`, in subject id order, on this thread;
/// returns the coverage, the number of subjects and the number of events.
///
/// The events are first dealt into buckets of subject ranges in one pass over the table
/// ([`SubjectBuckets`]: a log in time order scatters each person's events, and reading them
/// through the index costs a page per event). Then `readers` reader threads (the audit runs one
/// per core), each on its own read-only connection (WAL: they see the database as this
/// connection's transaction found it), read and evaluate buckets; this thread puts them back
/// in order and hands them on (the store path writes them). Readers stay within [`WINDOW`]
/// buckets of the next one due, so memory does not grow with the database. A database without
/// a file is read on this thread alone.
fn evaluate_all(
    conn: &rusqlite::Connection,
    profile: &Profile,
    progress: &mut dyn FnMut(usize, usize),
    readers: usize,
    each: &mut dyn FnMut(Evaluated) -> Result<(), StoreError>,
) -> Result<(Coverage, usize, usize), StoreError> {
    let readers: Vec<rusqlite::Connection> = (0..readers).map_while(|_| crate::store::read_connection(conn)).collect();
    let ids: Vec<i64> = crate::store::identity::subject_ids(conn)?;
    let subjects_in_all = ids.len();
    let buckets = SubjectBuckets::deal(conn, &ids, readers.len())?;
    drop(ids);
    let bucket_count = buckets.ranges().len();
    let shared = Shared { evaluator: subject::Evaluator::new(profile), buckets };
    let mut coverage = Coverage::default();
    let (mut subjects, mut total_events) = (0usize, 0usize);
    let mut deliver = |batch: Batch| -> Result<(), StoreError> {
        batch.observed.add_to(&mut coverage);
        for subject in batch.subjects {
            subjects += 1;
            total_events += subject.events;
            each(subject)?;
        }
        progress(subjects, subjects_in_all.max(subjects));
        Ok(())
    };
    if readers.is_empty() {
        for i in 0..bucket_count {
            deliver(shared.bucket(conn, i)?)?;
        }
    } else {
        let next_bucket = AtomicUsize::new(0);
        let delivered = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        let (done_send, done_receive) = std::sync::mpsc::channel::<Result<(usize, Batch), StoreError>>();
        let result = std::thread::scope(|scope| {
            let handles: Vec<_> = readers
                .into_iter()
                .map(|reader| {
                    let done_send = done_send.clone();
                    let (shared, next_bucket, delivered, stop) = (&shared, &next_bucket, &delivered, &stop);
                    scope.spawn(move || loop {
                        let i = next_bucket.fetch_add(1, Ordering::SeqCst);
                        if i >= bucket_count {
                            return;
                        }
                        while i >= delivered.load(Ordering::SeqCst) + WINDOW && !stop.load(Ordering::SeqCst) {
                            std::thread::sleep(std::time::Duration::from_millis(1));
                        }
                        if stop.load(Ordering::SeqCst) {
                            return;
                        }
                        let result = shared.bucket(&reader, i).map(|batch| (i, batch));
                        let failed = result.is_err();
                        if done_send.send(result).is_err() || failed {
                            return;
                        }
                    })
                })
                .collect();
            drop(done_send);
            let mut pending: BTreeMap<usize, Batch> = BTreeMap::new();
            let mut result = Ok(());
            while delivered.load(Ordering::SeqCst) < bucket_count {
                // Every reader gone before the last bucket: one panicked (its join reports it).
                let Ok(message) = done_receive.recv() else { break };
                match message {
                    Ok((i, batch)) => {
                        pending.insert(i, batch);
                    }
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                }
                let mut next = delivered.load(Ordering::SeqCst);
                while let Some(batch) = pending.remove(&next) {
                    if let Err(e) = deliver(batch) {
                        result = Err(e);
                        break;
                    }
                    next += 1;
                    delivered.store(next, Ordering::SeqCst);
                }
                if result.is_err() {
                    break;
                }
            }
            stop.store(true, Ordering::SeqCst);
            for handle in handles {
                if let Err(panic) = handle.join() {
                    std::panic::resume_unwind(panic);
                }
            }
            result
        });
        result?;
    }
    Ok((coverage, subjects, total_events))
}

/// Adds a subject's events to a bucket's coverage; `labels_met` holds the bucket's unmapped
/// (system, label) pairs already listed.
fn observe(o: &mut Observed, labels_met: &mut HashSet<(String, String)>, events: &[timeline::TimelineEvent]) {
    let c = &mut o.coverage;
    for e in events {
        match (&e.purpose, e.kind) {
            (None, _) if e.purpose_label.is_some() && e.folded_into.is_none() => {
                c.unmapped_events += 1;
                c.unmapped_by_system.entry(e.system.clone()).or_default().0 += 1;
                if let Some(label) = &e.purpose_label {
                    let pair = (e.system.clone(), label.clone());
                    if labels_met.insert(pair.clone()) {
                        o.unmapped_labels.push(pair);
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

/// The findings counted for the summary as they go by, so that they need not be kept.
struct FindingTally {
    findings: usize,
    by_rule: BTreeMap<String, usize>,
    by_severity: BTreeMap<String, usize>,
    by_purpose: BTreeMap<String, usize>,
    by_system: BTreeMap<String, usize>,
}

impl Default for FindingTally {
    /// Every rule and severity present, at zero.
    fn default() -> Self {
        FindingTally {
            findings: 0,
            by_rule: RuleId::ALL.iter().map(|r| (r.as_str().to_string(), 0)).collect(),
            by_severity: [Severity::High, Severity::Medium, Severity::Low]
                .iter()
                .map(|s| (s.as_str().to_string(), 0))
                .collect(),
            by_purpose: BTreeMap::new(),
            by_system: BTreeMap::new(),
        }
    }
}

impl FindingTally {
    fn add(&mut self, f: &Finding) {
        /// Counts one under `key`, allocating the key only the first time it is met.
        fn bump(counts: &mut BTreeMap<String, usize>, key: &str) {
            match counts.get_mut(key) {
                Some(n) => *n += 1,
                None => {
                    counts.insert(key.to_string(), 1);
                }
            }
        }
        self.findings += 1;
        bump(&mut self.by_rule, f.rule.as_str());
        bump(&mut self.by_severity, f.severity.as_str());
        bump(&mut self.by_purpose, f.purpose.as_deref().unwrap_or("(unmapped)"));
        for s in &f.systems {
            bump(&mut self.by_system, s);
        }
    }
}

fn summarise(profile: &Profile, tally: &FindingTally, c: &Coverage, subjects: usize, events: usize) -> AuditSummary {
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
        // Only the first labels met are kept: past that many, the rest is not counted.
        let more = match shown.len() {
            n if n >= UNMAPPED_LABELS_NAMED => format!(" and at least {} more", n - 12),
            n if n > 12 => format!(" and {} more", n - 12),
            _ => String::new(),
        };
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
        findings: tally.findings,
        by_rule: tally.by_rule.clone(),
        by_severity: tally.by_severity.clone(),
        by_purpose: tally.by_purpose.clone(),
        by_system: tally.by_system.clone(),
        subjects,
        events,
        rules_run: RuleId::ALL.iter().map(|r| format!("{} {}", r.as_str(), r.code())).collect(),
        not_evaluated,
    }
}

/// Findings stored by the latest audit run, optionally for one rule and/or one subject.
pub fn stored_findings(
    conn: &rusqlite::Connection,
    rule: Option<RuleId>,
    subject_id: Option<i64>,
) -> Result<Vec<Finding>, StoreError> {
    findings::stored(conn, rule, subject_id)
}
