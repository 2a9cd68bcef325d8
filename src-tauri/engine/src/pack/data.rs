//! Reading what a pack shows from the store, and the manifest parts that `verify` recomputes.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rusqlite::Connection;
use sha2::{Digest, Sha256};

use super::manifest::{ManifestEvent, ManifestFinding, ManifestSource};
use super::PackError;
use crate::model::EventKind;
use crate::profile::Profile;
use crate::reconcile::state::rfc3339;
use crate::reconcile::timeline::{
    resolve_statements, sort_events, subject_events, Recipient, SourceRef, TimelineEvent,
};
use crate::rules::{subject, Finding};
pub use crate::store::events::read::RawRow;
use crate::store::events::read::{self, SubjectEventRow};
use crate::store::identity::{
    self, attributes_of, identifiers_of, links_of, subject_of, IdentifiersBySubject, LinkEvidence, RecordedAttribute,
    StoredIdentifier,
};
use crate::store::scratch;
pub(crate) use crate::store::scratch::SpillToDisk;
use crate::store::sources::{self, SourceInfo};

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
    let mut row_ids: BTreeSet<i64> = events.iter().map(|e| e.row_id).collect();
    // The rows that joined this subject's identifiers (e.g. a crosswalk) are about them too.
    row_ids.extend(identity::link_row_ids(conn, subject_id)?);
    for id in row_ids {
        rows.push(read::raw_row(conn, id)?);
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
    let key = subject::subject_key(subject_id, identifiers.iter().map(|i| (i.kind.as_str(), i.value.as_str())));
    let birth_dates = subject::birth_dates(
        attributes.iter().filter(|a| a.attribute == "date_of_birth").map(|a| (a.value.as_str(), a.system.as_str())),
    );
    let mut findings = subject::Evaluator::new(profile).evaluate(subject_id, &key, events, birth_dates);
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
    ManifestEvent { id: e.id, sha256: event_sha256(e, raw.map(|r| r.raw.as_str())), summary: event_summary(e) }
}

/// The digest of an event: its fields and the hash of its raw source row. Subject packs list it
/// per event, organisation packs fold it into one digest per subject; both use this definition.
pub fn event_sha256(e: &TimelineEvent, raw: Option<&str>) -> String {
    let raw = raw.map(|r| hex::encode(Sha256::digest(r.as_bytes())));
    hex::encode(event_digest(e, raw.as_deref()))
}

/// Hashes what is serialised into it.
struct HashWriter(Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The names of an event's recipients, serialised as a JSON array without collecting them.
struct RecipientNames<'a>(&'a [Recipient]);

impl serde::Serialize for RecipientNames<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(Recipient::name))
    }
}

/// The fields an event digest covers, serialised as compact JSON with the keys in this
/// (alphabetical) order. A struct rather than `json!`, whose key order depends on whether some
/// other crate in the build enables serde_json's `preserve_order` (the desktop app's does).
#[derive(serde::Serialize)]
struct EventFields<'a> {
    channel: Option<&'a str>,
    collected_by: Option<&'a str>,
    evidence: Option<&'a str>,
    identifier: &'a str,
    kind: &'a str,
    locator: Option<&'a str>,
    method: Option<&'a str>,
    notice_version: Option<&'a str>,
    occurred_at: Option<&'a str>,
    occurred_at_text: Option<&'a str>,
    purpose: Option<&'a str>,
    purpose_label: Option<&'a str>,
    raw_sha256: Option<&'a str>,
    recipients: RecipientNames<'a>,
    source_sha256: Option<&'a str>,
    system: &'a str,
    zone_basis: Option<&'a str>,
}

/// [`event_sha256`] as bytes, from the hex SHA-256 of the raw row.
fn event_digest(e: &TimelineEvent, raw_sha256: Option<&str>) -> [u8; 32] {
    let occurred_at = e.occurred_at();
    event_fields(e, occurred_at.as_deref(), raw_sha256).digest(&mut Vec::new())
}

