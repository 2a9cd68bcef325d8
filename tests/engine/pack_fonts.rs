//! Issue 13: packs set names in every script with the fonts compiled into the engine — shaped,
//! right to left where the script is, extractable, no .notdef, still PDF/A-3b — refuse output
//! paths that would destroy something, and get the small things an auditor notices right.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use consenttrail_engine::pack::{self, PackOptions};
use consenttrail_engine::profile::Profile;
use consenttrail_engine::store::{profile_doc, Store};
use lopdf::{Document, Object};

use crate::packs::run;
use crate::support::*;

/// One person per script the issue names, as (e-mail, name).
const PEOPLE: [(&str, &str); 6] = [
    ("dimitris@example.gr", "Δημήτρης Νικολάου"),
    ("ivan@example.ru", "Иван Петров"),
    ("wei@example.cn", "伟 李"),
    ("minjun@example.kr", "민준 김"),
    ("mohammed@example.ae", "محمد العلي"),
    ("david@example.il", "דוד כהן"),
];

fn at() -> PackOptions {
    PackOptions { generated_at: Some("2024-03-01T12:00:00Z".parse().unwrap()), ..PackOptions::default() }
}

/// A Mailchimp export (the fixture's header) with one member per `(email, name)`, the whole name
/// in "First Name" so that it is one line on the cover.
fn members_csv(people: &[(&str, &str)]) -> String {
    let fixture =
        std::fs::read_to_string(fixtures().join("exports/mailchimp/subscribed_members_export_8f2a1c.csv")).unwrap();
    let mut csv = format!("{}\n", fixture.lines().next().unwrap());
    for (i, (email, name)) in people.iter().enumerate() {
        let day = i + 1;
        csv.push_str(&format!(
            "{email},{name},,,,,,html,3,2022-03-{day:02} 09:15:02,,2022-03-{day:02} 09:17:45,,,,,,,,,\
             2022-03-{day:02} 09:17:45,{},x{day},,\n",
            300 + day
        ));
    }
    csv
}

fn people_store(people: &[(&str, &str)]) -> (tempfile::TempDir, Store) {
    let (dir, mut store) = temp_store();
    let folder = dir.path().join("mailchimp");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("subscribed_members_export_people.csv"), members_csv(people)).unwrap();
    let report = import(&mut store, &[folder]);
    assert!(!report.any_failed(), "{report:#?}");
    (dir, store)
}

fn write(store: &Store, dir: &Path, who: &str) -> PathBuf {
    let path = dir.join(format!("{who}.pdf"));
    pack::write_subject_pack(store, who, &path, &at()).unwrap();
    path
}

/// Each font resource's ToUnicode map (code → text), by resource name, for page `page`.
fn to_unicode(doc: &Document, page: lopdf::ObjectId) -> BTreeMap<Vec<u8>, BTreeMap<u16, String>> {
    let mut out = BTreeMap::new();
    for (name, font) in doc.get_page_fonts(page).unwrap() {
        let Ok(Object::Reference(id)) = font.get(b"ToUnicode") else { continue };
        let Ok(Object::Stream(s)) = doc.get_object(*id) else { continue };
        let cmap = String::from_utf8(s.decompressed_content().unwrap_or_else(|_| s.content.clone())).unwrap();
        let mut map = BTreeMap::new();
        for line in cmap.lines() {
            let hex: Vec<&str> = line.split(['<', '>']).filter(|p| !p.trim().is_empty()).collect();
            if hex.len() == 2 && hex[0].len() == 4 && hex.iter().all(|h| h.chars().all(|c| c.is_ascii_hexdigit())) {
                let code = u16::from_str_radix(hex[0], 16).unwrap();
                let units: Vec<u16> = (0..hex[1].len() / 4)
                    .map(|i| u16::from_str_radix(&hex[1][i * 4..i * 4 + 4], 16).unwrap())
                    .collect();
                map.insert(code, String::from_utf16(&units).unwrap());
            }
        }
        out.insert(name, map);
    }
    out
}

