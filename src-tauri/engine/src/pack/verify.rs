//! `verify`: checks a pack against itself (seal, pages, attachments, manifest) and against the
//! current database (sources, events, findings, profile), and says exactly what differs.

use std::collections::BTreeMap;
use std::path::Path;

use lopdf::{Dictionary, Document, Object};
use sha2::{Digest, Sha256};

use super::data;
use super::manifest::Manifest;
use super::pdfa::{page_digests, seal_position, sealed_digest, MANIFEST_KEY, PAGES_KEY};
use super::PackError;
use crate::rules::audit;
use crate::store::{profile_doc, Store};

/// One difference found by `verify`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Difference {
    /// `file` (the PDF itself) or `database` (the pack against the current data).
    pub against: String,
    /// What differs: `seal`, `page`, `attachment`, `manifest`, `source`, `event`, `finding`,
    /// `subject`, `profile`.
    pub item: String,
    pub detail: String,
}

/// The result of `verify` (SPEC §9).
#[derive(Debug, Clone, serde::Serialize)]
pub struct VerifyReport {
    pub ok: bool,
    pub differences: Vec<Difference>,
    pub pack_id: Option<String>,
    pub kind: Option<String>,
    pub manifest_sha256: Option<String>,
}

fn diff(against: &str, item: &str, detail: String) -> Difference {
    Difference { against: against.into(), item: item.into(), detail }
}

