//! Reading what a pack shows from the store, and the manifest parts that `verify` recomputes.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{params, Connection};
use sha2::{Digest, Sha256};

use super::manifest::{ManifestEvent, ManifestFinding, ManifestSource};
use super::PackError;
use crate::profile::Profile;
use crate::reconcile::state::{rfc3339, PurposeHistory};
use crate::reconcile::subjects::{attributes_of, RecordedAttribute};
use crate::reconcile::timeline::{subject_events, TimelineEvent};
use crate::rules::context::{FindingSink, SubjectContext};
use crate::rules::{registry, Finding};
use crate::store::identity::{identifiers_of, links_of, subject_of, LinkEvidence, StoredIdentifier};
use crate::store::sources::{self, SourceInfo};

/// A source row as imported.
#[derive(Debug, Clone)]
pub struct RawRow {
    pub id: i64,
    pub source_id: i64,
    pub locator: String,
    pub line: Option<i64>,
    pub raw: String,
}

/// Everything a subject pack shows.
pub struct SubjectData {
    pub identifiers: Vec<StoredIdentifier>,
    pub attributes: Vec<RecordedAttribute>,
    pub links: Vec<LinkEvidence>,
    pub events: Vec<TimelineEvent>,
    pub findings: Vec<Finding>,
    pub sources: Vec<SourceInfo>,
    pub rows: Vec<RawRow>,
}

/// The SHA-256 of a profile document, so a changed profile shows in `verify`.
pub fn profile_sha256(profile: &Profile) -> String {
    hex::encode(Sha256::digest(profile.to_json().as_bytes()))
}

/// Loads a subject's data: the subject the identifier belongs to, or NotFound.
pub fn subject_data(conn: &Connection, profile: &Profile, identifier: &str) -> Result<SubjectData, PackError> {
    let subject_id = subject_of(conn, identifier)?
        .ok_or_else(|| PackError::NotFound(format!("no subject has the identifier '{identifier}'")))?;
    let identifiers = identifiers_of(conn, subject_id)?;
    let attributes = attributes_of(conn, subject_id)?;
    let links = links_of(conn, subject_id)?;
    let events = subject_events(conn, subject_id)?;
    let findings = subject_findings(profile, subject_id, &identifiers, &attributes, &events);
    let mut source_ids: BTreeSet<i64> = events.iter().filter_map(|e| e.source.as_ref().map(|s| s.id)).collect();
    source_ids.extend(links.iter().map(|l| l.source_id));
    let mut srcs = Vec::new();
    for id in source_ids {
        if let Some(s) = sources::get(conn, id)? {
            srcs.push(s);
        }
    }
    let mut rows = Vec::new();
    {
        let mut stmt =
            conn.prepare_cached("SELECT id, source_id, locator, line, raw FROM source_rows WHERE id = ?1")?;
        let mut row_ids: BTreeSet<i64> = events.iter().map(|e| e.row_id).collect();
        // The rows that joined this subject's identifiers (e.g. a crosswalk) are about them too.
        let mut links_stmt = conn.prepare_cached(
            "SELECT l.row_id FROM identity_links l JOIN identifiers ia ON ia.id = l.identifier_a
             WHERE ia.subject_id = ?1 AND l.row_id IS NOT NULL",
        )?;
        for id in links_stmt.query_map(params![subject_id], |r| r.get::<_, i64>(0))? {
            row_ids.insert(id?);
        }
        for id in row_ids {
            let row = stmt.query_row(params![id], |r| {
                Ok(RawRow { id: r.get(0)?, source_id: r.get(1)?, locator: r.get(2)?, line: r.get(3)?, raw: r.get(4)? })
            })?;
            rows.push(row);
        }
    }
    rows.sort_by_key(|r| (r.source_id, r.line, r.id));
    Ok(SubjectData { identifiers, attributes, links, events, findings, sources: srcs, rows })
}

/// The subject's findings, computed now by the same rules as the audit (so a pack never
/// depends on when the audit last ran); ids are the audit's stable ids.
fn subject_findings(
    profile: &Profile,
    subject_id: i64,
    identifiers: &[StoredIdentifier],
    attributes: &[RecordedAttribute],
    events: &[TimelineEvent],
) -> Vec<Finding> {
    let key = identifiers
        .iter()
        .map(|i| {
            let rank = match i.kind.as_str() {
                "email" => 0,
                "phone" => 1,
                _ => 2,
            };
            (rank, i.display())
        })
        .min()
        .map(|(_, k)| k)
        .unwrap_or_else(|| format!("subject:{subject_id}"));
    let mut birth_dates: Vec<(chrono::NaiveDate, String)> = attributes
        .iter()
        .filter(|a| a.attribute == "date_of_birth")
        .filter_map(|a| {
            let d = chrono::NaiveDate::parse_from_str(a.value.trim().get(..10)?, "%Y-%m-%d").ok()?;
            Some((d, a.system.clone()))
        })
        .collect();
    birth_dates.sort();
    let purposes: BTreeMap<String, &crate::profile::Purpose> =
        profile.purposes.iter().map(|p| (p.id.clone(), p)).collect();
    let ctx = SubjectContext {
        profile,
        purposes: &purposes,
        subject_id,
        subject_key: key.clone(),
        events,
        histories: PurposeHistory::build_all(events),
        birth_dates,
    };
    let mut sink = FindingSink::default();
    for rule in registry() {
        rule.check(&ctx, &mut sink);
    }
    let mut findings = sink.finish(subject_id, &key);
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.rule.cmp(&b.rule))
            .then(a.purpose.cmp(&b.purpose))
            .then(a.recipient.cmp(&b.recipient))
    });
    findings
}

