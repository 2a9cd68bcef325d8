//! One function per subcommand: arguments in, one engine call, output out.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;

use anyhow::{anyhow, bail, Context};
use consenttrail_engine::import::{self, mapping::ColumnMapping, ImportOptions};
use consenttrail_engine::ops;
use consenttrail_engine::pack::{self, PackOptions};
use consenttrail_engine::profile::{Profile, ProfileFile};
use consenttrail_engine::reconcile::{state, subjects, timeline};
use consenttrail_engine::rules::{self, audit, decisions};
use consenttrail_engine::store::{self, audit_log, identity, profile_doc, sources, Store};
use serde_json::json;

use crate::{out, output};
use crate::{Cli, Command, PackKind, ProfileAction};

/// `consent-trail systems`: every importer, with the export file it reads.
fn systems(cli: &Cli) -> anyhow::Result<()> {
    let list: Vec<_> = import::registry()
        .into_iter()
        .map(|i| json!({"id": i.id(), "name": i.name(), "file": import::which_file::which_file(i.id())}))
        .collect();
    if cli.json {
        output::json(&list)?;
    } else {
        for s in &list {
            out!(
                "{:<15} {:<30} {}",
                s["id"].as_str().unwrap_or(""),
                s["name"].as_str().unwrap_or(""),
                s["file"].as_str().unwrap_or("")
            );
        }
    }
    Ok(())
}

/// `consent-trail sample --db demo.sqlite`: the fictional demo set, only ever into a database
/// named on the command line that holds no imports yet, so it cannot mix with real records.
fn sample(cli: &Cli, exports: Option<&std::path::Path>) -> anyhow::Result<()> {
    let Some(db) = &cli.db else {
        bail!("sample needs --db FILE: the demo data goes into a separate database, never your own");
    };
    let mut store = Store::open(db)?;
    if !sources::list(store.conn())?.is_empty() {
        bail!("{} already holds imported files; the sample data goes only into a new, empty database", db.display());
    }
    let dir = match exports {
        Some(dir) => dir.to_path_buf(),
        None => db.parent().unwrap_or(std::path::Path::new(".")).join("sample-exports"),
    };
    let cancel = AtomicBool::new(false);
    let imported = ops::import_sample(&mut store, &dir, &mut |_| {}, &mut |_, _| {}, &cancel)?;
    let audit = imported.audit.as_ref().map(|a| json!({"findings": a.findings, "by_rule": a.by_rule}));
    if cli.json {
        output::json(&json!({"database": db, "exports": dir, "files": imported.report.files, "audit": audit}))?;
    } else {
        out!(
            "Sample data (fictional: Alder & Finch Outdoor Ltd) written to {} and imported into {}:",
            dir.display(),
            db.display()
        );
        for f in &imported.report.files {
            print_file_report(f);
        }
        if let Some(summary) = &imported.audit {
            out!(
                "Audit: {} finding(s) over {} subject(s). Try: consent-trail --db {} findings",
                summary.findings,
                summary.subjects,
                db.display()
            );
        }
    }
    Ok(())
}