/// The fields of a timeline event that its digest covers.
fn event_fields<'a>(
    e: &'a TimelineEvent,
    occurred_at: Option<&'a str>,
    raw_sha256: Option<&'a str>,
) -> EventFields<'a> {
    EventFields {
        channel: e.channel.as_deref(),
        collected_by: e.collected_by.as_deref(),
        evidence: e.evidence_json.as_deref(),
        identifier: &e.identifier,
        kind: e.kind.as_str(),
        locator: e.source.as_ref().map(|s| s.locator.as_str()),
        method: e.method.as_deref(),
        notice_version: e.notice_version.as_deref(),
        occurred_at,
        occurred_at_text: e.occurred_at_text.as_deref(),
        purpose: e.purpose.as_deref(),
        purpose_label: e.purpose_label.as_deref(),
        raw_sha256,
        recipients: RecipientNames(&e.recipients),
        source_sha256: e.source.as_ref().map(|s| s.sha256.as_str()),
        system: &e.system,
        zone_basis: e.zone_basis.as_deref(),
    }
}

impl EventFields<'_> {
    /// SHA-256 of the fields as compact JSON, serialised into `buf` (reused between events).
    fn digest(&self, buf: &mut Vec<u8>) -> [u8; 32] {
        buf.clear();
        // Serialising strings into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *buf, self);
        Sha256::digest(buf.as_slice()).into()
    }
}

/// The manifest entries of a subject's events, in timeline order.
pub fn manifest_events(data: &SubjectData) -> Vec<ManifestEvent> {
    let rows: BTreeMap<i64, &RawRow> = data.rows.iter().map(|r| (r.id, r)).collect();
    data.events.iter().map(|e| manifest_event(e, rows.get(&e.row_id).copied())).collect()
}

/// The manifest entry of a finding.
pub fn manifest_finding(f: &Finding) -> ManifestFinding {
    /// The fields a finding digest covers, keys in alphabetical order (see [`EventFields`]).
    #[derive(serde::Serialize)]
    struct FindingFields<'a> {
        event_ids: &'a [i64],
        explanation: &'a str,
        id: &'a str,
        occurrences: &'a [i64],
        purpose: Option<&'a str>,
        recipient: Option<&'a str>,
        rule: &'a str,
        severity: &'a str,
    }
    let fields = FindingFields {
        event_ids: &f.event_ids,
        explanation: &f.explanation,
        id: &f.id,
        occurrences: &f.occurrences,
        purpose: f.purpose.as_deref(),
        recipient: f.recipient.as_deref(),
        rule: f.rule.as_str(),
        severity: f.severity.as_str(),
    };
    let mut h = HashWriter(Sha256::new());
    let _ = serde_json::to_writer(&mut h, &fields);
    ManifestFinding {
        id: f.id.clone(),
        rule: f.rule.as_str().to_string(),
        sha256: hex::encode(h.0.finalize()),
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
    let mut h = Sha256::new();
    let mut n = 0usize;
    read::for_each_event_stamp(conn, |e| -> Result<(), PackError> {
        let read::EventStamp { id, fingerprint, kind, occurred_at_ms: at, purpose, source_sha256: sha, locator } = e;
        h.update(
            format!("{id}\t{}\t{kind}\t{at:?}\t{purpose:?}\t{sha}\t{locator}\n", hex::encode(fingerprint)).as_bytes(),
        );
        n += 1;
        Ok(())
    })?;
    Ok((n, hex::encode(h.finalize())))
}

/// How many hex digits of SHA-256 the organisation pack keeps per subject and per finding:
/// 128 bits, far beyond what an accidental or forged match needs, at half the size of the
/// extracts (each extract's own full SHA-256 is in the manifest).
pub const SHORT_DIGEST: usize = 32;

/// One subject's events as an organisation pack records them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectDigest {
    /// The subject's stable key, as findings name it (see [`subject_keys`]).
    pub key: String,
    pub events: usize,
    /// The first [`SHORT_DIGEST`] hex digits of [`digest_of`] over the subject's event digests
    /// ([`event_sha256`], as subject packs list them) sorted, so that it depends neither on event
    /// ids nor on the order sources were imported in.
    pub digest: String,
}

/// Every subject's stable key, the one finding ids rest on ([`subject::subject_key`]).
pub fn subject_keys(conn: &Connection) -> Result<HashMap<i64, String>, PackError> {
    Ok(subject::subject_keys(conn)?)
}

/// The keys of subjects read in ascending id order, from a second cursor over the identifiers
/// in the same order (so no map of every subject's key is held).
struct KeysInOrder<'a, 's> {
    identifiers: &'a mut IdentifiersBySubject<'s>,
    /// The identifier read but not yet used: its subject, kind and value.
    pending: Option<(i64, String, String)>,
}

