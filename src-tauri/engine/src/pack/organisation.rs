//! The organisation pack (SPEC §5): an audit of the whole programme — scope, sources,
//! findings by rule / purpose / system / month with charts, the subjects with high-severity
//! findings, the method statement and the provenance of every file.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use sha2::{Digest, Sha256};

use super::data::{self, file_name};
use super::fonts;
use super::layout::{colours, Canvas, Column};
use super::manifest::{Manifest, ManifestAttachment, FORMAT};
use super::pdfa::{self, Attachment, Body, DocMeta, Spooled};
use super::sections::{attachments_section, integrity};
use super::sign::Sealing;
use super::{PackError, PackFacts, PackOptions, PackProgress, RenderedPack};
use crate::rules::audit;
use crate::rules::{AuditSummary, Finding, Severity};
use crate::store::findings::{self, FindingsTable};
use crate::store::{audit_log, profile_doc, sources, Store};

/// Most subjects listed by name in the high-severity table; the rest are counted.
const MAX_SUBJECT_ROWS: usize = 300;

/// The parts of an organisation manifest that come from the events (shared with verify): the
/// sources, and the number and digest of all events.
pub fn database_parts(
    conn: &rusqlite::Connection,
) -> Result<(Vec<super::manifest::ManifestSource>, usize, String), PackError> {
    let srcs = sources::list(conn)?;
    let (events_count, events_sha256) = data::all_events_digest(conn)?;
    Ok((srcs.iter().map(data::manifest_source).collect(), events_count, events_sha256))
}

/// The number of findings of an audit and the manifest's digest over them, in the order the
/// pack lists them, read one at a time.
pub(crate) fn findings_totals(conn: &Connection, audit: &AuditResult<'_>) -> Result<(usize, String), PackError> {
    let mut totals = FindingsDigest::default();
    audit.for_each(conn, &mut |f| {
        totals.add(&data::manifest_finding(f).sha256);
        Ok(())
    })?;
    Ok(totals.finish())
}

/// [`data::digest_of`] over the findings' manifest digests, one finding at a time.
#[derive(Default)]
struct FindingsDigest {
    count: usize,
    hash: Sha256,
}

impl FindingsDigest {
    fn add(&mut self, sha256: &str) {
        self.count += 1;
        self.hash.update(sha256.as_bytes());
        self.hash.update(b"\n");
    }

    fn finish(self) -> (usize, String) {
        (self.count, hex::encode(self.hash.finalize()))
    }
}

/// The audit an organisation pack reports.
pub(crate) enum AuditResult<'a> {
    /// The last audit's summary, its findings read from the findings table it wrote (a pack).
    Stored(AuditSummary),
    /// An audit computed afresh into `temp.recomputed_findings`, not stored (`verify`
    /// re-rendering a pack; see [`audit::recompute`]).
    Recomputed(&'a AuditSummary),
}

impl AuditResult<'_> {
    fn summary(&self) -> &AuditSummary {
        match self {
            AuditResult::Stored(summary) => summary,
            AuditResult::Recomputed(summary) => summary,
        }
    }

    /// Each finding in the order the audit lists them (subject key, rule, purpose, recipient),
    /// one at a time.
    fn for_each(
        &self,
        conn: &Connection,
        each: &mut dyn FnMut(&Finding) -> Result<(), PackError>,
    ) -> Result<(), PackError> {
        match self {
            // Sorted by SQLite on disk: the findings grow with the data.
            AuditResult::Recomputed(_) => {
                let _spill = data::SpillToDisk::new(conn)?;
                findings::for_each_in(conn, FindingsTable::Recomputed, each)
            }
            AuditResult::Stored(_) => {
                let _spill = data::SpillToDisk::new(conn)?;
                findings::for_each_stored(conn, each)
            }
        }
    }
}

/// Whether the findings table is the audit of the data as it is now: an audit ran after the
/// last import, source removal and profile change (each is logged in the transaction that makes
/// it), by this version of the engine (a newer version may judge differently). Its summary
/// when it is.
fn current_summary(conn: &Connection) -> Result<Option<AuditSummary>, PackError> {
    let last = audit_log::last_audit_and_change(conn)?;
    if last.audit.is_none() || last.change > last.audit || last.engine.as_deref() != Some(crate::VERSION) {
        return Ok(None);
    }
    Ok(findings::last_run_summary(conn)?)
}

