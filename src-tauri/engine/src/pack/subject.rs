//! The per-subject pack (SPEC §5): cover, summary, findings, timeline, recipients,
//! provenance, integrity and the subject's own source rows as attachments.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use sha2::{Digest, Sha256};

use super::data::{self, file_name, SubjectData};
use super::fonts;
use super::layout::{colours, Canvas, Column};
use super::manifest::{Manifest, ManifestAttachment, ManifestSubject, FORMAT};
use super::pdfa::{self, Attachment, Body, DocMeta};
use super::sections::{attachments_section, integrity};
use super::sign::Sealing;
use super::{PackError, PackOptions, RenderedPack};
use crate::model::EventKind;
use crate::reconcile::state::{
    covered_recipients, covers, notice_for, recipient_key, rfc3339, state_bars, subject_state, ConsentState,
    PurposeHistory,
};
use crate::rules::decisions::decision_for;
use crate::rules::Severity;
use crate::store::profile_doc;

/// The pack's numbered sections, in the order they are drawn: headings and the cover's
/// reference to the integrity section take their numbers from here, never from a literal.
const SECTIONS: [&str; 7] = ["Summary", "Findings", "Timeline", "Recipients", "Provenance", "Integrity", "Attachments"];

/// The number of the section titled `title` (1-based).
fn number(title: &str) -> u32 {
    SECTIONS.iter().position(|s| *s == title).map_or(0, |i| i as u32 + 1)
}

/// "N. Title" for a section heading.
fn heading(title: &str) -> String {
    format!("{}. {title}", number(title))
}

/// Renders the pack of the subject `identifier` belongs to.
pub(crate) fn render(
    conn: &Connection,
    identifier: &str,
    options: &PackOptions,
    sealing: &Sealing<'_>,
) -> Result<RenderedPack, PackError> {
    let profile = profile_doc::load(conn)?;
    let generated = options.instant();
    let d = data::subject_data(conn, &profile, identifier)?;
    let attachments = extracts(&d);
    let manifest = build_manifest(&d, &profile, generated, options, &attachments)?;
    let manifest_bytes = serde_json::to_vec_pretty(&manifest)?;
    let manifest_sha256 = hex::encode(Sha256::digest(&manifest_bytes));

    let fonts = fonts::fonts()?;
    let mut c = Canvas::new(fonts);
    let org = profile.organisation.name.clone();
    cover(&mut c, &d, &org, &manifest, &manifest_sha256);
    summary(&mut c, &d, &profile, generated);
    findings(&mut c, conn, &d)?;
    timeline(&mut c, &d, &profile);
    recipients(&mut c, &d, &profile);
    provenance(&mut c, &d);
    integrity(&mut c, number("Integrity"), &manifest, &manifest_sha256, sealing.identity());
    attachments_section(&mut c, number("Attachments"), &manifest);

    let primary = manifest.subject.as_ref().map(|s| s.primary.clone()).unwrap_or_default();
    let (pages, bookmarks) =
        c.finish(&format!("{org} · Consent evidence pack · {primary} · pack {}", manifest.pack_id), &manifest_sha256);
    let page_count = pages.len();
    let title = format!("Consent evidence pack: {primary}");
    let subject_line = format!(
        "Consent evidence for one data subject of {org} (GDPR Art. 7(1)), generated {}",
        generated.format("%Y-%m-%dT%H:%M:%SZ")
    );
    let mut files = attachments;
    files.push(Attachment {
        name: "manifest.json".into(),
        mime: "application/json",
        description: "What this pack rests on; its SHA-256 is printed in every page footer".into(),
        relationship: "Supplement",
        data: Body::Memory(manifest_bytes),
    });
    let bytes = pdfa::assemble(
        fonts,
        pages,
        &bookmarks,
        &DocMeta {
            title: &title,
            subject: &subject_line,
            keywords: "GDPR, consent, evidence, Art. 7(1)",
            created: generated,
            manifest_sha256: &manifest_sha256,
        },
        &files,
        sealing,
    )?;
    Ok(RenderedPack { bytes, manifest_sha256, pages: page_count, pack_id: manifest.pack_id })
}