/// One line that names an event for people.
pub fn event_summary(e: &TimelineEvent) -> String {
    let src = e
        .source
        .as_ref()
        .map(|s| format!("{} {}", file_name(&s.path), s.line.map(|l| format!("line {l}")).unwrap_or(s.locator.clone())))
        .unwrap_or_default();
    format!(
        "event {}: {} {} {} ({}, {})",
        e.id,
        e.occurred_at().unwrap_or_else(|| "no time".into()),
        e.kind.as_str(),
        e.purpose.as_deref().or(e.purpose_label.as_deref()).unwrap_or("-"),
        e.system,
        src
    )
}

/// The file name of a stored path.
pub fn file_name(path: &str) -> String {
    path.rsplit(['/', '\\']).next().unwrap_or(path).to_string()
}

/// The manifest entry of an event: its fields and the hash of its raw row.
pub fn manifest_event(e: &TimelineEvent, raw: Option<&RawRow>) -> ManifestEvent {
    let fields = serde_json::json!({
        "occurred_at": e.occurred_at(),
        "occurred_at_text": e.occurred_at_text,
        "zone_basis": e.zone_basis,
        "kind": e.kind.as_str(),
        "purpose": e.purpose,
        "purpose_label": e.purpose_label,
        "system": e.system,
        "identifier": e.identifier,
        "recipients": e.recipients.iter().map(|r| r.name().to_string()).collect::<Vec<_>>(),
        "channel": e.channel,
        "method": e.method,
        "collected_by": e.collected_by,
        "notice_version": e.notice_version,
        "evidence": e.evidence_json,
        "source_sha256": e.source.as_ref().map(|s| s.sha256.clone()),
        "locator": e.source.as_ref().map(|s| s.locator.clone()),
        "raw_sha256": raw.map(|r| hex::encode(Sha256::digest(r.raw.as_bytes()))),
    });
    ManifestEvent {
        id: e.id,
        sha256: hex::encode(Sha256::digest(fields.to_string().as_bytes())),
        summary: event_summary(e),
    }
}

/// The manifest entries of a subject's events, in timeline order.
pub fn manifest_events(data: &SubjectData) -> Vec<ManifestEvent> {
    let rows: BTreeMap<i64, &RawRow> = data.rows.iter().map(|r| (r.id, r)).collect();
    data.events.iter().map(|e| manifest_event(e, rows.get(&e.row_id).copied())).collect()
}

/// The manifest entry of a finding.
pub fn manifest_finding(f: &Finding) -> ManifestFinding {
    let fields = serde_json::json!({
        "id": f.id, "rule": f.rule.as_str(), "severity": f.severity.as_str(), "purpose": f.purpose,
        "recipient": f.recipient, "occurrences": f.occurrences, "event_ids": f.event_ids,
        "explanation": f.explanation,
    });
    ManifestFinding {
        id: f.id.clone(),
        rule: f.rule.as_str().to_string(),
        sha256: hex::encode(Sha256::digest(fields.to_string().as_bytes())),
        summary: format!(
            "{} {} {}{} since {}",
            f.rule.as_str(),
            f.rule.code(),
            f.purpose.as_deref().unwrap_or("-"),
            f.recipient.as_deref().map(|r| format!(" → {r}")).unwrap_or_default(),
            f.at.map(rfc3339).unwrap_or_else(|| "-".into())
        ),
    }
}

/// The manifest entry of a source file.
pub fn manifest_source(s: &SourceInfo) -> ManifestSource {
    ManifestSource {
        path: s.path.clone(),
        system: s.system.clone(),
        sha256: s.sha256.clone(),
        bytes: s.bytes,
        rows_imported: s.rows_imported,
        rows_rejected: s.rows_rejected,
    }
}

/// A digest over a list of digests (order matters).
pub fn digest_of<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let mut h = Sha256::new();
    for i in items {
        h.update(i.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

/// Every event in the database hashed in id order (organisation packs): streamed, so a
/// million events cost one pass and no memory.
pub fn all_events_digest(conn: &Connection) -> Result<(usize, String), PackError> {
    let mut stmt = conn.prepare(
        "SELECT e.id, e.fingerprint, e.kind, e.occurred_at, e.purpose, s.sha256, r.locator
         FROM events e JOIN sources s ON s.id = e.source_id JOIN source_rows r ON r.id = e.row_id ORDER BY e.id",
    )?;
    let mut rows = stmt.query([])?;
    let mut h = Sha256::new();
    let mut n = 0usize;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let fp: Vec<u8> = r.get(1)?;
        let kind: String = r.get(2)?;
        let at: Option<i64> = r.get(3)?;
        let purpose: Option<String> = r.get(4)?;
        let sha: String = r.get(5)?;
        let locator: String = r.get(6)?;
        h.update(format!("{id}\t{}\t{kind}\t{at:?}\t{purpose:?}\t{sha}\t{locator}\n", hex::encode(fp)).as_bytes());
        n += 1;
    }
    Ok((n, hex::encode(h.finalize())))
}