impl KeysInOrder<'_, '_> {
    /// The [`subject::subject_key`] of `subject`, which is greater than every subject asked
    /// for before.
    fn key_of(&mut self, subject: i64) -> Result<String, PackError> {
        let mut identifiers: Vec<(String, String)> = Vec::new();
        loop {
            if self.pending.is_none() {
                self.pending = self.identifiers.next_identifier()?;
            }
            match self.pending.take() {
                Some((s, _, _)) if s < subject => {}
                Some((s, kind, value)) if s == subject => identifiers.push((kind, value)),
                other => {
                    self.pending = other;
                    let pairs = identifiers.iter().map(|(k, v)| (k.as_str(), v.as_str()));
                    return Ok(subject::subject_key(subject, pairs));
                }
            }
        }
    }
}

/// Lower-case hex of a SHA-256, without allocating.
fn hex_of<'b>(digest: &[u8; 32], buf: &'b mut [u8; 64]) -> &'b str {
    // 32 bytes always fit 64 hex digits, which are ASCII.
    let _ = hex::encode_to_slice(digest, buf);
    std::str::from_utf8(buf).unwrap_or_default()
}

/// One subject's events while [`subject_digests`] reads them.
struct SubjectRun {
    subject: i64,
    events: usize,
    /// The digests of the events whose kind is known as read.
    digests: Vec<[u8; 32]>,
    /// The consent events, kept whole in case the subject has a negative signal to resolve
    /// against them, with the SHA-256 of their raw rows by row id.
    consents: Vec<TimelineEvent>,
    raws: HashMap<i64, [u8; 32]>,
    negative: bool,
}

impl SubjectRun {
    fn new(subject: i64) -> Self {
        SubjectRun {
            subject,
            events: 0,
            digests: Vec::new(),
            consents: Vec::new(),
            raws: HashMap::new(),
            negative: false,
        }
    }

    /// The subject's events, count and digest: negative signals resolved as in its timeline
    /// (against the consent events before them), then [`digest_of`] over the event digests sorted.
    fn finish(mut self) -> (i64, usize, String) {
        let mut hex = [0u8; 64];
        if self.negative {
            sort_events(&mut self.consents);
            resolve_statements(&mut self.consents);
            for e in self.consents.iter().filter(|e| e.stated_kind == EventKind::ConsentNegative) {
                let raw = self.raws.get(&e.row_id).map(|raw| hex_of(raw, &mut hex).to_owned());
                self.digests.push(event_digest(e, raw.as_deref()));
            }
        }
        // Sorting the bytes sorts their hex the same way.
        self.digests.sort_unstable();
        let mut h = Sha256::new();
        for d in &self.digests {
            h.update(hex_of(d, &mut hex).as_bytes());
            h.update(b"\n");
        }
        let mut digest = hex::encode(h.finalize());
        digest.truncate(SHORT_DIGEST);
        (self.subject, self.events, digest)
    }
}

/// Every subject's events digested (organisation packs and their verification), sorted by key.
///
/// One streaming pass over the events in subject order, no per-subject query, and nothing
/// copied out of SQLite for most events: an event's digest is computed from the row as read,
/// with the same [`EventFields`] as [`event_sha256`]. Only a negative signal needs the
/// subject's other events (it is read as a withdrawal or a refusal from the consent state
/// before it), so consent events are kept whole until the subject's last row, and negative
/// signals are resolved with the timeline's own functions then.
pub fn subject_digests(conn: &Connection) -> Result<Vec<SubjectDigest>, PackError> {
    let mut out = Vec::new();
    for_each_subject_digest(conn, &mut |d| {
        out.push(d);
        Ok(())
    })?;
    Ok(out)
}

/// [`subject_digests`] one subject at a time, in key order, in memory that does not grow with
/// the data: each subject's digest goes to a temporary table on disk as it is computed, and is
/// read back sorted by key.
pub fn for_each_subject_digest(
    conn: &Connection,
    each: &mut dyn FnMut(SubjectDigest) -> Result<(), PackError>,
) -> Result<(), PackError> {
    let _spill = SpillToDisk::new(conn)?;
    scratch::with_subject_digests(
        conn,
        || digest_subjects(conn),
        |key, events, digest| each(SubjectDigest { key, events, digest }),
    )
}