/// The subject's source rows, one extract per source file: CSV for CSV sources (a cell that a
/// spreadsheet would run as a formula is prefixed with `'`), JSON for JSON sources. Only rows
/// that events of this subject came from: never other people's rows.
fn extracts(d: &SubjectData) -> Vec<Attachment> {
    let mut out = Vec::new();
    for s in &d.sources {
        let rows: Vec<&data::RawRow> = d.rows.iter().filter(|r| r.source_id == s.id).collect();
        if rows.is_empty() {
            continue;
        }
        let stem = file_name(&s.path);
        let base = stem.rsplit_once('.').map(|(b, _)| b.to_string()).unwrap_or_else(|| stem.clone());
        let json = stem.ends_with(".json")
            || stem.ends_with(".jsonl")
            || rows.iter().all(|r| r.raw.trim_start().starts_with('{'));
        let (ext, mime, body) = if json {
            let items: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    let raw = serde_json::from_str::<serde_json::Value>(&r.raw)
                        .unwrap_or_else(|_| serde_json::Value::String(r.raw.clone()));
                    serde_json::json!({"line": r.line, "locator": r.locator, "raw": raw})
                })
                .collect();
            let doc = serde_json::json!({"source": s.path, "system": s.system, "sha256": s.sha256, "rows": items});
            ("json", "application/json", serde_json::to_vec_pretty(&doc).unwrap_or_default())
        } else {
            let mut text = String::from("source_file,source_sha256,line,locator,raw_row\r\n");
            for r in &rows {
                let cells = [
                    stem.clone(),
                    s.sha256.clone(),
                    r.line.map(|l| l.to_string()).unwrap_or_default(),
                    r.locator.clone(),
                    r.raw.clone(),
                ];
                let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
                text.push_str(&line.join(","));
                text.push_str("\r\n");
            }
            ("csv", "text/csv", text.into_bytes())
        };
        out.push(Attachment {
            name: format!("source-{:03}-{}-{}.{ext}", s.id, s.system, base.replace(['/', '\\', ' '], "_")),
            mime,
            description: format!("Rows of {} ({}) about this subject only", stem, s.system),
            relationship: "Source",
            data: Body::Memory(body),
        });
    }
    out
}

fn csv_cell(value: &str) -> String {
    let neutral =
        if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{value}") } else { value.to_string() };
    format!("\"{}\"", neutral.replace('"', "\"\""))
}

fn build_manifest(
    d: &SubjectData,
    profile: &crate::profile::Profile,
    generated: DateTime<Utc>,
    options: &PackOptions,
    attachments: &[Attachment],
) -> Result<Manifest, PackError> {
    let events = data::manifest_events(d);
    let findings: Vec<_> = d.findings.iter().map(data::manifest_finding).collect();
    let mut m = Manifest {
        format: FORMAT.into(),
        kind: "subject".into(),
        pack_id: String::new(),
        generated_at: generated.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        app_version: crate::VERSION.into(),
        case_reference: options.case_reference.clone(),
        subject: Some(ManifestSubject {
            primary: d.identifiers.first().map(|i| i.display()).unwrap_or_default(),
            identifiers: d.identifiers.iter().map(|i| i.display()).collect(),
        }),
        profile_sha256: data::profile_sha256(profile),
        sources: d.sources.iter().map(data::manifest_source).collect(),
        events_count: events.len(),
        events_sha256: data::digest_of(events.iter().map(|e| e.sha256.as_str())),
        events,
        findings_count: findings.len(),
        findings_sha256: data::digest_of(findings.iter().map(|f| f.sha256.as_str())),
        findings,
        attachments: attachments
            .iter()
            .map(|a| ManifestAttachment { name: a.name.clone(), sha256: a.data.sha256(), bytes: a.data.len() })
            .collect(),
    };
    let digest = Sha256::digest(serde_json::to_vec(&m)?);
    m.pack_id = format!("CT-{}", hex::encode_upper(&digest[..6]));
    Ok(m)
}

/// The attributes that are names; a date of birth has its own line and other attributes (e.g. a
/// lawful basis) are not about who the subject is.
const NAME_ATTRIBUTES: [&str; 5] = ["first_name", "middle_name", "last_name", "name", "full_name"];