fn open(cli: &Cli) -> anyhow::Result<Store> {
    let path = match &cli.db {
        Some(p) => p.clone(),
        None => store::settings::app_database_path().map_err(|e| anyhow!(e))?,
    };
    Ok(Store::open(&path)?)
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Verify { file, without_db: true } = &cli.command {
        return verify_report(&cli, file, pack::verify_file(file)?);
    }
    if let Command::Systems = &cli.command {
        return systems(&cli);
    }
    if let Command::Sample { exports } = &cli.command {
        return sample(&cli, exports.as_deref());
    }
    let mut store = open(&cli)?;
    match &cli.command {
        Command::Import { profile, assume_tz, system, date_format, mapping, rejections, paths } => {
            if let Some(file) = profile {
                import_profile(&mut store, file)?;
            }
            let mut options =
                ImportOptions { system: system.clone(), rejections_file: rejections.clone(), ..Default::default() };
            let mut zones = BTreeMap::new();
            for pair in assume_tz {
                let (system, zone) = pair.split_once('=').ok_or_else(|| {
                    anyhow!("--assume-tz takes SYSTEM=ZONE, e.g. hubspot=Europe/London (got '{pair}')")
                })?;
                zone.parse::<chrono_tz::Tz>()
                    .map_err(|_| anyhow!("--assume-tz {pair}: '{zone}' is not an IANA time zone"))?;
                zones.insert(system.trim().to_string(), zone.trim().to_string());
            }
            options.assume_tz = zones;
            if let Some(order) = date_format {
                options.date_order = Some(order.parse().map_err(|e: String| anyhow!("--date-format: {e}"))?);
            }
            if let Some(file) = mapping {
                let text = std::fs::read_to_string(file).with_context(|| format!("{}", file.display()))?;
                options.mapping =
                    Some(ColumnMapping::from_json(&text).map_err(|e| anyhow!("{}: {e}", file.display()))?);
            }
            let cancel = AtomicBool::new(false);
            // As in the app: the audit re-runs after an import that brought data, so `findings`
            // and `decide` never work on findings older than the data.
            let imported = ops::import_then_audit(&mut store, paths, &options, &mut |_| {}, &mut |_, _| {}, &cancel)?;
            let report = imported.report;
            if cli.json {
                let audit = imported.audit.as_ref().map(|a| json!({"findings": a.findings, "by_rule": a.by_rule}));
                output::json(&json!({ "files": report.files, "audit": audit }))?;
            } else {
                for f in &report.files {
                    print_file_report(f);
                }
                if let Some(summary) = &imported.audit {
                    out!("Audit re-run: {} finding(s) over {} subject(s).", summary.findings, summary.subjects);
                }
            }
            if report.any_failed() {
                let failed: Vec<String> = report
                    .files
                    .iter()
                    .filter(|f| f.status == "failed")
                    .map(|f| f.error.clone().unwrap_or_else(|| f.path.clone()))
                    .collect();
                bail!("{} file(s) failed: {}", failed.len(), failed.join("; "));
            }
        }
        // Handled above, before the default database is opened.
        Command::Sample { .. } | Command::Systems => {}
        Command::Sources => {
            let list = sources::list(store.conn())?;
            if cli.json {
                output::json(&list)?;
            } else if list.is_empty() {
                out!("No sources imported yet.");
            } else {
                for s in list {
                    out!(
                        "{:>4}  {:<14} {:>8} rows  {:>5} rejected  {}  {}  sha256:{}",
                        s.id,
                        s.system,
                        s.rows_imported,
                        s.rows_rejected,
                        s.imported_at,
                        s.path,
                        &s.sha256[..16]
                    );
                }
            }
        }
        Command::RemoveSource { id } => {
            let info = sources::get(store.conn(), *id)?.ok_or_else(|| anyhow!("no source with id {id}"))?;
            // The removal and its audit-log entry are one transaction; the audit re-runs after it.
            let removed = ops::remove_source(&mut store, *id)?;
            if cli.json {
                output::json(&json!({"removed": id, "events_removed": removed.events_removed,
                        "audit": {"findings": removed.audit.findings, "by_rule": removed.audit.by_rule}}))?;
            } else {
                out!(
                    "Removed source {id} ({}) and {} event(s) it brought. Audit re-run: {} finding(s).",
                    info.path,
                    removed.events_removed,
                    removed.audit.findings
                );
            }
        }
        Command::Subjects { search, limit, offset } => {
            let (list, total) = subjects_up_to(&store, search.as_deref(), *limit, *offset)?;
            let shown_to = *offset + list.len() as i64;
            if total > shown_to {
                // On stderr, so that stdout stays the one JSON document of SPEC §9.
                eprintln!(
                    "consent-trail: listed subjects {}–{} of {total}; the list was cut at --limit {limit}: use \
                     --offset {shown_to} for the next ones, or a larger --limit",
                    offset + 1,
                    shown_to
                );
            }
            if cli.json {
                let rows: Vec<_> = list
                    .iter()
                    .map(|s| {
                        json!({
                            "id": s.id,
                            "identifiers": s.identifiers.iter().map(|i| json!({"kind": i.kind, "value": i.value})).collect::<Vec<_>>(),
                            "events": s.events,
                            "findings": s.findings,
                            "findings_by_severity": {"high": s.findings_high, "medium": s.findings_medium, "low": s.findings_low},
                            "systems": s.systems,
                        })
                    })
                    .collect();
                output::json(&rows)?;
            } else {
                for s in list {
                    let ids: Vec<String> = s.identifiers.iter().map(|i| i.display()).collect();
                    out!(
                        "{:>6}  {:>5} events  {:>3} findings  {}  [{}]",
                        s.id,
                        s.events,
                        s.findings,
                        ids.join(", "),
                        s.systems.join(", ")
                    );
                }
            }
        }
        Command::Timeline { identifier } => {
            let subject = identity::subject_of(store.conn(), identifier)?
                .ok_or_else(|| anyhow!("no subject has the identifier '{identifier}'"))?;
            let ids = identity::identifiers_of(store.conn(), subject)?;
            let events = timeline::subject_events(store.conn(), subject)?;
            if cli.json {
                let events: Vec<_> = events.iter().map(event_json).collect();
                output::json(&json!({
                    "subject": {"id": subject, "identifiers": ids.iter().map(|i| json!({"kind": i.kind, "value": i.value})).collect::<Vec<_>>()},
                    "names": subjects::attributes_of(store.conn(), subject)?,
                    "links": identity::links_of(store.conn(), subject)?,
                    "events": events,
                }))?;
            } else {
                let shown: Vec<String> = ids.iter().map(|i| i.display()).collect();
                out!("Subject {subject}: {}", shown.join(", "));
                for e in events {
                    out!(
                        "{:<24} {:<18} {:<16} {:<18} {:<12} {}",
                        e.occurred_at().unwrap_or_else(|| "(no time)".into()),
                        e.kind.as_str(),
                        e.purpose.clone().or(e.purpose_label.clone()).unwrap_or_else(|| "-".into()),
                        e.method.clone().unwrap_or_else(|| "-".into()),
                        e.system,
                        e.source.as_ref().map(|s| format!("{} {}", s.path, s.locator)).unwrap_or_default(),
                    );
                }
            }
        }
        Command::State { identifier, at } => {
            let subject = find_subject(&store, identifier)?;
            let t = match at {
                Some(text) => chrono::DateTime::parse_from_rfc3339(text)
                    .map_err(|e| anyhow!("--at '{text}' is not an RFC 3339 instant: {e}"))?
                    .timestamp_millis(),
                None => chrono::Utc::now().timestamp_millis(),
            };
            let profile = profile_doc::load(store.conn())?;
            let events = timeline::subject_events(store.conn(), subject)?;
            let purposes = state::subject_state(&profile, &events, t);
            if cli.json {
                output::json(&json!({
                    "subject": subject_json(&store, subject)?,
                    "at": state::rfc3339(t),
                    "purposes": purposes,
                }))?;
            } else {
                out!("Consent state of subject {subject} at {}:", state::rfc3339(t));
                for p in purposes {
                    out!(
                        "  {:<22} {:<10} since {:<22} systems [{}]  recipients [{}]",
                        p.purpose,
                        p.state.as_str(),
                        p.since.clone().unwrap_or_else(|| "-".into()),
                        p.systems.join(", "),
                        p.recipients.join(", ")
                    );
                    // Recipient exceptions, partial grants and undated states (SPEC §2) in words.
                    if !p.exceptions.is_empty() || !p.as_of_export.is_empty() || p.partial.is_some() {
                        out!("  {:<22} {}", "", p.summary);
                    }
                }
            }
        }
        Command::Audit => {
            let report = audit::run(&mut store)?;
            let findings = findings_json(&store, &report.findings)?;
            if cli.json {
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
                print_findings(&store, &report.findings)?;
                if !report.summary.not_evaluated.is_empty() {
                    out!("Not evaluated:");
                    for n in &report.summary.not_evaluated {
                        out!("  - {}", n.reason);
                    }
                }
            }
        }
        Command::Findings {
            rule,
            subject,
            export: Some(file),
            severity,
            purpose,
            system,
            month,
            status,
            from,
            to,
            exclude_undated,
        } => {
            let filter = rules::browse::FindingFilter {
                rule: rule.clone(),
                severity: severity.clone(),
                purpose: purpose.clone(),
                system: system.clone(),
                month: month.clone(),
                status: status.clone(),
                subject_id: match subject {
                    Some(s) => Some(find_subject(&store, s)?),
                    None => None,
                },
                from: from.clone(),
                to: to.clone(),
                exclude_undated: *exclude_undated,
            };
            let n = rules::export::export_findings(store.conn(), &filter, file)?;
            if cli.json {
                output::json(&json!({ "exported": n, "file": file }))?;
            } else {
                out!("Exported {n} finding{} to {}.", if n == 1 { "" } else { "s" }, file.display());
            }
        }
        Command::Findings { rule, subject, from, to, exclude_undated, .. } => {
            let rule = match rule {
                Some(r) => Some(
                    rules::RuleId::parse(r).ok_or_else(|| anyhow!("unknown rule '{r}' (R1 … R11 or a rule code)"))?,
                ),
                None => None,
            };
            let subject = match subject {
                Some(s) => Some(find_subject(&store, s)?),
                None => None,
            };
            let mut list = audit::stored_findings(store.conn(), rule, subject)?;
            if from.is_some() || to.is_some() {
                // The same date filter the app's list and the export apply, read by the engine.
                let range = rules::browse::FindingFilter {
                    from: from.clone(),
                    to: to.clone(),
                    exclude_undated: *exclude_undated,
                    ..Default::default()
                };
                let keep = rules::browse::matching_ids(store.conn(), &range)?;
                list.retain(|f| keep.contains(&f.id));
            }
            if cli.json {
                output::json(&findings_json(&store, &list)?)?;
            } else {
                print_findings(&store, &list)?;
            }
        }
        Command::Decide { finding_ids, status, note, by } => {
            let decided = ops::decide_many(&store, finding_ids, status, note, by.as_deref())?;
            // `decide_many` decides a repeated id once: pair each decision with its first mention.
            let mut unique: Vec<&String> = Vec::with_capacity(decided.len());
            for id in finding_ids {
                if !unique.contains(&id) {
                    unique.push(id);
                }
            }
            let as_json = |id: &String, d: &decisions::Decision| {
                json!({
                    "finding": id, "status": d.status, "note": d.note, "by": d.by, "at": d.at,
                    "occurrences_seen": d.occurrences_seen, "history": d.history,
                })
            };
            let pairs: Vec<_> = unique.into_iter().zip(&decided).collect();
            if cli.json {
                // One finding: the object SPEC §9 gives; several: an array of them.
                match pairs.as_slice() {
                    [(id, d)] => output::json(&as_json(id, d))?,
                    _ => output::json(&pairs.iter().map(|(id, d)| as_json(id, d)).collect::<Vec<_>>())?,
                }
            } else {
                for (id, d) in &pairs {
                    out!("Finding {id} marked {}.", d.status);
                }
            }
        }
        Command::Log { verify } => {
            let log = audit_log::view(store.conn())?;
            if cli.json {
                output::json(&log)?;
            } else {
                print_log(&log);
            }
            if let (true, Some(b)) = (*verify, &log.chain.broken) {
                bail!("the audit log's hash chain is broken at entry {}: {}", b.entry_id, b.reason);
            }
        }
        Command::Pack { kind } => {
            let written = match kind {
                PackKind::Subject { identifier, output, case, generated_at, force, sign_with } => {
                    let options = PackOptions {
                        case_reference: case.clone(),
                        generated_at: parse_instant(generated_at.as_deref())?,
                        overwrite: *force,
                    };
                    let signer = signer(sign_with.as_deref())?;
                    pack::write_subject_pack_signed(&store, identifier, output, &options, signer.as_ref())?
                }
                PackKind::Organisation { output, generated_at, force, sign_with } => {
                    let options = PackOptions {
                        case_reference: None,
                        generated_at: parse_instant(generated_at.as_deref())?,
                        overwrite: *force,
                    };
                    let signer = signer(sign_with.as_deref())?;
                    pack::write_organisation_pack_signed(&mut store, output, &options, signer.as_ref(), &mut |_| {})?
                }
            };
            if cli.json {
                output::json(&written)?;
            } else {
                out!(
                    "Wrote {} ({} pages, pack {}).\n  SHA-256 of the file:     {}\n  SHA-256 of the manifest: {}\n  Signed by:               {}\n  Certificate SHA-256:     {}",
                    written.path,
                    written.pages,
                    written.pack_id,
                    written.sha256,
                    written.manifest_sha256,
                    written.signed_by.subject,
                    written.signed_by.sha256
                );
            }
        }
        Command::Verify { file, .. } => {
            let report = pack::verify(&store, file)?;
            verify_report(&cli, file, report)?;
        }
        Command::Profile { action } => match action {
            ProfileAction::Import { file } => {
                // Read, saved, events re-derived, then the audit re-run (as the app's Import…).
                let (p, _) = ops::import_profile(&mut store, file, None, json!({"path": file}))?;
                if cli.json {
                    output::json(
                        &json!({"imported": file, "organisation": p.organisation.name, "purposes": p.purposes.len()}),
                    )?;
                } else {
                    out!("Profile of {} imported ({} purposes).", p.organisation.name, p.purposes.len());
                }
            }
            ProfileAction::Export => {
                out!("{}", ops::export_profile(&store)?);
            }
        },
    }
    Ok(())
}