/// The audit an organisation pack reports: the last one when it is current, else a new one run
/// now (and stored, decisions kept), so that the pack and the Findings screen always agree and
/// never describe data that has changed since.
pub(crate) fn current_audit(
    store: &mut Store,
    progress: &mut dyn FnMut(PackProgress),
) -> Result<AuditSummary, PackError> {
    if let Some(summary) = current_summary(store.conn())? {
        progress(PackProgress::at(1, 4, "checking the rules", summary.subjects, summary.subjects));
        return Ok(summary);
    }
    // Stored as it is computed, not held: the pack reads the findings back one at a time.
    Ok(audit::run_stored(store, &mut |done, total| {
        progress(PackProgress::at(1, 4, "checking the rules", done, total))
    })?)
}

/// The findings extract: one row per finding, with the first [`data::SHORT_DIGEST`] hex digits of
/// its manifest digest, so that `verify` can name each finding that changed.
pub const FINDINGS_CSV: &str = "findings.csv";
/// The per-subject extract: one row per subject with events, its number of events and a digest
/// of them ([`data::SubjectDigest`]), so that `verify` can name each subject whose events changed.
pub const SUBJECTS_CSV: &str = "subjects.csv";

pub use crate::cells::{as_recorded, neutral};

fn push_row(out: &mut dyn Write, cells: &[String]) -> Result<(), PackError> {
    let line: Vec<String> = cells.iter().map(|c| format!("\"{}\"", neutral(c).replace('"', "\"\""))).collect();
    let io = |source| PackError::Io { path: "the pack's extracts".into(), source };
    out.write_all(line.join(",").as_bytes()).map_err(io)?;
    out.write_all(b"\r\n").map_err(io)
}

/// A finding's digest as the findings extract records it.
pub fn finding_digest(f: &Finding) -> String {
    let mut digest = data::manifest_finding(f).sha256;
    digest.truncate(data::SHORT_DIGEST);
    digest
}

/// What the pack shows of the findings, gathered as findings.csv is written: the manifest's
/// count and digest, the findings by month, and the first subjects with high-severity findings.
#[derive(Default)]
struct FindingsSeen {
    digest: FindingsDigest,
    by_month: BTreeMap<String, usize>,
    /// The first [`MAX_SUBJECT_ROWS`] subjects with high findings: key, number of high
    /// findings, their rules (as listed, repeats in a row dropped), their purposes.
    high: Vec<(String, usize, Vec<&'static str>, BTreeSet<String>)>,
    high_subjects: usize,
    last_high: Option<String>,
}

impl FindingsSeen {
    fn add(&mut self, f: &Finding, sha256: &str) {
        self.digest.add(sha256);
        let month =
            f.at.map(|t| crate::reconcile::state::rfc3339(t).get(..7).unwrap_or("").to_string())
                .unwrap_or_else(|| "no date".into());
        *self.by_month.entry(month).or_default() += 1;
        if f.severity != Severity::High {
            return;
        }
        if self.last_high.as_deref() != Some(f.subject_key.as_str()) {
            self.high_subjects += 1;
            self.last_high = Some(f.subject_key.clone());
            if self.high.len() < MAX_SUBJECT_ROWS {
                self.high.push((f.subject_key.clone(), 0, Vec::new(), BTreeSet::new()));
            } else {
                return;
            }
        } else if self.high_subjects > MAX_SUBJECT_ROWS {
            return;
        }
        if let Some((_, n, rules, purposes)) = self.high.last_mut() {
            *n += 1;
            if rules.last() != Some(&f.rule.as_str()) {
                rules.push(f.rule.as_str());
            }
            purposes.extend(f.purpose.clone());
        }
    }
}

/// Writes findings.csv, one finding at a time, and what the pack shows of them.
fn findings_csv(conn: &Connection, audit: &AuditResult<'_>, out: &mut dyn Write) -> Result<FindingsSeen, PackError> {
    let mut seen = FindingsSeen::default();
    out.write_all(b"id,rule,code,severity,subject,purpose,recipient,at,occurrences,digest\r\n")
        .map_err(|source| PackError::Io { path: "the pack's extracts".into(), source })?;
    audit.for_each(conn, &mut |f| {
        let sha256 = data::manifest_finding(f).sha256;
        seen.add(f, &sha256);
        push_row(
            out,
            &[
                f.id.clone(),
                f.rule.as_str().to_string(),
                f.rule.code().to_string(),
                f.severity.as_str().to_string(),
                f.subject_key.clone(),
                f.purpose.clone().unwrap_or_default(),
                f.recipient.clone().unwrap_or_default(),
                f.at.map(crate::reconcile::state::rfc3339).unwrap_or_default(),
                f.occurrences.len().to_string(),
                sha256[..data::SHORT_DIGEST].to_string(),
            ],
        )
    })?;
    Ok(seen)
}

/// Writes subjects.csv, one subject at a time.
fn subjects_csv(conn: &Connection, out: &mut dyn Write) -> Result<(), PackError> {
    out.write_all(b"subject,events,digest\r\n")
        .map_err(|source| PackError::Io { path: "the pack's extracts".into(), source })?;
    data::for_each_subject_digest(conn, &mut |s| push_row(out, &[s.key, s.events.to_string(), s.digest]))
}

/// The named columns of every row of an extract, as written (see [`as_recorded`]); an error
/// names a missing column or the unreadable row.
/// `data` is read as it comes (an extract inflated from the pack as it is read).
pub fn read_columns(data: impl std::io::Read, columns: &[&str]) -> Result<Vec<Vec<String>>, String> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(data);
    let headers = reader.headers().map_err(|e| e.to_string())?.clone();
    let mut at = Vec::with_capacity(columns.len());
    for c in columns {
        at.push(headers.iter().position(|h| h == *c).ok_or_else(|| format!("it has no {c} column"))?);
    }
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| e.to_string())?;
        out.push(at.iter().map(|&i| record.get(i).unwrap_or_default().to_string()).collect());
    }
    Ok(out)
}