/// Each distinct value of the attributes `wanted`, with the systems that recorded it.
fn recorded(d: &SubjectData, wanted: &[&str], label: bool) -> Vec<String> {
    let mut by_value: BTreeMap<(usize, String), BTreeSet<String>> = BTreeMap::new();
    for a in &d.attributes {
        if let Some(rank) = wanted.iter().position(|w| *w == a.attribute) {
            by_value.entry((rank, a.value.clone())).or_default().insert(a.system.clone());
        }
    }
    by_value
        .into_iter()
        .map(|((rank, value), systems)| {
            let systems = systems.into_iter().collect::<Vec<_>>().join(", ");
            if label {
                format!("{value} ({}; {systems})", wanted[rank].replace('_', " "))
            } else {
                format!("{value} ({systems})")
            }
        })
        .collect()
}

fn names_as_recorded(d: &SubjectData) -> String {
    let names = recorded(d, &NAME_ATTRIBUTES, true);
    if names.is_empty() {
        "No name recorded by any source".into()
    } else {
        names.join("\n")
    }
}

fn cover(c: &mut Canvas<'_>, d: &SubjectData, org: &str, m: &Manifest, manifest_sha256: &str) {
    c.bookmarks.push(("Cover".into(), 1));
    c.space(30.0);
    c.paragraph(org, 12.0, colours::MUTED);
    c.space(4.0);
    c.paragraph("Consent evidence pack", 24.0, colours::ACCENT);
    c.paragraph("Records of who consented, when, to what, how, under which notice, and whether and when they withdrew (GDPR Art. 7(1)).", 10.0, colours::MUTED);
    c.space(14.0);
    let (first, last) = (
        d.events.iter().filter_map(|e| e.occurred_at_ms).min(),
        d.events.iter().filter_map(|e| e.occurred_at_ms).max(),
    );
    let period = match (first, last) {
        (Some(a), Some(b)) => format!("{} to {}", rfc3339(a), rfc3339(b)),
        _ => "no dated events".into(),
    };
    let purposes: BTreeSet<String> = d.events.iter().filter_map(|e| e.purpose.clone()).collect();
    let subject = m.subject.clone().unwrap_or(ManifestSubject { primary: String::new(), identifiers: vec![] });
    let linked: Vec<String> = subject.identifiers.iter().filter(|i| **i != subject.primary).cloned().collect();
    let mut rows: Vec<(String, String)> =
        vec![("Organisation".into(), org.into()), ("Subject (names as recorded)".into(), names_as_recorded(d))];
    let births = recorded(d, &["date_of_birth"], false);
    if !births.is_empty() {
        rows.push(("Date of birth as recorded".into(), births.join("\n")));
    }
    rows.extend([
        ("Primary identifier".into(), subject.primary.clone()),
        ("Linked identifiers".into(), if linked.is_empty() { "none".into() } else { linked.join("\n") }),
        ("Case reference".into(), m.case_reference.clone().unwrap_or_else(|| "none given".into())),
        ("Scope: period".into(), period),
        (
            "Scope: purposes".into(),
            if purposes.is_empty() { "none".into() } else { purposes.into_iter().collect::<Vec<_>>().join(", ") },
        ),
        (
            "Scope: records".into(),
            format!(
                "{} event(s) from {} source file(s); {} finding(s)",
                d.events.len(),
                d.sources.len(),
                d.findings.len()
            ),
        ),
        ("Generated at (UTC)".into(), m.generated_at.clone()),
        ("App version".into(), format!("ConsentTrail {}", m.app_version)),
        ("Pack id".into(), m.pack_id.clone()),
        ("Manifest SHA-256".into(), manifest_sha256.into()),
    ]);
    c.key_values(&rows);
    c.space(8.0);
    c.paragraph(
        &format!(
            "This pack contains only records about the subject above. Times are shown in UTC and as the source wrote them. \
             Every event names the file and line it came from; those rows are attached to this PDF as extracts. \
             Section {} explains how to check that nothing has been changed since the pack was generated.",
            number("Integrity")
        ),
        8.5,
        colours::MUTED,
    );
}

fn state_colour(s: ConsentState) -> (f32, f32, f32) {
    match s {
        ConsentState::Given => colours::GIVEN,
        ConsentState::Withdrawn => colours::WITHDRAWN,
        ConsentState::Refused => colours::REFUSED,
        ConsentState::Expired => colours::EXPIRED,
        ConsentState::None => colours::NONE,
    }
}