fn parse_instant(text: Option<&str>) -> anyhow::Result<Option<chrono::DateTime<chrono::Utc>>> {
    text.map(|t| {
        chrono::DateTime::parse_from_rfc3339(t)
            .map(|d| d.with_timezone(&chrono::Utc))
            .map_err(|e| anyhow!("--generated-at '{t}' is not an RFC 3339 instant: {e}"))
    })
    .transpose()
}

fn find_subject(store: &Store, identifier: &str) -> anyhow::Result<i64> {
    identity::subject_of(store.conn(), identifier)?
        .ok_or_else(|| anyhow!("no subject has the identifier '{identifier}'"))
}

fn subject_json(store: &Store, subject: i64) -> anyhow::Result<serde_json::Value> {
    let ids = identity::identifiers_of(store.conn(), subject)?;
    Ok(
        json!({"id": subject, "identifiers": ids.iter().map(|i| json!({"kind": i.kind, "value": i.value})).collect::<Vec<_>>()}),
    )
}

/// FINDING objects of SPEC §9.
fn findings_json(store: &Store, list: &[rules::Finding]) -> anyhow::Result<Vec<rules::browse::FindingView>> {
    Ok(rules::browse::views(store.conn(), list)?)
}

/// One line per entry (time, action, detail), then the chain check.
fn print_log(log: &audit_log::AuditLogView) {
    if log.entries.is_empty() {
        out!("The audit log is empty.");
    }
    for e in &log.entries {
        out!("{:>5}  {}  {:<15} {}", e.id, e.at, e.action, e.detail);
    }
    match (&log.chain.broken, &log.chain.head) {
        (Some(b), _) => out!("Chain BROKEN at entry {}: {}", b.entry_id, b.reason),
        (None, head) => out!(
            "Chain intact: {} entr{}, head sha256:{}",
            log.chain.entries,
            if log.chain.entries == 1 { "y" } else { "ies" },
            head.as_deref().unwrap_or_default()
        ),
    }
}