/// What each text object (BT … ET) on page `number` draws, glyph by glyph in drawing order
/// (left to right), as the ToUnicode maps spell it; and how many glyph codes are 0 (.notdef).
fn drawn(path: &Path, number: u32) -> (Vec<String>, usize) {
    let doc = Document::load(path).unwrap();
    let page = doc.get_pages()[&number];
    let maps = to_unicode(&doc, page);
    let content = doc.get_and_decode_page_content(page).unwrap();
    let (mut texts, mut notdef, mut font, mut current) = (Vec::new(), 0, Vec::new(), String::new());
    for op in content.operations {
        match op.operator.as_str() {
            "Tf" => font = op.operands[0].as_name().unwrap().to_vec(),
            "ET" => texts.push(std::mem::take(&mut current)),
            "Tj" | "TJ" => {
                let strings: Vec<&Object> = match &op.operands[0] {
                    Object::Array(items) => items.iter().collect(),
                    other => vec![other],
                };
                for s in strings {
                    let Object::String(bytes, _) = s else { continue };
                    for pair in bytes.chunks(2) {
                        let code = u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]);
                        notdef += usize::from(code == 0);
                        current.push_str(maps.get(&font).and_then(|m| m.get(&code)).map_or("", String::as_str));
                    }
                }
            }
            _ => {}
        }
    }
    (texts, notdef)
}

/// Glyph codes 0 (.notdef) on every page.
fn notdef_everywhere(path: &Path) -> usize {
    let pages = Document::load(path).unwrap().get_pages().len() as u32;
    (1..=pages).map(|p| drawn(path, p).1).sum()
}

#[test]
fn names_in_every_script_are_drawn_extracted_and_valid_pdfa() {
    let (dir, store) = people_store(&PEOPLE);
    let mut paths = Vec::new();
    for (who, name) in PEOPLE {
        let path = write(&store, dir.path(), who);
        let p = path.to_str().unwrap();
        assert_eq!(notdef_everywhere(&path), 0, "{who}: a .notdef glyph is drawn");
        let (ok, text) = run("pdftotext", &["-enc", "UTF-8", p, "-"]);
        assert!(ok, "{text}");
        assert!(text.contains(name), "{who}: pdftotext does not give back {name}: {text}");
        let (ok, fonts) = run("pdffonts", &[p]);
        assert!(ok, "{fonts}");
        for row in fonts.lines().skip(2).filter(|l| !l.trim().is_empty()) {
            let cols: Vec<&str> = row.split_whitespace().collect();
            let n = cols.len();
            assert_eq!(&cols[n - 5..n - 2], &["yes", "yes", "yes"], "{who}: font not embedded+subset+unicode: {row}");
        }
        paths.push(path);
    }
    // The Hangul and Han names need their fallback faces.
    let faces = |who: &str| run("pdffonts", &[dir.path().join(format!("{who}.pdf")).to_str().unwrap()]).1;
    assert!(faces("minjun@example.kr").contains("+NanumSquareR"), "{}", faces("minjun@example.kr"));
    assert!(faces("wei@example.cn").contains("+DroidSansFallbackFull"), "{}", faces("wei@example.cn"));

    let script = [
        "import sys, page",
        "for p in sys.argv[1:]:",
        "    r = page.validate_pdf(p, profile='3b')",
        "    for f in r.failures: print(p, f.rule_id, f.message)",
        "    print(p, 'compliant' if r.is_compliant else 'NOT compliant', r.rules.failed, 'failed rules')",
    ]
    .join("\n");
    let mut args = vec!["-c", script.as_str()];
    args.extend(paths.iter().map(|p| p.to_str().unwrap()));
    let (ok, out) = run("python3", &args);
    assert!(ok, "the PDF/A validator did not run (pip install page-validation): {out}");
    assert_eq!(out.matches(" compliant 0 failed rules").count(), PEOPLE.len(), "{out}");
}