fn summary(c: &mut Canvas<'_>, d: &SubjectData, profile: &crate::profile::Profile, generated: DateTime<Utc>) {
    c.new_page();
    c.section(&heading("Summary"));
    let t = generated.timestamp_millis();
    let states = subject_state(profile, &d.events, t);
    c.subheading(&format!("Consent state per purpose at {}", rfc3339(t)));
    // One row per purpose (its purpose-level state), then a row per named recipient whose state
    // differs and per source that states the purpose without a date, as of its export (SPEC §2).
    let mut rows: Vec<Vec<String>> = Vec::new();
    for p in &states {
        let label = profile
            .purposes
            .iter()
            .find(|x| x.id == p.purpose)
            .map(|x| format!("{} ({})", x.label, p.purpose))
            .unwrap_or(p.purpose.clone());
        let state = match &p.partial {
            Some(partial) => format!(
                "{} (partial: {} consented, {} not)",
                p.state.as_str(),
                partial.consented.join(", "),
                partial.not_consented.join(", ")
            ),
            None => p.state.as_str().into(),
        };
        rows.push(vec![
            label.clone(),
            state,
            p.since.clone().unwrap_or_else(|| "-".into()),
            if p.systems.is_empty() { "-".into() } else { p.systems.join(", ") },
            if p.recipients.is_empty() { "-".into() } else { p.recipients.join(", ") },
        ]);
        for x in &p.exceptions {
            rows.push(vec![
                format!("  {label} — for {}", x.recipient),
                x.state.as_str().into(),
                x.since.clone().unwrap_or_else(|| "-".into()),
                if x.systems.is_empty() { "-".into() } else { x.systems.join(", ") },
                x.recipient.clone(),
            ]);
        }
        for x in &p.as_of_export {
            let word = if x.state.is_negative() { "opted out".to_string() } else { x.state.as_str().to_string() };
            rows.push(vec![
                format!("  {label} — {} export", x.system),
                word,
                "as of the export (no date)".into(),
                x.system.clone(),
                "-".into(),
            ]);
        }
    }
    c.table(
        &[
            Column { title: "Purpose", share: 2.6 },
            Column { title: "State", share: 1.1 },
            Column { title: "Since (UTC)", share: 2.5 },
            Column { title: "According to", share: 2.0 },
            Column { title: "Recipients covered", share: 2.8 },
        ],
        &rows,
        8.0,
    );

    // Per named recipient (SPEC §2): the purposes whose grant in force names it, and the
    // purposes whose state for it differs (a refusal for this recipient alone). Names compare
    // case-insensitively and show as first written.
    let mut per_recipient: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    let mut mention = |name: &str| -> String {
        let key = recipient_key(name);
        per_recipient.entry(key.clone()).or_insert_with(|| (name.to_string(), Vec::new()));
        key
    };
    for e in d.events.iter().filter(|e| e.kind == EventKind::Disclosure || !e.recipients.is_empty()) {
        for r in &e.recipients {
            mention(r.name());
        }
    }
    let mut lines: Vec<(String, String)> = Vec::new();
    for p in &states {
        for r in &p.recipients {
            if p.exceptions.iter().any(|x| recipient_key(&x.recipient) == recipient_key(r)) {
                continue;
            }
            lines.push((
                mention(r),
                format!(
                    "{}: {} since {} ({})",
                    p.purpose,
                    p.state.as_str(),
                    p.since.as_deref().unwrap_or("-"),
                    p.systems.join(", ")
                ),
            ));
        }
        for x in &p.exceptions {
            lines.push((
                mention(&x.recipient),
                format!(
                    "{}: {} for this recipient since {} ({})",
                    p.purpose,
                    x.state.as_str(),
                    x.since.as_deref().unwrap_or("-"),
                    x.systems.join(", ")
                ),
            ));
        }
    }
    for (key, line) in lines {
        if let Some(entry) = per_recipient.get_mut(&key) {
            entry.1.push(line);
        }
    }
    let per_recipient: BTreeMap<String, Vec<String>> = per_recipient.into_values().collect();
    if !per_recipient.is_empty() {
        c.subheading("Consent state per named recipient");
        let rows: Vec<Vec<String>> = per_recipient
            .into_iter()
            .map(|(r, v)| {
                vec![r, if v.is_empty() { "none: not named by any consent in force".into() } else { v.join("\n") }]
            })
            .collect();
        c.table(
            &[
                Column { title: "Recipient", share: 1.0 },
                Column { title: "Consent state for this recipient", share: 2.0 },
            ],
            &rows,
            8.0,
        );
    }

    let count = |s: Severity| d.findings.iter().filter(|f| f.severity == s).count();
    c.bar_chart_coloured(
        "Findings by severity",
        &[
            ("High".into(), count(Severity::High), colours::HIGH),
            ("Medium".into(), count(Severity::Medium), colours::MEDIUM),
            ("Low".into(), count(Severity::Low), colours::LOW),
        ],
    );

    // State over time: one strip per purpose — and per named recipient whose state differs —
    // from the first event to the generation time, from the same model as the table above.
    let bars = state_bars(&d.events);
    let start = d.events.iter().filter_map(|e| e.occurred_at_ms).min();
    if let Some(start) = start.filter(|s| *s < t) {
        c.subheading("Consent state over time");
        let span = (t - start) as f32;
        for bar in bars.iter().filter(|b| !b.segments.is_empty()) {
            let mut segs = Vec::new();
            for seg in bar.segments.iter().filter(|seg| seg.from_ms <= t) {
                let from = seg.from_ms.max(start);
                let to = seg.to_ms.unwrap_or(t).min(t);
                segs.push(((from - start) as f32 / span, (to - start) as f32 / span, state_colour(seg.state)));
            }
            let label = match &bar.recipient {
                Some(r) => format!("{} — for {r}", bar.purpose),
                None => bar.purpose.clone(),
            };
            c.strip(&label, &segs);
        }
        c.strip_axis(&rfc3339(start), &rfc3339(t));
        c.legend(&[
            ("given", colours::GIVEN),
            ("withdrawn", colours::WITHDRAWN),
            ("refused", colours::REFUSED),
            ("expired", colours::EXPIRED),
            ("none", colours::NONE),
        ]);
    }
}