/// Renders the organisation pack.
pub(crate) fn render(
    store: &mut Store,
    options: &PackOptions,
    sealing: &Sealing<'_>,
) -> Result<RenderedPack, PackError> {
    render_with_progress(store, options, sealing, &mut |_| {})
}

/// [`render`], reporting its steps: the audit (subject by subject, when it is not current), the
/// digests, the layout.
pub(crate) fn render_with_progress(
    store: &mut Store,
    options: &PackOptions,
    sealing: &Sealing<'_>,
    progress: &mut dyn FnMut(PackProgress),
) -> Result<RenderedPack, PackError> {
    let summary = current_audit(store, progress)?;
    let mut bytes = Vec::new();
    let written = render_into(store.conn(), &AuditResult::Stored(summary), options, sealing, progress, &mut bytes)?;
    Ok(written.facts.with_bytes(bytes))
}

/// Renders the pack of an audit computed afresh (`verify` re-rendering a pack; see
/// [`audit::recompute`]) and returns what its pages and extracts digest to. The file itself is
/// not kept: it grows with the data (its extracts), and the digests are what is compared.
pub(crate) fn render_recomputed(
    conn: &Connection,
    summary: &AuditSummary,
    options: &PackOptions,
    sealing: &Sealing<'_>,
) -> Result<pdfa::Rendition, PackError> {
    let audit = AuditResult::Recomputed(summary);
    let facts = render_into(conn, &audit, options, sealing, &mut |_| {}, &mut std::io::sink())?;
    Ok(facts.rendition)
}

