//! SPEC §9 `pack subject|organisation` and `verify`: JSON shapes, reproducibility with
//! `--generated-at`, exit 1 with one line when a pack does not verify or the subject is unknown.

use serde_json::Value;

use crate::support::*;

fn imported() -> Db {
    let db = Db::new();
    db.run(&["import", &fixtures().join("exports-intl").display().to_string()]).ok();
    db
}

#[test]
fn pack_subject_and_verify_have_the_contract_shapes() {
    let db = imported();
    let out = db.dir.path().join("eleni.pdf");
    let o = out.display().to_string();
    let args = [
        "--json",
        "pack",
        "subject",
        "eleni.papadopoulou@example.gr",
        "-o",
        &o,
        "--case",
        "ICO-123",
        "--generated-at",
        "2024-05-01T08:00:00Z",
    ];
    let first = db.run(&args);
    first.ok();
    let v = first.json();
    for key in ["path", "sha256", "manifest_sha256", "pages"] {
        assert!(v.get(key).is_some(), "{key} missing: {v}");
    }
    assert!(v["pages"].as_u64().unwrap() >= 2);
    assert_eq!(v["sha256"].as_str().unwrap().len(), 64);
    let bytes = std::fs::read(&out).unwrap();
    // Same database, profile and --generated-at: the same file.
    let again = db.run(&args);
    assert_eq!(again.json()["sha256"], v["sha256"]);
    assert_eq!(std::fs::read(&out).unwrap(), bytes);

    let verified = db.run(&["verify", &o, "--json"]);
    verified.ok();
    assert_eq!(verified.json()["ok"], Value::Bool(true));
    assert_eq!(verified.json()["differences"], Value::Array(vec![]));

    // One edited byte: exit 1, one line on stderr, the differences on stdout.
    let mut edited = bytes.clone();
    let mid = edited.len() / 3;
    edited[mid] ^= 0x20;
    let bad = db.dir.path().join("edited.pdf");
    std::fs::write(&bad, &edited).unwrap();
    let r = db.run(&["--json", "verify", &bad.display().to_string()]);
    let line = r.user_error();
    assert!(line.contains("does not verify"), "{line}");
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["ok"], Value::Bool(false));
    assert!(!v["differences"].as_array().unwrap().is_empty());
}

#[test]
fn pack_organisation_writes_and_verifies() {
    let db = imported();
    let out = db.dir.path().join("org.pdf").display().to_string();
    let r = db.run(&["pack", "organisation", "-o", &out, "--generated-at", "2024-05-01T08:00:00Z", "--json"]);
    r.ok();
    assert!(r.json()["manifest_sha256"].as_str().unwrap().len() == 64);
    db.run(&["verify", &out]).ok();
}

#[test]
fn pack_errors_are_one_line() {
    let db = imported();
    let out = db.dir.path().join("x.pdf").display().to_string();
    let line = db.run(&["pack", "subject", "nobody@example.org", "-o", &out]).user_error();
    assert!(line.contains("nobody@example.org"), "{line}");
    let line = db
        .run(&["pack", "subject", "eleni.papadopoulou@example.gr", "-o", &out, "--generated-at", "yesterday"])
        .user_error();
    assert!(line.contains("--generated-at"), "{line}");
    let line = db.run(&["verify", &db.dir.path().join("missing.pdf").display().to_string()]).user_error();
    assert!(line.contains("missing.pdf"), "{line}");
    assert_eq!(db.run(&["pack", "subject"]).code, 2);
}