fn pdf_text(o: &Object) -> Option<String> {
    let Object::String(bytes, _) = o else { return None };
    if bytes.starts_with(&[0xFE, 0xFF]) {
        let units: Vec<u16> =
            bytes[2..].chunks(2).filter(|c| c.len() == 2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
        return String::from_utf16(&units).ok();
    }
    Some(String::from_utf8_lossy(bytes).into_owned())
}

fn resolve<'a>(doc: &'a Document, o: &'a Object) -> Option<&'a Object> {
    match o {
        Object::Reference(id) => doc.get_object(*id).ok(),
        other => Some(other),
    }
}

fn dict<'a>(doc: &'a Document, o: &'a Object) -> Option<&'a Dictionary> {
    resolve(doc, o).and_then(|o| o.as_dict().ok())
}

/// The embedded files by name, decoded.
fn embedded_files(doc: &Document) -> BTreeMap<String, Result<Vec<u8>, String>> {
    let mut out = BTreeMap::new();
    let Ok(catalog) = doc.catalog() else { return out };
    let names = catalog
        .get(b"Names")
        .ok()
        .and_then(|n| dict(doc, n))
        .and_then(|n| n.get(b"EmbeddedFiles").ok())
        .and_then(|e| dict(doc, e))
        .and_then(|e| e.get(b"Names").ok())
        .and_then(|a| resolve(doc, a))
        .and_then(|a| a.as_array().ok());
    let Some(names) = names else { return out };
    for pair in names.chunks(2) {
        let [key, spec] = pair else { continue };
        let Some(name) = pdf_text(key) else { continue };
        let content = dict(doc, spec)
            .and_then(|s| s.get(b"EF").ok())
            .and_then(|ef| dict(doc, ef))
            .and_then(|ef| ef.get(b"F").ok())
            .and_then(|f| resolve(doc, f))
            .and_then(|f| f.as_stream().ok())
            .ok_or_else(|| "the embedded file stream is missing".to_string())
            .and_then(|s| {
                if s.dict.has(b"Filter") {
                    s.decompressed_content().map_err(|e| format!("cannot be decoded: {e}"))
                } else {
                    Ok(s.content.clone())
                }
            });
        out.insert(name, content);
    }
    out
}

/// Verifies the pack at `path`.
pub fn verify(store: &Store, path: &Path) -> Result<VerifyReport, PackError> {
    let bytes = std::fs::read(path).map_err(|source| PackError::Io { path: path.display().to_string(), source })?;
    let mut differences = Vec::new();
    let mut report =
        VerifyReport { ok: false, differences: Vec::new(), pack_id: None, kind: None, manifest_sha256: None };

    // 1. The seal: any edited byte anywhere in the file.
    match seal_position(&bytes) {
        None => differences.push(diff(
            "file",
            "seal",
            "the file has no ConsentTrail seal: it is not a pack, or it was rewritten by another program".into(),
        )),
        Some(at) => {
            let recorded = String::from_utf8_lossy(&bytes[at..at + 64]).into_owned();
            let actual = sealed_digest(&bytes, at);
            if recorded != actual {
                differences.push(diff(
                    "file",
                    "seal",
                    format!("the file was modified after it was written (sealed SHA-256 {recorded}, now {actual})"),
                ));
            }
        }
    }

    let doc = match Document::load_mem(&bytes) {
        Ok(d) => d,
        Err(e) => {
            differences.push(diff("file", "pdf", format!("the file is not a readable PDF: {e}")));
            report.differences = differences;
            return Ok(report);
        }
    };
    let info = doc.trailer.get(b"Info").ok().and_then(|i| dict(&doc, i));

    // 2. Pages.
    let recorded_pages: Vec<String> = info
        .and_then(|i| i.get(PAGES_KEY.as_bytes()).ok())
        .and_then(|a| a.as_array().ok())
        .map(|a| a.iter().filter_map(pdf_text).collect())
        .unwrap_or_default();
    let pages = page_digests(&doc);
    if recorded_pages.len() != pages.len() {
        differences.push(diff(
            "file",
            "page",
            format!("the pack had {} pages, the file now has {}", recorded_pages.len(), pages.len()),
        ));
    }
    for (i, (was, now)) in recorded_pages.iter().zip(&pages).enumerate() {
        if was != now {
            differences.push(diff("file", "page", format!("page {} content differs from what was written", i + 1)));
        }
    }

    // 3. The manifest and the attachments.
    let files = embedded_files(&doc);
    let recorded_manifest = info.and_then(|i| i.get(MANIFEST_KEY.as_bytes()).ok()).and_then(pdf_text);
    let manifest: Option<Manifest> = match files.get("manifest.json") {
        None => {
            differences.push(diff("file", "manifest", "manifest.json is not embedded in the file".into()));
            None
        }
        Some(Err(e)) => {
            differences.push(diff("file", "manifest", format!("manifest.json {e}")));
            None
        }
        Some(Ok(content)) => {
            let sha = hex::encode(Sha256::digest(content));
            report.manifest_sha256 = Some(sha.clone());
            if recorded_manifest.as_deref() != Some(sha.as_str()) {
                differences.push(diff(
                    "file",
                    "manifest",
                    format!(
                        "manifest.json has SHA-256 {sha}, the pack states {}",
                        recorded_manifest.clone().unwrap_or_else(|| "none".into())
                    ),
                ));
            }
            match serde_json::from_slice::<Manifest>(content) {
                Ok(m) => Some(m),
                Err(e) => {
                    differences.push(diff("file", "manifest", format!("manifest.json is not a pack manifest: {e}")));
                    None
                }
            }
        }
    };
    let Some(manifest) = manifest else {
        report.differences = differences;
        return Ok(report);
    };
    report.pack_id = Some(manifest.pack_id.clone());
    report.kind = Some(manifest.kind.clone());
    for a in &manifest.attachments {
        match files.get(&a.name) {
            None => differences.push(diff(
                "file",
                "attachment",
                format!("{} is listed in the manifest but not embedded", a.name),
            )),
            Some(Err(e)) => differences.push(diff("file", "attachment", format!("{} {e}", a.name))),
            Some(Ok(content)) => {
                let sha = hex::encode(Sha256::digest(content));
                if sha != a.sha256 {
                    differences.push(diff(
                        "file",
                        "attachment",
                        format!("{}: SHA-256 is {sha}, the manifest states {}", a.name, a.sha256),
                    ));
                }
            }
        }
    }
    for name in files.keys() {
        if name != "manifest.json" && !manifest.attachments.iter().any(|a| &a.name == name) {
            differences.push(diff("file", "attachment", format!("{name} is embedded but not listed in the manifest")));
        }
    }

    // 4. The current database.
    database_differences(store, &manifest, &mut differences)?;
    report.ok = differences.is_empty();
    report.differences = differences;
    Ok(report)
}

fn database_differences(store: &Store, m: &Manifest, out: &mut Vec<Difference>) -> Result<(), PackError> {
    let conn = store.conn();
    let profile = profile_doc::load(conn)?;
    if data::profile_sha256(&profile) != m.profile_sha256 {
        out.push(diff(
            "database",
            "profile",
            "the organisation profile in force differs from the one the pack was made with".into(),
        ));
    }
    let db_sources = |list: &[super::manifest::ManifestSource], out: &mut Vec<Difference>| {
        for s in &m.sources {
            match list.iter().find(|d| d.sha256 == s.sha256) {
                None => out.push(diff(
                    "database",
                    "source",
                    format!("{} ({}, SHA-256 {}) is no longer in the database", s.path, s.system, s.sha256),
                )),
                Some(d) if d != s => out.push(diff(
                    "database",
                    "source",
                    format!(
                        "{}: rows imported/rejected were {}/{}, now {}/{}",
                        s.path, s.rows_imported, s.rows_rejected, d.rows_imported, d.rows_rejected
                    ),
                )),
                Some(_) => {}
            }
        }
        for d in list {
            if !m.sources.iter().any(|s| s.sha256 == d.sha256) {
                out.push(diff(
                    "database",
                    "source",
                    format!("{} ({}) was imported after the pack was made", d.path, d.system),
                ));
            }
        }
    };
    if m.kind == "organisation" {
        let (findings, _, _, _) = audit::compute(conn, &profile)?;
        let (sources, events_count, events_sha256, findings_count, findings_sha256) =
            super::organisation::database_parts(conn, &findings)?;
        db_sources(&sources, out);
        if events_sha256 != m.events_sha256 {
            out.push(diff("database", "event", format!("the events differ: the pack rests on {} events, the database now has {events_count} (digest changed)", m.events_count)));
        }
        if findings_sha256 != m.findings_sha256 {
            out.push(diff(
                "database",
                "finding",
                format!("the findings differ: {} in the pack, {findings_count} now", m.findings_count),
            ));
        }
        return Ok(());
    }
    let Some(subject) = &m.subject else {
        out.push(diff("file", "manifest", "a subject pack manifest without a subject".into()));
        return Ok(());
    };
    let d = match data::subject_data(conn, &profile, &subject.primary) {
        Ok(d) => d,
        Err(PackError::NotFound(_)) => {
            out.push(diff(
                "database",
                "subject",
                format!("no subject has the identifier {} any more", subject.primary),
            ));
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    let ids: Vec<String> = d.identifiers.iter().map(|i| i.display()).collect();
    for i in &subject.identifiers {
        if !ids.contains(i) {
            out.push(diff("database", "subject", format!("identifier {i} no longer belongs to this subject")));
        }
    }
    for i in &ids {
        if !subject.identifiers.contains(i) {
            out.push(diff("database", "subject", format!("identifier {i} now belongs to this subject")));
        }
    }
    let sources: Vec<_> = d.sources.iter().map(data::manifest_source).collect();
    db_sources(&sources, out);
    let now: BTreeMap<i64, super::manifest::ManifestEvent> =
        data::manifest_events(&d).into_iter().map(|e| (e.id, e)).collect();
    for e in &m.events {
        match now.get(&e.id) {
            None => out.push(diff("database", "event", format!("{} is no longer in the database", e.summary))),
            Some(n) if n.sha256 != e.sha256 => {
                out.push(diff("database", "event", format!("{} changed: now {}", e.summary, n.summary)))
            }
            Some(_) => {}
        }
    }
    for (id, n) in &now {
        if !m.events.iter().any(|e| e.id == *id) {
            out.push(diff("database", "event", format!("{} is new since the pack was made", n.summary)));
        }
    }
    let findings: Vec<_> = d.findings.iter().map(data::manifest_finding).collect();
    for f in &m.findings {
        match findings.iter().find(|n| n.id == f.id) {
            None => out.push(diff("database", "finding", format!("finding {} ({}) no longer holds", f.id, f.summary))),
            Some(n) if n.sha256 != f.sha256 => out.push(diff(
                "database",
                "finding",
                format!("finding {} changed: was {}, now {}", f.id, f.summary, n.summary),
            )),
            Some(_) => {}
        }
    }
    for n in &findings {
        if !m.findings.iter().any(|f| f.id == n.id) {
            out.push(diff(
                "database",
                "finding",
                format!("finding {} ({}) is new since the pack was made", n.id, n.summary),
            ));
        }
    }
    Ok(())
}