/// One finding per entry, with the decision in force (`reopened` when a remediated finding
/// occurred again).
fn print_findings(store: &Store, list: &[rules::Finding]) -> anyhow::Result<()> {
    for f in list {
        let decision = decisions::decision_with(store.conn(), &f.id, &f.occurrences)?
            .map(|d| format!(" [{}]", d.status))
            .unwrap_or_default();
        out!(
            "{} {:<4} {:<6} {} {}{}{}\n      {}",
            f.id,
            f.rule.as_str(),
            f.severity.as_str(),
            f.subject_key,
            f.purpose.as_deref().unwrap_or("-"),
            f.recipient.as_deref().map(|r| format!(" → {r}")).unwrap_or_default(),
            decision,
            f.explanation
        );
    }
    Ok(())
}

fn read_profile(file: &std::path::Path) -> anyhow::Result<Profile> {
    Ok(ProfileFile::read(file)?.profile)
}

/// Saves a profile before an import (the import's own audit follows).
fn import_profile(store: &mut Store, file: &std::path::Path) -> anyhow::Result<Profile> {
    let profile = read_profile(file)?;
    import::derive::apply_profile(store, &profile, json!({"path": file}))?;
    Ok(profile)
}

fn event_json(e: &timeline::TimelineEvent) -> serde_json::Value {
    json!({
        "id": e.id,
        "occurred_at": e.occurred_at(),
        "occurred_at_original": e.occurred_at_text,
        "zone_basis": e.zone_basis,
        "kind": e.kind.as_str(),
        "purpose": e.purpose,
        "purpose_label": e.purpose_label,
        "recipients": e.recipients.iter().map(|r| r.name().to_string()).collect::<Vec<_>>(),
        "system": e.system,
        "identifier": e.identifier,
        "method": e.method,
        "channel": e.channel,
        "capture_source": e.capture_source,
        "collected_by": e.collected_by,
        "notice_version": e.notice_version,
        "evidence": e.evidence(),
        "corroborated_by": e.corroborated_by,
        "source": e.source.as_ref().map(|s| json!({"id": s.id, "path": s.path, "sha256": s.sha256, "line": s.line, "locator": s.locator})),
    })
}