fn findings(c: &mut Canvas<'_>, conn: &Connection, d: &SubjectData) -> Result<(), PackError> {
    c.section(&heading("Findings"));
    if d.findings.is_empty() {
        c.paragraph("No rule found a gap in this subject's records.", 9.0, colours::TEXT);
        return Ok(());
    }
    let by_id: BTreeMap<i64, &crate::reconcile::timeline::TimelineEvent> = d.events.iter().map(|e| (e.id, e)).collect();
    for f in &d.findings {
        // A finding starts where its heading, text and first rows fit together.
        c.ensure(110.0);
        c.subheading(&format!(
            "{} {} · {} · {}{}",
            f.rule.as_str(),
            f.rule.code(),
            f.severity.as_str(),
            f.purpose.as_deref().unwrap_or("-"),
            f.recipient.as_deref().map(|r| format!(" → {r}")).unwrap_or_default()
        ));
        c.paragraph(&f.explanation, 9.0, colours::TEXT);
        c.paragraph(&format!("Legal reference: {}", f.rule.legal_reference()), 8.0, colours::MUTED);
        let decision = decision_for(conn, &f.id)?;
        let decision = decision
            .map(|d| {
                format!(
                    "Decision: {} — {} ({}{})",
                    d.status,
                    d.note,
                    d.at,
                    d.by.map(|b| format!(", {b}")).unwrap_or_default()
                )
            })
            .unwrap_or_else(|| "Decision: none recorded".into());
        c.paragraph(&format!("Finding id {} · {}", f.id, decision), 8.0, colours::MUTED);
        let rows: Vec<Vec<String>> = f
            .event_ids
            .iter()
            .filter_map(|id| by_id.get(id))
            .map(|e| {
                vec![
                    e.id.to_string(),
                    e.occurred_at().unwrap_or_else(|| "-".into()),
                    e.system.clone(),
                    e.kind.as_str().into(),
                    source_cell(e),
                ]
            })
            .collect();
        if !rows.is_empty() {
            let widest = rows.iter().map(|r| r[0].clone()).max_by_key(String::len).unwrap_or_default();
            let id_share = c.share_to_fit(&widest, 7.5, 1.8 + 1.2 + 1.4 + 3.0).max(0.6);
            c.table(
                &[
                    Column { title: "Event", share: id_share },
                    Column { title: "Time (UTC)", share: 1.8 },
                    Column { title: "System", share: 1.2 },
                    Column { title: "Kind", share: 1.4 },
                    Column { title: "Source file and row", share: 3.0 },
                ],
                &rows,
                7.5,
            );
        }
    }
    Ok(())
}