/// The .notdef check above can fail: a script no shipped face covers (Devanagari) draws glyph 0.
#[test]
fn the_notdef_check_sees_a_script_no_face_covers() {
    let (dir, store) = people_store(&[("asha@example.in", "आशा")]);
    let path = write(&store, dir.path(), "asha@example.in");
    assert!(notdef_everywhere(&path) >= 3, "Devanagari has no face, so its glyphs are .notdef");
}

#[test]
fn arabic_is_joined_and_right_to_left_scripts_are_drawn_in_visual_order() {
    let (dir, store) = people_store(&PEOPLE);
    for (who, name) in [PEOPLE[4], PEOPLE[5]] {
        let path = write(&store, dir.path(), who);
        let (texts, _) = drawn(&path, 1);
        // Drawn left to right, a right-to-left name is its letters in reverse.
        let visual: String = name.chars().rev().collect();
        assert!(texts.iter().any(|t| t == &visual), "{who}: {visual} not drawn as one run: {texts:?}");
        // The label after the name stays after it (the document is left to right).
        let at = texts.iter().position(|t| t == &visual).unwrap();
        assert!(texts[at + 1..].iter().any(|t| t.contains("(first name; mailchimp)")), "{texts:?}");
    }
    // Joined Arabic: the two meems of محمد are different glyphs (initial and medial forms),
    // both extracted as U+0645; unshaped text would draw one glyph for both.
    let path = dir.path().join("mohammed@example.ae.pdf");
    let doc = Document::load(&path).unwrap();
    let page = doc.get_pages()[&1];
    let meems: usize = to_unicode(&doc, page).values().map(|m| m.values().filter(|t| *t == "\u{645}").count()).sum();
    assert!(meems >= 2, "meem has one glyph only: no contextual forms ({meems})");
}

#[test]
fn the_cover_names_the_integrity_section_by_its_number() {
    let (dir, store) = people_store(&PEOPLE[..1]);
    let path = write(&store, dir.path(), PEOPLE[0].0);
    let (ok, text) = run("pdftotext", &["-enc", "UTF-8", path.to_str().unwrap(), "-"]);
    assert!(ok, "{text}");
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let n: u32 = flat
        .split("Section ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no section reference on the cover: {flat}"));
    assert!(flat.contains(&format!("Section {n} explains how to check that nothing has been changed")), "{flat}");
    assert!(text.lines().any(|l| l.trim() == format!("{n}. Integrity")), "section {n} is not Integrity: {text}");
}

#[test]
fn timeline_shows_the_notice_in_effect_for_a_grant_that_records_none() {
    let (dir, mut store) = temp_store();
    let profile = Profile::from_json(&std::fs::read_to_string(fixtures().join("rules/profile.json")).unwrap()).unwrap();
    profile_doc::save(store.conn(), &profile).unwrap();
    let csv = dir.path().join("grants.csv");
    std::fs::write(
        &csv,
        "subject,kind,occurred_at,purpose,recipients,channel,method,notice_version,evidence\n\
         nora@example.org,consent.given,2023-05-01T10:00:00Z,email-marketing,,email,explicit-opt-in,,\n\
         nora@example.org,consent.given,2023-05-02T10:00:00Z,sms-marketing,,sms,explicit-opt-in,PN-2,\n\
         nora@example.org,processing,2023-06-01T10:00:00Z,email-marketing,,email,,,\n",
    )
    .unwrap();
    assert!(!import(&mut store, &[csv]).any_failed());
    let path = write(&store, dir.path(), "nora@example.org");
    let (ok, text) = run("pdftotext", &["-enc", "UTF-8", path.to_str().unwrap(), "-"]);
    assert!(ok, "{text}");
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    // PN-1 covers email-marketing since 2021: the grant without a version was given under it.
    assert!(flat.contains("notice: PN-1 (in effect at the grant)"), "{flat}");
    // A recorded version is shown as recorded; processing has no notice.
    assert!(flat.contains("notice: PN-2"), "{flat}");
    assert_eq!(flat.matches("notice: -").count(), 1, "only the processing row has no notice: {flat}");
}

