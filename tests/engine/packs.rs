//! Evidence packs (SPEC §5) checked with real tools: qpdf, poppler's pdffonts / pdftotext /
//! pdfdetach, and `verify` against every kind of tampering.

use std::path::{Path, PathBuf};
use std::process::Command;

use consenttrail_engine::pack::{self, PackOptions};
use consenttrail_engine::rules::audit;
use consenttrail_engine::store::{identity, Store};
use sha2::{Digest, Sha256};

use crate::support::*;

pub(crate) const ANNA: &str = "anna.kowalska@example.pl";
const ELENI: &str = "eleni.papadopoulou@example.gr";
pub(crate) const IVAN: &str = "ivan.petrov@example.ru";
const YUKI: &str = "yuki.tanaka@example.jp";

/// Subject-pack options with a case reference and a fixed generation time (byte-identical packs).
pub(crate) fn at() -> PackOptions {
    PackOptions {
        case_reference: Some("DSAR-2024-017".into()),
        generated_at: Some("2024-03-01T12:00:00Z".parse().unwrap()),
        ..Default::default()
    }
}

/// A database with every fixture export imported.
pub(crate) fn loaded() -> (tempfile::TempDir, Store) {
    let (dir, mut store) = temp_store();
    let report = import(&mut store, &[fixtures().join("exports")]);
    assert!(!report.any_failed(), "fixture import failed");
    (dir, store)
}