/// Up to `limit` subjects from `offset` (the engine serves pages of at most 1,000), and how
/// many match in all.
fn subjects_up_to(
    store: &Store,
    search: Option<&str>,
    limit: i64,
    offset: i64,
) -> anyhow::Result<(Vec<subjects::SubjectSummary>, i64)> {
    let mut rows = Vec::new();
    let mut total = 0;
    let limit = limit.max(0);
    loop {
        let want = (limit - rows.len() as i64).min(1000);
        if want <= 0 {
            break;
        }
        let query = subjects::SubjectQuery {
            search: search.unwrap_or_default().to_string(),
            limit: want,
            offset: offset.max(0) + rows.len() as i64,
            ..Default::default()
        };
        let page = subjects::page(store.conn(), &query)?;
        total = page.total;
        let got = page.rows.len() as i64;
        rows.extend(page.rows);
        if got < want {
            break;
        }
    }
    if limit == 0 {
        let query = subjects::SubjectQuery { search: search.unwrap_or_default().to_string(), ..Default::default() };
        total = subjects::page(store.conn(), &query)?.total;
    }
    Ok((rows, total))
}

fn print_file_report(f: &import::FileReport) {
    let system = f.system.clone().unwrap_or_else(|| "?".into());
    match f.status.as_str() {
        "imported" => out!(
            "imported          {} ({system}): {} rows, {} events, {} rejected, {} warning(s){}",
            f.path,
            f.rows_imported,
            f.events,
            f.rows_rejected,
            f.warnings.len() as u64 + f.warnings_omitted,
            if f.duplicate_events > 0 {
                format!(", {} already known from other files", f.duplicate_events)
            } else {
                String::new()
            }
        ),
        "already-imported" => out!("already-imported  {} ({system}): nothing changed", f.path),
        _ => out!("failed            {}: {}", f.path, f.error.clone().unwrap_or_default()),
    }
    for r in &f.rejections {
        out!(
            "  rejected  {} {}: {}",
            r.locator,
            r.field.as_deref().map(|x| format!("[{x}]")).unwrap_or_default(),
            r.message
        );
    }
    if f.rejections_omitted > 0 {
        out!(
            "  … and {} more rejected row(s) not listed here; write every one with --rejections FILE",
            f.rejections_omitted
        );
    }
    for w in &f.warnings {
        out!(
            "  warning   {} {}: {}",
            w.locator,
            w.field.as_deref().map(|x| format!("[{x}]")).unwrap_or_default(),
            w.message
        );
    }
    if f.warnings_omitted > 0 {
        out!("  … and {} more warning(s) not listed here", f.warnings_omitted);
    }
}

