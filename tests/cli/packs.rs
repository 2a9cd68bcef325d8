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
    // Same database, profile and --generated-at: the same file (replacing it needs --force).
    let mut replace = args.to_vec();
    replace.push("--force");
    let again = db.run(&replace);
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

#[test]
fn pack_output_refuses_the_database_a_non_pdf_name_and_an_existing_file_without_force() {
    let db = imported();
    let who = "eleni.papadopoulou@example.gr";
    let subjects = db.run(&["--json", "subjects"]).ok().stdout.clone();
    // The database itself: refused even with --force, and left as it was.
    let line = db.run(&["pack", "subject", who, "-o", &db.arg(), "--force"]).user_error();
    assert!(line.contains("this is the database"), "{line}");
    let line = db.run(&["pack", "organisation", "-o", &db.arg(), "--force"]).user_error();
    assert!(line.contains("this is the database"), "{line}");
    assert!(std::fs::read(db.path()).unwrap().starts_with(b"SQLite format 3\0"), "the database was overwritten");
    assert_eq!(db.run(&["--json", "subjects"]).ok().stdout, subjects);
    // A name that is not .pdf.
    let txt = db.dir.path().join("pack.txt");
    let line = db.run(&["pack", "subject", who, "-o", &txt.display().to_string()]).user_error();
    assert!(line.contains("end the file name with .pdf"), "{line}");
    assert!(!txt.exists());
    // An existing file: refused and untouched without --force, replaced with it.
    let existing = db.file("existing.pdf", b"an earlier pack");
    let e = existing.display().to_string();
    let line = db.run(&["pack", "subject", who, "-o", &e]).user_error();
    assert!(line.contains("already exists; use --force"), "{line}");
    let line = db.run(&["pack", "organisation", "-o", &e]).user_error();
    assert!(line.contains("already exists; use --force"), "{line}");
    assert_eq!(std::fs::read(&existing).unwrap(), b"an earlier pack");
    db.run(&["pack", "subject", who, "-o", &e, "--force"]).ok();
    assert!(std::fs::read(&existing).unwrap().starts_with(b"%PDF-"));
    db.run(&["verify", &e]).ok();
    // The temporary file the pack was written to is gone.
    let names: Vec<String> = std::fs::read_dir(db.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
}

/// Fonts are compiled into the binary: a pack made where font lookups find nothing (an empty
/// font folder, no home, no fontconfig) or find a different font under the old file names is
/// the same bytes as one made normally; and, where strace runs, no font file is ever opened.
#[test]
fn packs_are_the_same_bytes_whatever_fonts_the_system_has() {
    let db = imported();
    let who = "eleni.papadopoulou@example.gr";
    let empty = db.dir.path().join("no-fonts");
    std::fs::create_dir(&empty).unwrap();
    // A decoy: another face under the names the packs once read from the system.
    let decoy = db.dir.path().join("decoy-fonts");
    std::fs::create_dir(&decoy).unwrap();
    let other = fixtures().join("../../src-tauri/engine/fonts/NanumSquareR.ttf");
    for name in ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DroidSansFallbackFull.ttf"] {
        std::fs::copy(&other, decoy.join(name)).unwrap();
    }
    let make = |name: &str, fonts: Option<&std::path::Path>, wrap: &[&str]| -> Vec<u8> {
        let out = db.dir.path().join(name);
        let (o, d) = (out.display().to_string(), db.arg());
        let args =
            ["--db", d.as_str(), "pack", "subject", who, "-o", o.as_str(), "--generated-at", "2024-05-01T08:00:00Z"];
        let mut c = match wrap.split_first() {
            Some((tool, rest)) => {
                let mut c = std::process::Command::new(tool);
                c.args(rest).arg(bin());
                c
            }
            None => std::process::Command::new(bin()),
        };
        c.args(args).env_remove("CONSENTTRAIL_DB");
        if let Some(dir) = fonts {
            for var in ["HOME", "XDG_DATA_HOME", "XDG_DATA_DIRS", "FONTCONFIG_PATH", "CONSENTTRAIL_FONT_DIR"] {
                c.env(var, dir);
            }
            c.env("FONTCONFIG_FILE", dir.join("fonts.conf"));
        }
        let r = c.output().unwrap();
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        std::fs::read(&out).unwrap()
    };
    let normal = make("normal.pdf", None, &[]);
    // (assert! rather than assert_eq!: a failure need not print two PDFs byte by byte)
    assert!(make("no-fonts.pdf", Some(&empty), &[]) == normal, "a pack depends on the system's fonts");
    assert!(make("decoy.pdf", Some(&decoy), &[]) == normal, "a pack reads font files from the system");

    let traceable = std::process::Command::new("strace").args(["-o", "/dev/null", "true"]).output();
    if traceable.is_ok_and(|o| o.status.success()) {
        let log = db.dir.path().join("strace.log");
        let l = log.display().to_string();
        let traced = make("traced.pdf", None, &["strace", "-f", "-e", "trace=open,openat,openat2", "-o", l.as_str()]);
        assert!(traced == normal, "a traced run gave other bytes");
        let opened = std::fs::read_to_string(&log).unwrap();
        assert!(opened.contains("ct.db"), "the trace saw no file opened: {opened}");
        let fonts: Vec<&str> = opened
            .lines()
            .filter(|l| [".ttf", ".otf", ".ttc", "/fonts/"].iter().any(|x| l.to_lowercase().contains(x)))
            .collect();
        assert!(fonts.is_empty(), "font files opened: {fonts:?}");
    } else {
        eprintln!("strace cannot run here: the byte comparisons above still hold");
    }
}