fn source_cell(e: &crate::reconcile::timeline::TimelineEvent) -> String {
    e.source
        .as_ref()
        .map(|s| format!("{} {}", file_name(&s.path), s.line.map(|l| format!("line {l}")).unwrap_or(s.locator.clone())))
        .unwrap_or_else(|| "-".into())
}

fn timeline(c: &mut Canvas<'_>, d: &SubjectData, profile: &crate::profile::Profile) {
    c.section(&heading("Timeline"));
    c.paragraph(
        "Every event about this subject, in time order. Identical facts reported by two systems are two events; the last column names the events that corroborate each other.",
        8.5,
        colours::MUTED,
    );
    let rows: Vec<Vec<String>> = d
        .events
        .iter()
        .map(|e| {
            let mut kind = if e.kind != e.stated_kind {
                format!("{} (read from {})", e.kind.as_str(), e.stated_kind.as_str())
            } else {
                e.kind.as_str().to_string()
            };
            if !e.corroborated_by.is_empty() {
                let ids: Vec<String> = e.corroborated_by.iter().map(|i| format!("#{i}")).collect();
                kind.push_str(&format!("\ncorroborated by {}", ids.join(", ")));
            }
            if let Some(p) = &e.partial {
                kind.push_str(&format!(
                    "\npartial: {} consented, {} not",
                    p.consented.join(", "),
                    p.not_consented.join(", ")
                ));
            }
            if let Some(id) = e.folded_into {
                kind.push_str(&format!("\npart of record statement #{id}"));
            }
            if e.occurred_at_ms.is_none() && e.is_consent_state() {
                kind.push_str("\nstate as of the export");
            }
            let written = format!(
                "{}{}",
                e.occurred_at_text.clone().unwrap_or_else(|| "-".into()),
                e.zone_basis.as_deref().map(|z| format!(" [{z}]")).unwrap_or_default()
            );
            vec![
                e.id.to_string(),
                format!("{}\nas written: {written}", e.occurred_at().unwrap_or_else(|| "no time".into())),
                e.system.clone(),
                kind,
                e.purpose.clone().or(e.purpose_label.clone()).unwrap_or_else(|| "-".into()),
                if e.recipients.is_empty() {
                    "-".into()
                } else {
                    e.recipients.iter().map(|r| r.name().to_string()).collect::<Vec<_>>().join(", ")
                },
                format!("{}\nnotice: {}", e.method.clone().unwrap_or_else(|| "-".into()), notice_cell(profile, e)),
                source_cell(e),
            ]
        })
        .collect();
    // The id column is as wide as the longest id, so no id wraps mid-number.
    let widest = d.events.iter().map(|e| e.id.to_string()).max_by_key(String::len).unwrap_or_default();
    let others = 2.1 + 1.3 + 1.65 + 1.4 + 1.4 + 1.35 + 2.0;
    let id_share = c.share_to_fit(&widest, 6.5, others).max(0.45);
    c.table(
        &[
            Column { title: "#", share: id_share },
            Column { title: "Time (UTC) and as written", share: 2.1 },
            Column { title: "System", share: 1.3 },
            Column { title: "Kind", share: 1.65 },
            Column { title: "Purpose", share: 1.4 },
            Column { title: "Recipients", share: 1.4 },
            Column { title: "Method and notice", share: 1.35 },
            Column { title: "Source file and row", share: 2.0 },
        ],
        &rows,
        6.5,
    );
}

/// The notice a timeline row was given under: its recorded version, or for a grant that records
/// none the profile notice in effect at the grant (SPEC §4.1, `notice_for`); "-" when none applies.
fn notice_cell(profile: &crate::profile::Profile, e: &crate::reconcile::timeline::TimelineEvent) -> String {
    if let Some(version) = &e.notice_version {
        return version.clone();
    }
    match notice_for(profile, e) {
        Some(n) if e.kind == EventKind::ConsentGiven => format!("{} (in effect at the grant)", n.version),
        _ => "-".into(),
    }
}