/// The organisation's key from `--sign-with`, its password from the environment or the terminal
/// (never stored); `None` signs with the database's own key.
fn signer(file: Option<&std::path::Path>) -> anyhow::Result<Option<pack::Signer>> {
    let Some(file) = file else { return Ok(None) };
    let data = std::fs::read(file).with_context(|| format!("{}", file.display()))?;
    let password = match std::env::var(SIGN_PASSWORD_ENV) {
        Ok(p) => p,
        Err(_) if std::io::IsTerminal::is_terminal(&std::io::stdin()) => {
            rpassword::prompt_password(format!("Password for {}: ", file.display()))
                .with_context(|| "reading the password")?
        }
        Err(_) => bail!(
            "{}: set {SIGN_PASSWORD_ENV} to its password, or run on a terminal to be asked for it",
            file.display()
        ),
    };
    let signer = pack::Signer::from_pkcs12(&data, &password).map_err(|e| anyhow!("{}: {e}", file.display()))?;
    Ok(Some(signer))
}

/// Where `pack --sign-with` reads the PKCS#12 password from when it is set.
const SIGN_PASSWORD_ENV: &str = "CONSENTTRAIL_SIGN_PASSWORD";

/// Prints a verify report (JSON, or the differences and what was and was not checked) and
/// fails when the pack does not verify.
fn verify_report(cli: &Cli, file: &std::path::Path, report: pack::VerifyReport) -> anyhow::Result<()> {
    if cli.json {
        output::json(&report)?;
    } else {
        if let Some(signer) = report.signature.as_ref().and_then(|s| s.signer.as_ref()) {
            out!("{}: signed by {} (certificate SHA-256 {})", file.display(), signer.subject, signer.sha256);
        }
        if report.ok && report.not_checked.is_empty() {
            out!("{}: OK — the signature is valid and the pack matches the current database.", file.display());
        } else if report.ok {
            out!("{}: OK as far as the file alone can tell.", file.display());
        } else {
            out!("{}: {} difference(s):", file.display(), report.differences.len());
            for d in &report.differences {
                out!("  [{} / {}] {}", d.against, d.item, d.detail);
            }
        }
        if !report.not_checked.is_empty() {
            out!("Not checked:");
            for n in &report.not_checked {
                out!("  - {n}");
            }
        }
    }
    if !report.ok {
        bail!("{}: the pack does not verify ({} difference(s))", file.display(), report.differences.len());
    }
    Ok(())
}
