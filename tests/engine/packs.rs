//! Evidence packs (SPEC §5) checked with real tools: qpdf, poppler's pdffonts / pdftotext /
//! pdfdetach, and `verify` against every kind of tampering.

use std::path::{Path, PathBuf};
use std::process::Command;

use consenttrail_engine::pack::{self, PackOptions};
use consenttrail_engine::rules::audit;
use consenttrail_engine::store::{identity, Store};
use sha2::{Digest, Sha256};

use crate::support::*;

const ANNA: &str = "anna.kowalska@example.pl";
const ELENI: &str = "eleni.papadopoulou@example.gr";
const IVAN: &str = "ivan.petrov@example.ru";
const YUKI: &str = "yuki.tanaka@example.jp";

fn at() -> PackOptions {
    PackOptions {
        case_reference: Some("DSAR-2024-017".into()),
        generated_at: Some("2024-03-01T12:00:00Z".parse().unwrap()),
    }
}

fn loaded() -> (tempfile::TempDir, Store) {
    let (dir, mut store) = temp_store();
    let report = import(&mut store, &[fixtures().join("exports")]);
    assert!(!report.any_failed(), "fixture import failed");
    (dir, store)
}

fn run(tool: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(tool).args(args).output().unwrap_or_else(|e| panic!("{tool} not runnable: {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

fn write(store: &Store, dir: &Path, who: &str) -> PathBuf {
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
    consenttrail_engine::store::sources::remove(store.conn_mut(), source).unwrap();
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