/// Lays out the pack of `audit` and writes it to `out`. The findings and the per-subject
/// digests go to the extracts as they are read, compressed into temporary files that are
/// copied into the PDF: memory holds the pages, not the findings.
pub(crate) fn render_into(
    conn: &Connection,
    audit: &AuditResult<'_>,
    options: &PackOptions,
    sealing: &Sealing<'_>,
    progress: &mut dyn FnMut(PackProgress),
    out: &mut dyn Write,
) -> Result<OrganisationFacts, PackError> {
    let generated: DateTime<Utc> = options.instant();
    progress(PackProgress::at(2, 4, "digesting the events", 0, 0));
    let profile = profile_doc::load(conn)?;
    let (srcs, events_count, events_sha256) = database_parts(conn)?;
    let mut seen = FindingsSeen::default();
    let findings = Spooled::write(|w| {
        seen = findings_csv(conn, audit, w)?;
        Ok(())
    })?;
    let subjects = Spooled::write(|w| subjects_csv(conn, w))?;
    let FindingsSeen { digest, by_month, high, high_subjects, .. } = seen;
    let (findings_count, findings_sha256) = digest.finish();
    let attachments = vec![
        Attachment {
            name: FINDINGS_CSV.into(),
            mime: "text/csv",
            description: "Every finding of the audit this pack reports, with a digest of each".into(),
            relationship: "Data",
            data: Body::Spooled(findings),
        },
        Attachment {
            name: SUBJECTS_CSV.into(),
            mime: "text/csv",
            description: "Every subject with events: its number of events and a digest of them".into(),
            relationship: "Data",
            data: Body::Spooled(subjects),
        },
    ];
    let mut m = Manifest {
        format: FORMAT.into(),
        kind: "organisation".into(),
        pack_id: String::new(),
        generated_at: generated.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        app_version: crate::VERSION.into(),
        case_reference: options.case_reference.clone(),
        subject: None,
        profile_sha256: data::profile_sha256(&profile),
        sources: srcs,
        events: Vec::new(),
        events_count,
        events_sha256,
        findings: Vec::new(),
        findings_count,
        findings_sha256,
        attachments: attachments
            .iter()
            .map(|a| ManifestAttachment { name: a.name.clone(), sha256: a.data.sha256(), bytes: a.data.len() })
            .collect(),
    };
    progress(PackProgress::at(3, 4, "laying out the pages", 0, 0));
    let digest = Sha256::digest(serde_json::to_vec(&m)?);
    m.pack_id = format!("CT-{}", hex::encode_upper(&digest[..6]));
    let manifest_bytes = serde_json::to_vec_pretty(&m)?;
    let manifest_sha256 = hex::encode(Sha256::digest(&manifest_bytes));

    let fonts = fonts::fonts()?;
    let mut c = Canvas::new(fonts);
    let org = profile.organisation.name.clone();
    let s = audit.summary();
    c.bookmarks.push(("Cover and scope".into(), 1));
    c.space(30.0);
    c.paragraph(&org, 12.0, colours::MUTED);
    c.paragraph("Consent programme audit", 24.0, colours::ACCENT);
    c.space(10.0);
    let all_sources = sources::list(conn)?;
    c.key_values(&[
        ("Organisation".into(), org.clone()),
        (
            "Scope".into(),
            format!("All {} subjects, {} events from {} source files", s.subjects, s.events, all_sources.len()),
        ),
        (
            "Purposes in the profile".into(),
            profile.purposes.iter().map(|p| format!("{} ({})", p.label, p.id)).collect::<Vec<_>>().join(", "),
        ),
        (
            "Findings".into(),
            format!(
                "{} — {} high, {} medium, {} low",
                s.findings,
                s.by_severity.get("high").unwrap_or(&0),
                s.by_severity.get("medium").unwrap_or(&0),
                s.by_severity.get("low").unwrap_or(&0)
            ),
        ),
        ("Generated at (UTC)".into(), m.generated_at.clone()),
        ("App version".into(), format!("ConsentTrail {}", m.app_version)),
        ("Pack id".into(), m.pack_id.clone()),
        ("Manifest SHA-256".into(), manifest_sha256.clone()),
    ]);

    c.new_page();
    c.section("1. Findings");
    let rows = |map: &BTreeMap<String, usize>| -> Vec<(String, usize)> {
        map.iter().filter(|(_, n)| **n > 0).map(|(k, n)| (k.clone(), *n)).collect()
    };
    let mut by_rule: Vec<(String, usize)> = s
        .by_rule
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(r, n)| {
            let label = crate::rules::RuleId::parse(r).map(|id| format!("{r} {}", id.code())).unwrap_or(r.clone());
            (label, *n)
        })
        .collect();
    by_rule.sort_by_key(|(l, _)| {
        l.trim_start_matches('R').split(' ').next().and_then(|n| n.parse::<u32>().ok()).unwrap_or(99)
    });
    c.bar_chart("By rule", &by_rule, colours::ACCENT);
    c.bar_chart("By purpose", &rows(&s.by_purpose), colours::GIVEN);
    c.bar_chart("By system", &rows(&s.by_system), colours::LOW);
    c.bar_chart("By month of the first occurrence", &rows(&by_month), colours::MEDIUM);
    if s.findings == 0 {
        c.paragraph("No rule found a gap.", 9.0, colours::TEXT);
    }

    c.section("2. Subjects with high-severity findings");
    if high.is_empty() {
        c.paragraph("No subject has a high-severity finding.", 9.0, colours::TEXT);
    } else {
        let total = high_subjects;
        let table: Vec<Vec<String>> = high
            .into_iter()
            .map(|(k, n, rules, purposes)| {
                vec![k, n.to_string(), rules.join(", "), purposes.into_iter().collect::<Vec<_>>().join(", ")]
            })
            .collect();
        c.table(
            &[
                Column { title: "Subject", share: 2.5 },
                Column { title: "High findings", share: 0.9 },
                Column { title: "Rules", share: 1.2 },
                Column { title: "Purposes", share: 2.0 },
            ],
            &table,
            7.5,
        );
        if total > MAX_SUBJECT_ROWS {
            c.paragraph(
                &format!("… and {} more subjects; all are in findings.csv.", total - MAX_SUBJECT_ROWS),
                8.0,
                colours::MUTED,
            );
        }
    }

    c.section("3. Method statement");
    c.paragraph(
        "Every rule below ran over every subject's reconciled timeline (all systems, identity links applied). A rule that lacked the data it needs is listed as not evaluated, with the reason, instead of reporting no findings.",
        8.5,
        colours::TEXT,
    );
    c.subheading("Rules run");
    let rules: Vec<Vec<String>> = crate::rules::RuleId::ALL
        .iter()
        .map(|r| {
            vec![
                format!("{} {}", r.as_str(), r.code()),
                s.by_rule.get(r.as_str()).copied().unwrap_or(0).to_string(),
                r.legal_reference().to_string(),
            ]
        })
        .collect();
    c.table(
        &[
            Column { title: "Rule", share: 1.6 },
            Column { title: "Findings", share: 0.6 },
            Column { title: "Legal reference", share: 3.5 },
        ],
        &rules,
        7.5,
    );
    c.subheading("Not evaluated");
    if s.not_evaluated.is_empty() {
        c.paragraph("Every rule had the data it needs.", 8.5, colours::TEXT);
    } else {
        let ne: Vec<Vec<String>> = s
            .not_evaluated
            .iter()
            .map(|n| vec![n.rule.clone(), n.purpose.clone().unwrap_or_else(|| "-".into()), n.reason.clone()])
            .collect();
        c.table(
            &[
                Column { title: "Rule", share: 0.6 },
                Column { title: "Purpose", share: 1.2 },
                Column { title: "Reason", share: 4.0 },
            ],
            &ne,
            7.5,
        );
    }

    c.section("4. Provenance");
    let prov: Vec<Vec<String>> = all_sources
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
        &prov,
        7.0,
    );
    integrity(&mut c, 5, &m, &manifest_sha256, sealing.identity());
    attachments_section(&mut c, 6, &m);

    let (pages, bookmarks) =
        c.finish(&format!("{org} · Consent programme audit · pack {}", m.pack_id), &manifest_sha256);
    let page_count = pages.len();
    let title = format!("Consent programme audit: {org}");
    let subject_line = format!("Audit of the consent records of {org}, generated {}", m.generated_at);
    let mut files = attachments;
    files.push(Attachment {
        name: "manifest.json".into(),
        mime: "application/json",
        description: "What this pack rests on; its SHA-256 is printed in every page footer".into(),
        relationship: "Supplement",
        data: Body::Memory(manifest_bytes),
    });
    let rendition = pdfa::assemble_into(
        fonts,
        pages,
        &bookmarks,
        &DocMeta {
            title: &title,
            subject: &subject_line,
            keywords: "GDPR, consent, audit",
            created: generated,
            manifest_sha256: &manifest_sha256,
        },
        &files,
        sealing,
        out,
    )?;
    Ok(OrganisationFacts { facts: PackFacts { manifest_sha256, pages: page_count, pack_id: m.pack_id }, rendition })
}

/// What [`render_into`] wrote: the pack's facts, and its pages' and extracts' digests.
pub(crate) struct OrganisationFacts {
    pub facts: PackFacts,
    pub rendition: pdfa::Rendition,
}