/// Digests every subject's events into `temp.pack_subject_digests`, in subject id order.
fn digest_subjects(conn: &Connection) -> Result<(), PackError> {
    identity::with_identifiers_by_subject(conn, |identifiers| {
        let mut keys = KeysInOrder { identifiers, pending: None };
        let mut store = |(subject, events, digest): (i64, usize, String)| -> Result<(), PackError> {
            scratch::insert_subject_digest(conn, &keys.key_of(subject)?, events, &digest)?;
            Ok(())
        };
        let source_sha: HashMap<i64, String> = sources::list(conn)?.into_iter().map(|s| (s.id, s.sha256)).collect();
        let mut run: Option<SubjectRun> = None;
        let mut identifier: (i64, String) = (0, String::new());
        let (mut json, mut raw_hex) = (Vec::with_capacity(1024), [0u8; 64]);
        read::for_each_event_by_subject(conn, |r: &SubjectEventRow<'_>| -> Result<(), PackError> {
            let subject = r.subject_id;
            if let Some(finished) = run.take_if(|s| s.subject != subject) {
                store(finished.finish())?;
            }
            let run = run.get_or_insert_with(|| SubjectRun::new(subject));
            // As in subject packs, an event counts only with its source.
            let Some(source_sha256) = source_sha.get(&r.source_id) else { return Ok(()) };
            if identifier.0 != r.identifier_id || identifier.1.is_empty() {
                identifier = (
                    r.identifier_id,
                    crate::model::Identifier { kind: r.identifier_kind.into(), value: r.identifier_value.into() }
                        .to_string(),
                );
            }
            let kind = r.kind.unwrap_or_default().parse::<EventKind>().unwrap_or(EventKind::Processing);
            let raw: [u8; 32] = Sha256::digest(r.raw.unwrap_or_default().as_bytes()).into();
            let event_recipients = &recipients_of(r.recipients_json.unwrap_or("[]"))?;
            run.events += 1;
            if !matches!(kind, EventKind::Processing | EventKind::Disclosure) {
                run.negative |= kind == EventKind::ConsentNegative;
                run.raws.insert(r.row_id, raw);
                let owned = |t: Option<&str>| t.map(str::to_owned);
                run.consents.push(TimelineEvent {
                    id: r.id,
                    identifier: identifier.1.clone(),
                    system: r.system.unwrap_or_default().to_owned(),
                    kind,
                    stated_kind: kind,
                    occurred_at_ms: r.occurred_at_ms,
                    occurred_at_text: owned(r.occurred_at_text),
                    zone_basis: owned(r.zone_basis),
                    purpose: owned(r.purpose),
                    purpose_label: owned(r.purpose_label),
                    recipients: event_recipients.clone(),
                    channel: owned(r.channel),
                    method: owned(r.method),
                    capture_source: owned(r.capture_source),
                    collected_by: owned(r.collected_by),
                    notice_version: owned(r.notice_version),
                    evidence_json: owned(r.evidence),
                    fingerprint: r.fingerprint.to_vec(),
                    row_id: r.row_id,
                    source: Some(SourceRef {
                        id: r.source_id,
                        path: String::new(),
                        sha256: source_sha256.clone(),
                        line: None,
                        locator: r.locator.unwrap_or_default().to_owned(),
                        row_id: r.row_id,
                    }),
                    corroborated_by: Vec::new(),
                    partial: None,
                    folded_into: None,
                });
                if kind == EventKind::ConsentNegative {
                    // Its kind is known once the subject's consent events are.
                    return Ok(());
                }
            }
            let occurred_at = r.occurred_at_ms.map(crate::model::timestamp::format_millis);
            let fields = EventFields {
                channel: r.channel,
                collected_by: r.collected_by,
                evidence: r.evidence,
                identifier: &identifier.1,
                kind: kind.as_str(),
                locator: r.locator,
                method: r.method,
                notice_version: r.notice_version,
                occurred_at: occurred_at.as_deref(),
                occurred_at_text: r.occurred_at_text,
                purpose: r.purpose,
                purpose_label: r.purpose_label,
                raw_sha256: Some(hex_of(&raw, &mut raw_hex)),
                recipients: RecipientNames(event_recipients),
                source_sha256: Some(source_sha256),
                system: r.system.unwrap_or_default(),
                zone_basis: r.zone_basis,
            };
            run.digests.push(fields.digest(&mut json));
            Ok(())
        })?;
        if let Some(finished) = run.take() {
            store(finished.finish())?;
        }
        Ok(())
    })
}