/// Runs a command-line tool; (success, stdout and stderr).
pub(crate) fn run(tool: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(tool).args(args).output().unwrap_or_else(|e| panic!("{tool} not runnable: {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// Writes `who`'s pack into `dir`.
pub(crate) fn write(store: &Store, dir: &Path, who: &str) -> PathBuf {
    let path = dir.join(format!("{who}.pdf"));
    pack::write_subject_pack(store, who, &path, &at()).unwrap();
    path
}

fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn subject_packs_pass_qpdf_embed_subset_fonts_and_extract_every_script() {
    let (dir, store) = loaded();
    let expected = [(ANNA, "Kowalska-Żółć"), (ELENI, "Παπαδοπούλου"), (IVAN, "Петров"), (YUKI, "田中")];
    for (who, name) in expected {
        let path = write(&store, dir.path(), who);
        let p = path.to_str().unwrap();
        let (ok, out) = run("qpdf", &["--check", p]);
        assert!(ok && out.contains("No syntax or stream encoding errors"), "qpdf --check {who}: {out}");
        assert!(!out.to_lowercase().contains("warning"), "qpdf warnings for {who}: {out}");

        let (ok, fonts) = run("pdffonts", &[p]);
        assert!(ok, "{fonts}");
        let rows: Vec<&str> = fonts.lines().skip(2).filter(|l| !l.trim().is_empty()).collect();
        assert!(!rows.is_empty(), "no fonts listed: {fonts}");
        for row in &rows {
            let cols: Vec<&str> = row.split_whitespace().collect();
            // name type encoding emb sub uni object ID
            let n = cols.len();
            assert_eq!(&cols[n - 5..n - 2], &["yes", "yes", "yes"], "font not embedded+subset+unicode: {row}");
            assert!(cols[0].len() > 7 && cols[0].as_bytes()[6] == b'+', "no subset tag: {row}");
        }

        let (ok, text) = run("pdftotext", &["-enc", "UTF-8", p, "-"]);
        assert!(ok, "{text}");
        assert!(text.contains(name), "{who}: name {name} not extractable");
        assert!(text.contains("Page 1 of"), "{who}: no page numbers");
        assert!(text.contains("DSAR-2024-017"), "{who}: no case reference");
        assert!(text.contains(who), "{who}: primary identifier missing");
    }
    // The CJK name needs the fallback face: both faces are embedded in that pack.
    let (_, fonts) = run("pdffonts", &[dir.path().join(format!("{YUKI}.pdf")).to_str().unwrap()]);
    assert!(fonts.contains("DroidSansFallbackFull") && fonts.contains("DejaVuSans"), "{fonts}");
}

#[test]
fn findings_text_and_legal_references_are_in_the_pack() {
    let (dir, mut store) = loaded();
    audit::run(&mut store).unwrap();
    let subject = identity::subject_of(store.conn(), ANNA).unwrap().unwrap();
    let findings = audit::stored_findings(store.conn(), None, Some(subject)).unwrap();
    assert!(!findings.is_empty(), "fixture subject has findings");
    let path = write(&store, dir.path(), ANNA);
    let (_, text) = run("pdftotext", &["-enc", "UTF-8", path.to_str().unwrap(), "-"]);
    let text = squash(&text);
    for f in &findings {
        let start: String = squash(&f.explanation).chars().take(40).collect();
        assert!(text.contains(&start), "finding text missing: {start}");
        assert!(text.contains(f.rule.code()), "rule code missing: {}", f.rule.code());
        assert!(text.contains(&f.id), "finding id missing: {}", f.id);
    }
    for section in
        ["1. Summary", "2. Findings", "3. Timeline", "4. Recipients", "5. Provenance", "6. Integrity", "7. Attachments"]
    {
        assert!(text.contains(section), "section {section} missing");
    }
}

#[test]
fn attachments_are_this_subjects_rows_only_and_match_the_manifest() {
    let (dir, store) = loaded();
    let path = write(&store, dir.path(), ELENI);
    let p = path.to_str().unwrap();
    let (ok, list) = run("pdfdetach", &["-list", p]);
    assert!(ok, "{list}");
    assert!(list.contains("manifest.json"), "{list}");
    assert!(list.contains("source-"), "{list}");
    let out = dir.path().join("detached");
    std::fs::create_dir_all(&out).unwrap();
    let (ok, msg) = run("pdfdetach", &["-saveall", "-o", out.to_str().unwrap(), p]);
    assert!(ok, "{msg}");
    let manifest: pack::manifest::Manifest =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert!(!manifest.attachments.is_empty());
    for a in &manifest.attachments {
        let bytes = std::fs::read(out.join(&a.name)).unwrap_or_else(|_| panic!("{} not detached", a.name));
        assert_eq!(hex::encode(Sha256::digest(&bytes)), a.sha256, "{}", a.name);
        let text = String::from_utf8(bytes).unwrap();
        for other in ["Kowalska", "Петров", "田中", "ivan.petrov", "yuki.tanaka"] {
            assert!(!text.contains(other), "{} contains another person's row ({other})", a.name);
        }
    }
    // The footer states the manifest's SHA-256.
    let manifest_sha = hex::encode(Sha256::digest(std::fs::read(out.join("manifest.json")).unwrap()));
    let (_, text) = run("pdftotext", &["-enc", "UTF-8", p, "-"]);
    let pages = text.matches('\u{c}').count();
    assert!(text.matches(&manifest_sha).count() >= pages, "manifest SHA-256 not on every page");
}

#[test]
fn same_database_profile_and_time_give_byte_identical_packs() {
    let (_dir, store) = loaded();
    let a = pack::render_subject(&store, ANNA, &at()).unwrap();
    let b = pack::render_subject(&store, ANNA, &at()).unwrap();
    assert_eq!(a.bytes, b.bytes);
    assert_eq!(a.manifest_sha256, b.manifest_sha256);
    let mut later = at();
    later.generated_at = Some("2024-03-02T12:00:00Z".parse().unwrap());
    let c = pack::render_subject(&store, ANNA, &later).unwrap();
    assert_ne!(a.bytes, c.bytes);
    // No stream's data ends in CR (PDF/A: lopdf writes `data\nendstream`).
    assert!(!a.bytes.windows(11).any(|w| w == b"\r\nendstream"));
}

#[test]
fn verify_accepts_an_intact_pack_and_names_each_kind_of_tampering() {
    let (dir, mut store) = loaded();
    let path = write(&store, dir.path(), IVAN);
    let report = pack::verify(&store, &path).unwrap();
    assert!(report.ok, "{:?}", report.differences);

    // An edited byte anywhere in the file.
    let bytes = std::fs::read(&path).unwrap();
    let mut edited = bytes.clone();
    let at = edited.len() / 2;
    edited[at] ^= 0x01;
    let tampered = dir.path().join("byte.pdf");
    std::fs::write(&tampered, &edited).unwrap();
    let r = pack::verify(&store, &tampered).unwrap();
    assert!(!r.ok);
    assert!(r.differences.iter().any(|d| d.item == "seal"), "{:?}", r.differences);

    // An attachment replaced (the PDF rewritten by another program).
    let mut doc = lopdf::Document::load_mem(&bytes).unwrap();
    let target = doc
        .objects
        .iter()
        .find(|(_, o)| {
            o.as_stream()
                .map(|s| s.dict.get(b"Type").and_then(|t| t.as_name()).ok() == Some(b"EmbeddedFile".as_slice()))
                .unwrap_or(false)
                && !o.as_stream().unwrap().decompressed_content().unwrap_or_default().starts_with(b"{\n  \"format\"")
        })
        .map(|(id, _)| *id)
        .expect("an extract");
    if let Ok(lopdf::Object::Stream(s)) = doc.get_object_mut(target) {
        s.dict.remove(b"Filter");
        s.set_content(b"source_file,line\r\nforged.csv,1\r\n".to_vec());
    }
    let forged = dir.path().join("attachment.pdf");
    doc.save(&forged).unwrap();
    let r = pack::verify(&store, &forged).unwrap();
    assert!(!r.ok);
    assert!(
        r.differences.iter().any(|d| d.item == "attachment" && d.detail.contains("SHA-256")),
        "{:?}",
        r.differences
    );

    // A changed event in the database.
    let subject = identity::subject_of(store.conn(), IVAN).unwrap().unwrap();
    let event: i64 = store
        .conn()
        .query_row(
            "SELECT e.id FROM events e JOIN identifiers i ON i.id = e.identifier_id WHERE i.subject_id = ?1 ORDER BY e.id LIMIT 1",
            [subject],
            |r| r.get(0),
        )
        .unwrap();
    store.conn().execute("UPDATE events SET notice_version = 'forged-v9' WHERE id = ?1", [event]).unwrap();
    let r = pack::verify(&store, &path).unwrap();
    assert!(!r.ok);
    assert!(
        r.differences.iter().any(|d| d.item == "event"
            && d.detail.contains(&format!("event {event}:"))
            && d.detail.contains("changed")),
        "{:?}",
        r.differences
    );
    store.conn().execute("UPDATE events SET notice_version = NULL WHERE id = ?1", [event]).unwrap();

    // A removed source.
    let source: i64 =
        store.conn().query_row("SELECT source_id FROM events WHERE id = ?1", [event], |r| r.get(0)).unwrap();
    consenttrail_engine::import::derive::remove_source(store.conn_mut(), source).unwrap();
    let r = pack::verify(&store, &path).unwrap();
    assert!(!r.ok);
    assert!(
        r.differences.iter().any(|d| d.item == "source" && d.detail.contains("no longer in the database")),
        "{:?}",
        r.differences
    );
}

#[test]
fn organisation_pack_reports_findings_method_and_provenance() {
    let (dir, mut store) = loaded();
    let path = dir.path().join("org.pdf");
    let out = pack::write_organisation_pack(&mut store, &path, &at()).unwrap();
    assert!(out.pages >= 3);
    let p = path.to_str().unwrap();
    let (ok, check) = run("qpdf", &["--check", p]);
    assert!(ok && check.contains("No syntax or stream encoding errors"), "{check}");
    let (_, text) = run("pdftotext", &["-enc", "UTF-8", p, "-"]);
    for needle in [
        "Consent programme audit",
        "By rule",
        "Method statement",
        "Not evaluated",
        "Provenance",
        "Subjects with high-severity findings",
    ] {
        assert!(text.contains(needle), "{needle} missing");
    }
    assert!(text.contains("subjects.csv") && text.contains("findings.csv"), "extracts not listed in the pack");
    let (ok, list) = run("pdfdetach", &["-list", p]);
    assert!(ok && list.contains("subjects.csv") && list.contains("findings.csv"), "{list}");
    let report = pack::verify(&store, &path).unwrap();
    assert!(report.ok, "{:?}", report.differences);
    let again = pack::render_organisation(&mut store, &at()).unwrap();
    assert_eq!(again.bytes, std::fs::read(&path).unwrap(), "organisation pack is deterministic");
    // Generation is in the audit log with its hashes.
    let log = consenttrail_engine::store::audit_log::list(store.conn()).unwrap();
    assert!(log.iter().any(|e| e.action == "pack" && e.detail["sha256"] == out.sha256.as_str()));
}

#[test]
fn unknown_subject_is_a_clear_error() {
    let (dir, store) = loaded();
    let err = pack::write_subject_pack(&store, "nobody@example.org", &dir.path().join("x.pdf"), &at()).unwrap_err();
    assert!(err.to_string().contains("nobody@example.org"), "{err}");
}

/// PDF/A-3b validation with `page` (PyPI `page-validation`, a veraPDF-corpus-tested validator
/// that runs offline). Every rule must pass, for a subject pack (CJK fallback, attachments) and
/// for the organisation pack.
#[test]
fn packs_validate_as_pdfa_3b() {
    let (dir, mut store) = loaded();
    let subject = write(&store, dir.path(), YUKI);
    let org = dir.path().join("org.pdf");
    pack::write_organisation_pack(&mut store, &org, &at()).unwrap();
    let script = [
        "import sys, page",
        "for p in sys.argv[1:]:",
        "    r = page.validate_pdf(p, profile='3b')",
        "    for f in r.failures: print(p, f.rule_id, f.message)",
        "    print(p, 'compliant' if r.is_compliant else 'NOT compliant', r.rules.failed, 'failed rules')",
    ]
    .join("\n");
    let script = script.as_str();
    let (ok, out) = run("python3", &["-c", script, subject.to_str().unwrap(), org.to_str().unwrap()]);
    assert!(ok, "the PDF/A validator did not run (pip install page-validation): {out}");
    assert_eq!(out.matches(" compliant 0 failed rules").count(), 2, "{out}");
}

/// The key findings and the organisation pack's subjects.csv name a subject by: its first e-mail,
/// else phone, else system identifier.
fn subject_key(store: &Store, who: &str) -> String {
    let subject = identity::subject_of(store.conn(), who).unwrap().unwrap();
    let ids = identity::identifiers_of(store.conn(), subject).unwrap();
    let rank = |kind: &str| match kind {
        "email" => 0,
        "phone" => 1,
        _ => 2,
    };
    ids.iter().map(|i| (rank(&i.kind), i.display())).min().unwrap().1
}

/// Detaches every file of a pack into `dir/name` and returns its manifest.
fn detach(pdf: &Path, dir: &Path, name: &str) -> (PathBuf, pack::manifest::Manifest) {
    let out = dir.join(name);
    std::fs::create_dir_all(&out).unwrap();
    let (ok, msg) = run("pdfdetach", &["-saveall", "-o", out.to_str().unwrap(), pdf.to_str().unwrap()]);
    assert!(ok, "{msg}");
    let manifest = serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    (out, manifest)
}

/// The rows of a CSV extract, header first.
fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(bytes);
    reader.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect()
}

/// A stream's data, decoded.
/// A stream's content, inflated when it is compressed.
pub(crate) fn plain(s: &lopdf::Stream) -> Vec<u8> {
    if s.dict.has(b"Filter") {
        s.decompressed_content().unwrap_or_default()
    } else {
        s.content.clone()
    }
}

fn org_pack(store: &mut Store, dir: &Path) -> PathBuf {
    let path = dir.join("org.pdf");
    pack::write_organisation_pack(store, &path, &at()).unwrap();
    let report = pack::verify(store, &path).unwrap();
    assert!(report.ok, "a fresh organisation pack must verify: {:?}", report.differences);
    path
}

fn details(r: &pack::VerifyReport, item: &str) -> Vec<String> {
    r.differences.iter().filter(|d| d.item == item).map(|d| d.detail.clone()).collect()
}

#[test]
fn organisation_pack_embeds_per_subject_digests_that_agree_with_subject_packs() {
    let (dir, mut store) = loaded();
    let path = org_pack(&mut store, dir.path());
    let (out, manifest) = detach(&path, dir.path(), "org");
    let names: Vec<&str> = manifest.attachments.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["findings.csv", "subjects.csv"]);
    // The extracts end in CRLF; no stream's data may end in CR (PDF/A).
    assert!(!std::fs::read(&path).unwrap().windows(11).any(|w| w == b"\r\nendstream"));
    for a in &manifest.attachments {
        let bytes = std::fs::read(out.join(&a.name)).unwrap_or_else(|_| panic!("{} not detached", a.name));
        assert_eq!(hex::encode(Sha256::digest(&bytes)), a.sha256, "{}", a.name);
        assert_eq!(bytes.len(), a.bytes, "{}", a.name);
    }

    // subjects.csv: one row per subject with events, sorted by key, covering every event.
    let rows = csv_rows(&std::fs::read(out.join("subjects.csv")).unwrap());
    assert_eq!(rows[0], ["subject", "events", "digest"]);
    let rows = &rows[1..];
    let subjects =
        count(&store, "SELECT count(DISTINCT i.subject_id) FROM events e JOIN identifiers i ON i.id = e.identifier_id");
    assert_eq!(rows.len() as i64, subjects);
    let total: usize = rows.iter().map(|r| r[1].parse::<usize>().unwrap()).sum();
    assert_eq!(total, manifest.events_count);
    assert!(rows.windows(2).all(|w| w[0][0] < w[1][0]), "rows not sorted by subject");
    assert!(rows.iter().all(|r| r[2].len() == 32 && r[2].bytes().all(|b| b.is_ascii_hexdigit())));

    // For every subject, the digest is the one its subject pack's manifest lists per event,
    // sorted and hashed (negative signals included: they are resolved as in the timeline).
    assert!(count(&store, "SELECT count(*) FROM events WHERE kind = 'consent.negative'") > 0);
    for row in rows {
        // Keys are written as findings.csv writes them: a phone number's `+` behind a `'`.
        let who = row[0].strip_prefix('\'').unwrap_or(&row[0]);
        let m = pack::render_subject(&store, who, &at()).unwrap();
        let doc = lopdf::Document::load_mem(&m.bytes).unwrap();
        let manifest = doc
            .objects
            .values()
            .filter_map(|o| o.as_stream().ok())
            .map(plain)
            .find(|c| c.starts_with(b"{\n  \"format\""))
            .unwrap();
        let m: pack::manifest::Manifest = serde_json::from_slice(&manifest).unwrap();
        assert_eq!(row[1], m.events.len().to_string(), "{who}");
        let mut each: Vec<&str> = m.events.iter().map(|e| e.sha256.as_str()).collect();
        each.sort();
        let mut h = Sha256::new();
        for d in each {
            h.update(d.as_bytes());
            h.update(b"\n");
        }
        assert_eq!(row[2], hex::encode(h.finalize())[..32], "{who}: subjects.csv and the subject pack disagree");
    }

    // findings.csv carries a digest per finding.
    let rows = csv_rows(&std::fs::read(out.join("findings.csv")).unwrap());
    assert_eq!(rows[0].last().map(String::as_str), Some("digest"), "{:?}", rows[0]);
    assert_eq!(rows.len() - 1, manifest.findings_count);
    assert!(rows[1..].iter().all(|r| r.last().unwrap().len() == 32));
}

#[test]
fn organisation_verify_names_a_changed_event_by_its_subject() {
    let (dir, mut store) = loaded();
    let path = org_pack(&mut store, dir.path());
    let ivan = subject_key(&store, IVAN);
    let subject = identity::subject_of(store.conn(), IVAN).unwrap().unwrap();
    let (event, was): (i64, Option<String>) = store
        .conn()
        .query_row(
            "SELECT e.id, e.notice_version FROM events e JOIN identifiers i ON i.id = e.identifier_id
             WHERE i.subject_id = ?1 ORDER BY e.id LIMIT 1",
            [subject],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    store.conn().execute("UPDATE events SET notice_version = 'forged-v9' WHERE id = ?1", [event]).unwrap();
    let r = pack::verify(&store, &path).unwrap();
    assert!(!r.ok);
    let events = details(&r, "event");
    let named: Vec<&String> = events.iter().filter(|d| d.starts_with("events of subject")).collect();
    assert_eq!(named.len(), 1, "{events:?}");
    let n = count(
        &store,
        &format!(
            "SELECT count(*) FROM events e JOIN identifiers i ON i.id = e.identifier_id WHERE i.subject_id = {subject}"
        ),
    );
    assert_eq!(*named[0], format!("events of subject {ivan} changed ({n} events in the pack, {n} now)"));
    assert!(n > 1);
    assert!(events[0].starts_with("the events of 1 subject(s) differ"), "summary first: {events:?}");
    assert!(details(&r, "subject").is_empty(), "{:?}", r.differences);

    // Put back as it was: the pack verifies again.
    store.conn().execute("UPDATE events SET notice_version = ?2 WHERE id = ?1", rusqlite::params![event, was]).unwrap();
    let r = pack::verify(&store, &path).unwrap();
    assert!(r.ok, "{:?}", r.differences);
}

#[test]
fn organisation_verify_names_subjects_and_findings_that_are_gone() {
    let (dir, mut store) = loaded();
    let path = org_pack(&mut store, dir.path());
    let anna = subject_key(&store, ANNA);
    let subject = identity::subject_of(store.conn(), ANNA).unwrap().unwrap();
    let findings = audit::stored_findings(store.conn(), None, Some(subject)).unwrap();
    assert!(!findings.is_empty(), "the fixture subject has findings");
    let n = count(
        &store,
        &format!(
            "SELECT count(*) FROM events e JOIN identifiers i ON i.id = e.identifier_id WHERE i.subject_id = {subject}"
        ),
    );
    store
        .conn()
        .execute(
            "DELETE FROM events WHERE identifier_id IN (SELECT id FROM identifiers WHERE subject_id = ?1)",
            [subject],
        )
        .unwrap();
    let r = pack::verify(&store, &path).unwrap();
    assert!(!r.ok);
    assert_eq!(
        details(&r, "subject"),
        [format!("subject {anna} has no events in the database any more ({n} events in the pack)")],
        "{:?}",
        r.differences
    );
    let gone = details(&r, "finding");
    assert!(gone[0].starts_with("the findings differ:"), "{gone:?}");
    for f in &findings {
        assert!(
            gone.iter().any(|d| d.starts_with(&format!("finding {} {} for {anna}", f.rule.as_str(), f.rule.code()))
                && d.contains(&format!("(id {})", f.id))
                && d.ends_with("is no longer produced")),
            "finding {} not named: {gone:?}",
            f.id
        );
    }
    assert_eq!(gone.len(), findings.len() + 1, "only this subject's findings are gone: {gone:?}");
}

/// Imports one event of a subject the loaded set does not have (newcomer@example.org), with an
/// R2 finding of its own.
fn import_newcomer(store: &mut Store, dir: &Path) {
    let csv = dir.join("newcomer.csv");
    std::fs::write(
        &csv,
        "subject,kind,occurred_at,purpose,recipients,channel,method,notice_version,evidence\n\
         newcomer@example.org,processing,2023-05-01T10:00:00Z,email-marketing,,email,,,\n",
    )
    .unwrap();
    assert!(!import(store, &[csv]).any_failed());
}

#[test]
fn organisation_verify_names_a_new_subject_and_its_finding() {
    let (dir, mut store) = loaded();
    let path = org_pack(&mut store, dir.path());
    import_newcomer(&mut store, dir.path());
    let of_record = count(&store, "SELECT count(*) FROM findings");
    let r = pack::verify(&store, &path).unwrap();
    // The audit verify recomputed went to a temporary table, not over the audit of record (which
    // is stale here: the newcomer came after it), and the table is gone afterwards.
    assert_eq!(count(&store, "SELECT count(*) FROM findings"), of_record);
    assert_eq!(count(&store, "SELECT count(*) FROM findings WHERE subject_key LIKE '%newcomer%'"), 0);
    assert_eq!(count(&store, "SELECT count(*) FROM sqlite_temp_master WHERE name = 'recomputed_findings'"), 0);
    assert_eq!(count(&store, "PRAGMA temp_store"), 2, "temporary storage in memory again");
    assert_eq!(count(&store, "PRAGMA cache_size"), -65536, "the usual page cache again");
    assert!(!r.ok);
    assert_eq!(
        details(&r, "subject"),
        ["subject newcomer@example.org is new since the pack was made (1 event)"],
        "{:?}",
        r.differences
    );
    assert!(details(&r, "source").iter().any(|d| d.contains("newcomer.csv") && d.contains("imported after")));
    let findings = details(&r, "finding");
    assert!(
        findings
            .iter()
            .any(|d| d.starts_with("finding R2 no-valid-consent for newcomer@example.org, purpose email-marketing")
                && d.ends_with("is new since the pack was made")),
        "{findings:?}"
    );
    assert!(findings.iter().all(|d| !d.ends_with("is no longer produced")), "{findings:?}");
}

/// verify lets the pack's bytes and parsed document go while it compares the database, and
/// reads the file again only to read an extract's rows: the file read again must be the very
/// one verified. Here it is swapped, mid-verify, for a pack of the current data (whose extracts
/// would agree with the database): its rows are not read, the findings fall back to totals,
/// and the report says why.
#[test]
fn organisation_verify_does_not_read_rows_from_a_file_swapped_while_it_runs() {
    let (dir, mut store) = loaded();
    let path = org_pack(&mut store, dir.path());
    import_newcomer(&mut store, dir.path());
    let current = dir.path().join("current.pdf");
    pack::write_organisation_pack(&mut store, &current, &at()).unwrap();
    let mut swapped = false;
    let r = pack::verify_with_progress(&store, &path, &mut |p| {
        if p.label == "checking the rules" && !swapped {
            std::fs::copy(&current, &path).unwrap();
            swapped = true;
        }
    })
    .unwrap();
    assert!(swapped, "the file was swapped while verify ran");
    assert!(!r.ok);
    // Said of the file itself, whatever the comparison made of the extracts it could not read.
    let file = r.differences.iter().filter(|d| d.against == "file").map(|d| d.detail.as_str()).collect::<Vec<_>>();
    assert!(file.iter().any(|d| d.starts_with("the file changed while verify was reading it")), "{:?}", r.differences);
    let findings = details(&r, "finding");
    assert!(
        findings.iter().any(|d| d.starts_with("the findings differ:")
            && d.contains("findings.csv cannot be read: the file changed while verify was reading it")),
        "{findings:?}"
    );
    assert!(
        findings.iter().all(|d| !d.starts_with("finding ")),
        "no finding is named from the swapped file: {findings:?}"
    );
    let events = details(&r, "event");
    assert!(
        events.iter().any(|d| d.contains("subjects.csv cannot be read: the file changed while verify was reading it")),
        "{events:?}"
    );
}

#[test]
fn organisation_verify_names_the_subjects_of_a_removed_source() {
    let (dir, mut store) = loaded();
    let path = org_pack(&mut store, dir.path());
    let ivan = subject_key(&store, IVAN);
    let subject = identity::subject_of(store.conn(), IVAN).unwrap().unwrap();
    let source: i64 = store
        .conn()
        .query_row(
            "SELECT e.source_id FROM events e JOIN identifiers i ON i.id = e.identifier_id WHERE i.subject_id = ?1
             ORDER BY e.id LIMIT 1",
            [subject],
            |r| r.get(0),
        )
        .unwrap();
    let touched: Vec<String> = {
        let mut stmt = store
            .conn()
            .prepare("SELECT DISTINCT i.subject_id FROM events e JOIN identifiers i ON i.id = e.identifier_id WHERE e.source_id = ?1")
            .unwrap();
        let ids: Vec<i64> = stmt.query_map([source], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
        ids.iter()
            .map(|s| {
                let first = identity::identifiers_of(store.conn(), *s).unwrap()[0].display();
                subject_key(&store, &first)
            })
            .collect()
    };
    consenttrail_engine::import::derive::remove_source(store.conn_mut(), source).unwrap();
    let r = pack::verify(&store, &path).unwrap();
    assert!(!r.ok);
    assert!(details(&r, "source").iter().any(|d| d.contains("no longer in the database")), "{:?}", r.differences);
    let named: Vec<String> = r
        .differences
        .iter()
        .filter(|d| d.detail.starts_with("events of subject ") || d.detail.starts_with("subject "))
        .map(|d| d.detail.clone())
        .collect();
    assert!(named.iter().any(|d| d.contains(&ivan)), "{ivan} not named: {named:?}");
    for key in &touched {
        assert!(named.iter().any(|d| d.contains(&format!(" {key} "))), "{key} not named: {named:?}");
    }
}

#[test]
fn organisation_verify_catches_a_tampered_digest_extract() {
    let (dir, mut store) = loaded();
    let path = org_pack(&mut store, dir.path());
    let mut doc = lopdf::Document::load(&path).unwrap();
    let target = doc
        .objects
        .iter()
        .find(|(_, o)| o.as_stream().is_ok_and(|s| plain(s).starts_with(b"subject,events,digest")))
        .map(|(id, _)| *id)
        .expect("subjects.csv");
    if let Ok(lopdf::Object::Stream(s)) = doc.get_object_mut(target) {
        let text = String::from_utf8(plain(s)).unwrap();
        // Claim that Ivan had one event more.
        let key = subject_key(&store, IVAN);
        let forged: String = text
            .split_inclusive("\r\n")
            .map(|l| {
                if l.starts_with(&format!("\"{key}\",")) {
                    let cells: Vec<&str> = l.trim_end().split(',').collect();
                    let n: usize = cells[1].trim_matches('"').parse().unwrap();
                    format!("{},\"{}\",{}\r\n", cells[0], n + 1, cells[2])
                } else {
                    l.to_string()
                }
            })
            .collect();
        assert_ne!(forged, text);
        s.dict.remove(b"Filter");
        s.set_content(forged.into_bytes());
    }
    let forged = dir.path().join("forged.pdf");
    doc.save(&forged).unwrap();
    let r = pack::verify(&store, &forged).unwrap();
    assert!(!r.ok);
    assert!(
        r.differences
            .iter()
            .any(|d| d.against == "file" && d.item == "attachment" && d.detail.starts_with("subjects.csv: SHA-256")),
        "{:?}",
        r.differences
    );
    // The forged extract is not trusted: the untouched database shows no difference.
    assert!(r.differences.iter().all(|d| d.against == "file"), "{:?}", r.differences);

    // With the database changed too, verify falls back to the totals and says why.
    store
        .conn()
        .execute("UPDATE events SET occurred_at = occurred_at + 1000 WHERE id = (SELECT min(id) FROM events WHERE occurred_at IS NOT NULL)", [])
        .unwrap();
    let r = pack::verify(&store, &forged).unwrap();
    let events = details(&r, "event");
    assert!(
        events.iter().any(|d| d.contains("subjects.csv in the file is not the one the manifest states")),
        "{events:?}"
    );
}

#[test]
fn organisation_verify_of_a_pack_without_digests_falls_back_to_totals() {
    let (dir, mut store) = loaded();
    let path = org_pack(&mut store, dir.path());
    // Make the pack look like one written before per-subject and per-finding digests: no
    // subjects.csv in the manifest, findings.csv without its digest column.
    let mut doc = lopdf::Document::load(&path).unwrap();
    let stream_starting = |doc: &lopdf::Document, prefix: &[u8]| {
        doc.objects
            .iter()
            .find(|(_, o)| o.as_stream().is_ok_and(|s| plain(s).starts_with(prefix)))
            .map(|(id, _)| *id)
            .unwrap()
    };
    let findings_id = stream_starting(&doc, b"id,rule,");
    let manifest_id = stream_starting(&doc, b"{\n  \"format\"");
    let mut old_findings = String::new();
    if let Ok(lopdf::Object::Stream(s)) = doc.get_object_mut(findings_id) {
        let text = String::from_utf8(plain(s)).unwrap();
        for line in text.split_terminator("\r\n") {
            old_findings.push_str(line.rsplit_once(',').unwrap().0);
            old_findings.push_str("\r\n");
        }
        s.dict.remove(b"Filter");
        s.set_content(old_findings.clone().into_bytes());
    }
    if let Ok(lopdf::Object::Stream(s)) = doc.get_object_mut(manifest_id) {
        let mut m: pack::manifest::Manifest = serde_json::from_slice(&plain(s)).unwrap();
        m.attachments.retain(|a| a.name != "subjects.csv");
        let f = m.attachments.iter_mut().find(|a| a.name == "findings.csv").unwrap();
        f.sha256 = hex::encode(Sha256::digest(old_findings.as_bytes()));
        f.bytes = old_findings.len();
        s.dict.remove(b"Filter");
        s.set_content(serde_json::to_vec_pretty(&m).unwrap());
    }
    let old = dir.path().join("old.pdf");
    doc.save(&old).unwrap();

    let subject = identity::subject_of(store.conn(), ANNA).unwrap().unwrap();
    store
        .conn()
        .execute(
            "DELETE FROM events WHERE identifier_id IN (SELECT id FROM identifiers WHERE subject_id = ?1)",
            [subject],
        )
        .unwrap();
    let r = pack::verify(&store, &old).unwrap();
    assert!(!r.ok);
    let events = details(&r, "event");
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(events[0].starts_with("the events differ: the pack rests on"), "{events:?}");
    assert!(events[0].contains("the pack predates per-subject digests"), "{events:?}");
    let findings = details(&r, "finding");
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(findings[0].contains("the pack predates per-finding digests"), "{findings:?}");
    assert!(details(&r, "subject").is_empty(), "{:?}", r.differences);
}

#[test]
fn organisation_verify_lists_at_most_a_thousand_subjects_and_findings() {
    let (dir, mut store) = temp_store();
    let csv = dir.path().join("many.csv");
    let mut text = String::from("subject,kind,occurred_at,purpose,recipients,channel,method,notice_version,evidence\n");
    for i in 0..1100 {
        text.push_str(&format!("person{i:04}@example.org,processing,2023-05-01T10:00:00Z,email-marketing,,email,,,\n"));
    }
    std::fs::write(&csv, text).unwrap();
    assert!(!import(&mut store, std::slice::from_ref(&csv)).any_failed());
    let path = org_pack(&mut store, dir.path());
    let source: i64 = count(&store, "SELECT id FROM sources");
    consenttrail_engine::import::derive::remove_source(store.conn_mut(), source).unwrap();
    let r = pack::verify(&store, &path).unwrap();
    let subjects = details(&r, "subject");
    assert_eq!(subjects.len(), 1000, "{:?}", &subjects[..3]);
    assert!(subjects[0].starts_with("subject person0000@example.org "), "{}", subjects[0]);
    let events = details(&r, "event");
    assert!(events[0].starts_with("the events of 1100 subject(s) differ"), "{events:?}");
    assert_eq!(events.last().unwrap(), "… and 100 more subjects whose events differ (only the first 1000 are listed)");
    let findings = details(&r, "finding");
    assert_eq!(findings.len(), 1002, "summary, 1000 findings, and the rest counted");
    assert!(findings[0].contains("1100 no longer produced"), "{}", findings[0]);
    assert_eq!(findings.last().unwrap(), "… and 100 more findings that differ (only the first 1000 are listed)");
}

#[test]
fn subject_pack_cover_shows_the_date_of_birth_on_its_own_line() {
    let (dir, store) = loaded();
    let path = write(&store, dir.path(), ANNA);
    let (ok, cover) =
        run("pdftotext", &["-layout", "-enc", "UTF-8", "-f", "1", "-l", "1", path.to_str().unwrap(), "-"]);
    assert!(ok, "{cover}");
    let lines: Vec<&str> = cover.lines().collect();
    let birth: Vec<&&str> = lines.iter().filter(|l| l.contains("1990-04-12")).collect();
    assert_eq!(birth.len(), 1, "{cover}");
    // The label wraps in its column: "Date of birth as" / "recorded".
    assert!(birth[0].trim_start().starts_with("Date of birth as"), "{cover}");
    assert!(birth[0].trim_end().ends_with("1990-04-12 (salesforce)"), "{cover}");
    assert!(!cover.contains("date of birth;"), "the date of birth is listed among the names: {cover}");
    // Names stay on the names line(s); the HubSpot legal basis is not a name.
    let names_at = lines.iter().position(|l| l.contains("Subject (names as")).unwrap();
    let birth_at = lines.iter().position(|l| l.contains("Date of birth as")).unwrap();
    assert!(names_at < birth_at);
    let names = lines[names_at..birth_at].join("\n");
    assert!(names.contains("Kowalska-Żółć (last name;"), "{names}");
    assert!(names.contains("Anna (first name;"), "{names}");
    assert!(!cover.contains("Freely given consent") && !cover.contains("legal basis"), "{cover}");
}

#[test]
fn organisation_pack_and_verify_report_their_steps_and_the_audit_subject_by_subject() {
    let (dir, mut store) = loaded();
    let subjects = count(&store, "SELECT count(DISTINCT subject_id) FROM identifiers") as usize;
    let path = dir.path().join("org.pdf");
    let mut seen: Vec<pack::PackProgress> = Vec::new();
    pack::write_organisation_pack_with_progress(&mut store, &path, &at(), &mut |p| seen.push(p)).unwrap();
    let steps: Vec<usize> = seen.iter().map(|p| p.step).collect();
    assert!(steps.windows(2).all(|w| w[0] <= w[1]), "steps only move forward: {steps:?}");
    assert_eq!((steps.first(), steps.last()), (Some(&1), Some(&4)), "{seen:?}");
    assert!(seen.iter().all(|p| p.steps == 4));
    let audit_done = seen.iter().rev().find(|p| p.step == 1).map(|p| (p.done, p.total));
    assert_eq!(audit_done, Some((subjects, subjects)), "the audit step ends with every subject checked");

    let mut checked: Vec<pack::PackProgress> = Vec::new();
    let report = pack::verify_with_progress(&store, &path, &mut |p| checked.push(p)).unwrap();
    assert!(report.ok, "{:?}", report.differences);
    let labels: Vec<&str> = checked.iter().map(|p| p.label).collect();
    assert_eq!(labels.first(), Some(&"checking the file"));
    assert_eq!(labels.last(), Some(&"comparing with the database"));
    assert!(checked.iter().any(|p| p.step == 2 && p.done == subjects), "{checked:?}");
}

/// The organisation pack reports the last audit when nothing changed since (it does not run the
/// rules again), and runs the audit first when an import came after it.
#[test]
fn organisation_pack_reports_the_last_audit_and_audits_first_when_the_data_changed() {
    let audits = |store: &Store| count(store, "SELECT count(*) FROM audit_log WHERE action = 'audit'");
    let (dir, mut store) = loaded();
    audit::run(&mut store).unwrap();
    let stored = audit::stored_findings(store.conn(), None, None).unwrap();
    assert!(!stored.is_empty());
    let before = audits(&store);
    let mut seen: Vec<pack::PackProgress> = Vec::new();
    let path = dir.path().join("org.pdf");
    pack::write_organisation_pack_with_progress(&mut store, &path, &at(), &mut |p| seen.push(p)).unwrap();
    assert_eq!(audits(&store), before, "the audit is current: the pack must not run it again");
    let subjects = seen.iter().find(|p| p.step == 1).map(|p| (p.done, p.total));
    assert!(subjects.is_some_and(|(done, total)| done == total && done > 0), "{seen:?}");
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let (ok, text) = run("pdfdetach", &["-saveall", "-o", out.to_str().unwrap(), path.to_str().unwrap()]);
    assert!(ok, "{text}");
    let rows = csv_rows(&std::fs::read(out.join("findings.csv")).unwrap());
    let ids: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    let expected: Vec<&str> = stored.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, expected, "findings.csv lists the stored findings in the audit's order");

    // New data since the audit: the pack audits first, and its findings include the newcomer's.
    import_newcomer(&mut store, dir.path());
    let again = dir.path().join("again.pdf");
    pack::write_organisation_pack(&mut store, &again, &at()).unwrap();
    assert_eq!(audits(&store), before + 1, "the data changed: the pack runs the audit first");
    let last: String = store
        .conn()
        .query_row("SELECT action FROM audit_log WHERE action <> 'pack' ORDER BY id DESC LIMIT 1", [], |r| r.get(0))
        .unwrap();
    assert_eq!(last, "audit");
    assert!(pack::verify(&store, &again).unwrap().ok);

    // The last audit was run by another version of the engine (its rules may differ): audit again.
    let by_this_version = audits(&store);
    pack::write_organisation_pack(&mut store, &dir.path().join("third.pdf"), &at()).unwrap();
    assert_eq!(audits(&store), by_this_version, "same version, same data: no new audit");
    let older = serde_json::json!({"findings": 0, "by_rule": {}, "engine": "0.0.1"});
    consenttrail_engine::store::audit_log::record(store.conn(), "audit", &older).unwrap();
    pack::write_organisation_pack(&mut store, &dir.path().join("fourth.pdf"), &at()).unwrap();
    assert_eq!(audits(&store), by_this_version + 2, "an audit by another version is not current");
}