#[test]
fn event_ids_do_not_wrap_in_the_timeline() {
    let (dir, mut store) = temp_store();
    let first = dir.path().join("first.csv");
    std::fs::write(
        &first,
        "subject,kind,occurred_at,purpose,recipients,channel,method,notice_version,evidence\n\
         filler@example.org,processing,2023-05-01T10:00:00Z,email-marketing,,email,,,\n",
    )
    .unwrap();
    assert!(!import(&mut store, &[first]).any_failed());
    // Ids continue from the largest: the next events are 1234567 and on, as in a large database.
    store.conn().execute("UPDATE events SET id = 1234566", []).unwrap();
    let second = dir.path().join("second.csv");
    std::fs::write(
        &second,
        "subject,kind,occurred_at,purpose,recipients,channel,method,notice_version,evidence\n\
         olga@example.org,consent.given,2023-05-01T10:00:00Z,email-marketing,,email,explicit-opt-in,,\n\
         olga@example.org,processing,2023-05-03T10:00:00Z,email-marketing,,email,,,\n",
    )
    .unwrap();
    assert!(!import(&mut store, &[second]).any_failed());
    let ids: Vec<i64> = {
        let mut s = store
            .conn()
            .prepare(
                "SELECT e.id FROM events e JOIN identifiers i ON i.id = e.identifier_id WHERE i.value LIKE 'olga%'",
            )
            .unwrap();
        s.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    assert!(ids.iter().all(|id| *id > 1_000_000), "{ids:?}");
    let path = write(&store, dir.path(), "olga@example.org");
    let (ok, text) = run("pdftotext", &["-enc", "UTF-8", path.to_str().unwrap(), "-"]);
    assert!(ok, "{text}");
    for id in ids {
        assert!(text.lines().any(|l| l.trim() == id.to_string()), "event {id} is not on one line: {text}");
    }
}

#[test]
fn the_engine_refuses_output_paths_that_would_destroy_something() {
    let (dir, store) = people_store(&PEOPLE[..1]);
    let who = PEOPLE[0].0;
    let refused = |out: &Path, overwrite: bool| {
        let options = PackOptions { overwrite, ..at() };
        pack::write_subject_pack(&store, who, out, &options).unwrap_err().to_string()
    };
    let db = store.path().to_path_buf();
    let db_bytes = std::fs::read(&db).unwrap();
    // The database itself, even with --force, and under another name that is the same file.
    assert!(refused(&db, true).contains("this is the database"), "{}", refused(&db, true));
    #[cfg(unix)]
    {
        let link = dir.path().join("innocent.pdf");
        std::os::unix::fs::symlink(&db, &link).unwrap();
        assert!(refused(&link, true).contains("this is the database"), "{}", refused(&link, true));
    }
    assert_eq!(std::fs::read(&db).unwrap(), db_bytes, "the database was touched");
    // Not a PDF name.
    let txt = dir.path().join("pack.txt");
    assert!(refused(&txt, true).contains("end the file name with .pdf"));
    assert!(!txt.exists());
    // An existing file, unless overwrite.
    let existing = dir.path().join("existing.pdf");
    std::fs::write(&existing, b"keep me").unwrap();
    assert!(refused(&existing, false).contains("already exists; use --force"), "{}", refused(&existing, false));
    assert_eq!(std::fs::read(&existing).unwrap(), b"keep me");
    // A folder is never replaced.
    let folder = dir.path().join("folder.pdf");
    std::fs::create_dir(&folder).unwrap();
    assert!(refused(&folder, true).contains("not a regular file"));
    // With overwrite the pack replaces the file, through a temporary file that is gone after.
    let options = PackOptions { overwrite: true, ..at() };
    pack::write_subject_pack(&store, who, &existing, &options).unwrap();
    assert!(std::fs::read(&existing).unwrap().starts_with(b"%PDF-"));
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // The organisation pack follows the same rules.
    let mut store = store;
    let err = pack::write_organisation_pack(&mut store, &existing, &at()).unwrap_err().to_string();
    assert!(err.contains("already exists"), "{err}");
}