fn recipients(c: &mut Canvas<'_>, d: &SubjectData, profile: &crate::profile::Profile) {
    c.section(&heading("Recipients"));
    let histories = PurposeHistory::build_all(&d.events);
    // Keyed by the canonical name (SPEC §4.1: "Acme" and "ACME" are one recipient, shown as
    // first written).
    let mut per: BTreeMap<String, (String, Vec<Vec<String>>)> = BTreeMap::new();
    let mut named_in_grants: BTreeSet<String> = BTreeSet::new();
    for e in &d.events {
        if e.kind == EventKind::ConsentGiven {
            named_in_grants.extend(covered_recipients(profile, e).iter().map(|r| recipient_key(r)));
        }
        if e.kind != EventKind::Disclosure {
            continue;
        }
        for r in &e.recipients {
            // The consent for (purpose, this recipient) at the disclosure (SPEC §2).
            let named = match (&e.purpose, e.occurred_at_ms) {
                (Some(p), Some(t)) => histories
                    .get(p)
                    .map(|h| h.at_for(t, r.name()))
                    .filter(|st| st.state == ConsentState::Given)
                    .and_then(|st| st.grant_in_force)
                    .map(|g| covers(&covered_recipients(profile, g), r.name()))
                    .unwrap_or(false),
                _ => false,
            };
            per.entry(recipient_key(r.name())).or_insert_with(|| (r.name().to_string(), Vec::new())).1.push(vec![
                e.occurred_at().unwrap_or_else(|| "-".into()),
                e.purpose.clone().unwrap_or_else(|| "-".into()),
                e.system.clone(),
                if named { "yes".into() } else { "no".into() },
                source_cell(e),
            ]);
        }
    }
    for e in d.events.iter().filter(|e| e.kind == EventKind::ConsentGiven) {
        for r in covered_recipients(profile, e) {
            per.entry(recipient_key(&r)).or_insert_with(|| (r.clone(), Vec::new()));
        }
    }
    if per.is_empty() {
        c.paragraph("No third party is named in this subject's records.", 9.0, colours::TEXT);
        return;
    }
    for (key, (recipient, rows)) in per {
        c.subheading(&recipient);
        let named = if named_in_grants.contains(&key) {
            "Named by at least one consent of this subject."
        } else {
            "Not named by any consent of this subject."
        };
        c.paragraph(&format!("{} disclosure(s). {named}", rows.len()), 8.5, colours::MUTED);
        if !rows.is_empty() {
            c.table(
                &[
                    Column { title: "Disclosed at (UTC)", share: 1.6 },
                    Column { title: "Purpose", share: 1.3 },
                    Column { title: "System", share: 1.0 },
                    Column { title: "Consent in force named it", share: 1.2 },
                    Column { title: "Source file and row", share: 2.2 },
                ],
                &rows,
                7.5,
            );
        }
    }
}

fn provenance(c: &mut Canvas<'_>, d: &SubjectData) {
    c.section(&heading("Provenance"));
    c.subheading("Source files that contributed");
    let rows: Vec<Vec<String>> = d
        .sources
        .iter()
        .map(|s| {
            vec![
                file_name(&s.path),
                s.system.clone(),
                s.sha256.clone(),
                format!("{} bytes", s.bytes),
                s.imported_at.clone(),
                format!("{} / {}", s.rows_imported, s.rows_rejected),
            ]
        })
        .collect();
    c.table(
        &[
            Column { title: "File", share: 2.0 },
            Column { title: "System", share: 1.0 },
            Column { title: "SHA-256", share: 3.2 },
            Column { title: "Size", share: 1.0 },
            Column { title: "Imported at", share: 1.5 },
            Column { title: "Rows imported / rejected", share: 1.1 },
        ],
        &rows,
        7.0,
    );
    c.subheading("Identity links");
    if d.links.is_empty() {
        c.paragraph("This subject is known by a single identifier; no links joined it to others.", 8.5, colours::TEXT);
    } else {
        c.paragraph(
            "Identifiers are joined only when they appear in the same source record or in an identity crosswalk file; never by matching names.",
            8.0,
            colours::MUTED,
        );
        let rows: Vec<Vec<String>> = d
            .links
            .iter()
            .map(|l| {
                vec![
                    l.a.clone(),
                    l.b.clone(),
                    l.reason.clone(),
                    format!("{} {}", file_name(&l.source_path), l.locator.clone().unwrap_or_default()),
                ]
            })
            .collect();
        c.table(
            &[
                Column { title: "Identifier", share: 2.0 },
                Column { title: "Joined to", share: 2.0 },
                Column { title: "Why", share: 1.5 },
                Column { title: "Source", share: 2.0 },
            ],
            &rows,
            7.5,
        );
    }
}