/// An event's recipients from the JSON array of `[label, legal name]` pairs the digest query
/// builds (SQLite's own JSON: it always reads back).
fn recipients_of(json: &str) -> Result<Vec<Recipient>, PackError> {
    if json == "[]" {
        return Ok(Vec::new());
    }
    let pairs: Vec<(String, Option<String>)> = serde_json::from_str(json)?;
    Ok(pairs.into_iter().map(|(label, legal_name)| Recipient { label, legal_name }).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The event digest's JSON is fixed: the keys in alphabetical order, compact, whatever
    /// serde_json features the build enables. Packs already written rest on exactly this text.
    #[test]
    fn event_digest_json_is_fixed() {
        let e = TimelineEvent {
            id: 7,
            identifier: "anna@example.com".into(),
            system: "mailchimp".into(),
            kind: EventKind::ConsentGiven,
            stated_kind: EventKind::ConsentGiven,
            occurred_at_ms: Some(1_672_531_200_000),
            occurred_at_text: Some("2023-01-01 00:00".into()),
            zone_basis: Some("explicit".into()),
            purpose: Some("email-marketing".into()),
            purpose_label: Some("Newsletter".into()),
            recipients: vec![Recipient { label: "acme".into(), legal_name: Some("Acme \"Ltd\"".into()) }],
            channel: Some("email".into()),
            method: Some("double-opt-in".into()),
            capture_source: Some("not covered".into()),
            collected_by: None,
            notice_version: Some("v1".into()),
            evidence_json: Some("{\"a\":1}".into()),
            fingerprint: vec![1, 2],
            row_id: 3,
            source: Some(SourceRef {
                id: 4,
                path: "/not/covered.csv".into(),
                sha256: "cd".into(),
                line: Some(2),
                locator: "line 2".into(),
                row_id: 3,
            }),
            corroborated_by: vec![9],
            partial: None,
            folded_into: None,
        };
        let occurred_at = e.occurred_at();
        let json = serde_json::to_string(&event_fields(&e, occurred_at.as_deref(), Some("ab"))).unwrap_or_default();
        let expected = r#"{"channel":"email","collected_by":null,"evidence":"{\"a\":1}","identifier":"anna@example.com","kind":"consent.given","locator":"line 2","method":"double-opt-in","notice_version":"v1","occurred_at":"2023-01-01T00:00:00Z","occurred_at_text":"2023-01-01 00:00","purpose":"email-marketing","purpose_label":"Newsletter","raw_sha256":"ab","recipients":["Acme \"Ltd\""],"source_sha256":"cd","system":"mailchimp","zone_basis":"explicit"}"#;
        assert_eq!(json, expected);
        let raw_sha = hex::encode(Sha256::digest(b"raw row"));
        assert_eq!(
            event_sha256(&e, Some("raw row")),
            hex::encode(Sha256::digest(
                expected.replace(r#""raw_sha256":"ab""#, &format!(r#""raw_sha256":"{raw_sha}""#)).as_bytes()
            ))
        );
    }

    /// The finding digest's JSON is fixed the same way.
    #[test]
    fn finding_digest_json_is_fixed() {
        let f = Finding {
            id: "F-1".into(),
            rule: crate::rules::RuleId::R2,
            severity: crate::rules::Severity::High,
            subject_id: 1,
            subject_key: "anna@example.com".into(),
            purpose: Some("email-marketing".into()),
            recipient: None,
            at: Some(5),
            occurrences: vec![5, 6],
            event_ids: vec![1, 2],
            systems: vec!["not covered".into()],
            explanation: "Processed without consent.".into(),
        };
        let expected = r#"{"event_ids":[1,2],"explanation":"Processed without consent.","id":"F-1","occurrences":[5,6],"purpose":"email-marketing","recipient":null,"rule":"R2","severity":"high"}"#;
        assert_eq!(manifest_finding(&f).sha256, hex::encode(Sha256::digest(expected.as_bytes())));
    }
}
