//! Signed packs (PAdES B-B) and a `verify` that cannot be fooled (issue 13 items 1–2): poppler's
//! `pdfsig` validates the signature, any changed byte breaks it, a carefully re-sealed forgery
//! is named page by page, PKCS#12 keys made by `openssl` sign, and hostile inputs (a Flate bomb,
//! a FIFO) are refused in bounded memory.

use std::path::{Path, PathBuf};
use std::time::Duration;

use consenttrail_engine::pack::{self, PackError, Signer};
use consenttrail_engine::store::{audit_log, Store};
use sha2::{Digest, Sha256};

use crate::packs::{at, loaded, plain, run, write, ANNA, IVAN};

fn pdfsig_valid(path: &Path) -> (bool, String) {
    let (_, out) = run("pdfsig", &[path.to_str().unwrap()]);
    (out.contains("Signature Validation: Signature is Valid."), out)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// What a forger recomputes after editing a pack, exactly as the pack describes its own seal:
/// SHA-256 of the file with the 64 seal digits (and a signature's /Contents digits) as zeros.
fn reseal(bytes: &mut [u8]) {
    let key = rfind(bytes, b"/CTSeal").unwrap();
    let at = key + bytes[key..].iter().position(|&b| b == b'(').unwrap() + 1;
    let mut copy = bytes.to_vec();
    copy[at..at + 64].fill(b'0');
    if let Some(c) = find(&copy, b"/Contents<") {
        let lt = c + "/Contents".len();
        let gt = lt + copy[lt..].iter().position(|&b| b == b'>').unwrap();
        copy[lt + 1..gt].fill(b'0');
    }
    let seal = hex::encode(Sha256::digest(&copy));
    bytes[at..at + 64].copy_from_slice(seal.as_bytes());
}

#[test]
fn pdfsig_reports_the_signature_valid_and_any_changed_signed_byte_invalid() {
    let (dir, store) = loaded();
    let path = write(&store, dir.path(), ANNA);
    let (valid, out) = pdfsig_valid(&path);
    assert!(valid, "{out}");
    assert!(out.contains("ETSI.CAdES.detached"), "{out}");
    assert!(out.contains("Signature Type: ETSI.CAdES.detached") || out.contains("CAdES"), "{out}");
    // The signature covers the whole file but its /Contents.
    assert!(out.contains("Total document signed"), "{out}");
    let r = pack::verify(&store, &path).unwrap();
    assert!(r.ok, "{:?}", r.differences);
    let sig = r.signature.as_ref().expect("signature checked");
    assert!(sig.valid, "{sig:?}");

    let bytes = std::fs::read(&path).unwrap();
    let contents = find(&bytes, b"/Contents<").unwrap() + "/Contents".len();
    let seal = rfind(&bytes, b"/CTSeal").unwrap() + "/CTSeal(".len();
    // The header, a compressed stream mid-file, the byte before /Contents, the seal's digits,
    // the end of the file: every one is signed.
    for at in [9, bytes.len() / 2, bytes.len() / 3, contents - 1, seal + 3, bytes.len() - 3] {
        let mut edited = bytes.clone();
        edited[at] = if edited[at] == b'1' { b'2' } else { b'1' };
        let tampered = dir.path().join(format!("byte-{at}.pdf"));
        std::fs::write(&tampered, &edited).unwrap();
        let (valid, out) = pdfsig_valid(&tampered);
        assert!(!valid, "byte {at} changed, pdfsig still says valid: {out}");
        let r = pack::verify(&store, &tampered).unwrap();
        assert!(!r.ok);
        assert!(
            r.differences.iter().any(|d| d.item == "signature" && d.detail.contains("not valid")),
            "byte {at}: {:?}",
            r.differences
        );
    }
}

#[test]
fn the_database_key_is_made_once_named_on_the_integrity_page_and_in_the_audit_log() {
    let (dir, mut store) = loaded();
    let a = pack::write_subject_pack(&store, ANNA, &dir.path().join("a.pdf"), &at()).unwrap();
    let b = pack::write_organisation_pack(&mut store, &dir.path().join("org.pdf"), &at()).unwrap();
    assert_eq!(a.signed_by, b.signed_by, "one key per database");
    assert_eq!(a.signed_by.sha256.len(), 64);
    assert!(a.signed_by.subject.contains("CN="), "{:?}", a.signed_by);

    let log = audit_log::list(store.conn()).unwrap();
    let created: Vec<_> = log.iter().filter(|e| e.action == "signing-key").collect();
    assert_eq!(created.len(), 1, "the key is created once");
    assert!(created[0].detail.to_string().contains(&a.signed_by.sha256));
    let packs: Vec<_> = log.iter().filter(|e| e.action == "pack").collect();
    assert_eq!(packs.len(), 2);
    assert!(packs.iter().all(|e| e.detail.to_string().contains(&a.signed_by.sha256)));

    for file in ["a.pdf", "org.pdf"] {
        let (ok, text) = run("pdftotext", &["-layout", dir.path().join(file).to_str().unwrap(), "-"]);
        assert!(ok, "{text}");
        let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(text.contains("Certificate SHA-256"), "{file}: {text}");
        // The fingerprint may wrap in its cell: compare without spaces.
        assert!(text.replace(' ', "").contains(&a.signed_by.sha256), "{file}: fingerprint not printed");
    }
    // A pack signed by this database's key says so.
    let r = pack::verify(&store, &dir.path().join("a.pdf")).unwrap();
    assert!(r.checked.iter().any(|c| c.contains("this database's own key")), "{:?}", r.checked);
    // Another database has another key; its verify says the certificate is unknown to it.
    let (_other_dir, other) = loaded();
    let r = pack::verify(&other, &dir.path().join("a.pdf")).unwrap();
    assert!(!r.ok);
    assert!(
        r.differences.iter().any(|d| d.item == "signature" && d.detail.contains("never signed a pack with")),
        "{:?}",
        r.differences
    );
}

#[test]
fn signed_packs_are_byte_identical_for_the_same_inputs_and_key() {
    let (_dir, store) = loaded();
    let a = pack::render_subject(&store, IVAN, &at()).unwrap();
    let b = pack::render_subject(&store, IVAN, &at()).unwrap();
    assert!(find(&a.bytes, b"/ByteRange").is_some(), "the pack is signed");
    assert_eq!(a.bytes, b.bytes);
    let mut later = at();
    later.generated_at = Some("2024-03-02T12:00:00Z".parse().unwrap());
    let c = pack::render_subject(&store, IVAN, &later).unwrap();
    assert_ne!(a.bytes, c.bytes);
    // PAdES: the claimed signing time is the pack's generation time, in /M.
    assert!(find(&a.bytes, b"/M(D:20240301120000Z)").is_some() || find(&a.bytes, b"/M (D:20240301120000Z)").is_some());
}

/// The forger of issue 13: hides what page `page` shows under a white box, recomputes the page
/// digests (the manifest is untouched, so its hash still matches) and the seal; `keep_signature`
/// leaves the now-stale signature in, otherwise it is stripped.
fn forge(original: &Path, out: &Path, page: usize, keep_signature: bool) {
    let mut doc = lopdf::Document::load(original).unwrap();
    let pages: Vec<lopdf::ObjectId> = doc.get_pages().values().copied().collect();
    let content_id = doc.get_page_contents(pages[page - 1])[0];
    if let Ok(lopdf::Object::Stream(s)) = doc.get_object_mut(content_id) {
        let mut text = plain(s);
        text.extend_from_slice(b"\nq 1 1 1 rg 0 0 595 700 re f Q\n");
        s.dict.remove(b"Filter");
        s.set_content(text);
    }
    if !keep_signature {
        doc.catalog_mut().unwrap().remove(b"AcroForm");
        let first = pages[0];
        doc.get_object_mut(first).unwrap().as_dict_mut().unwrap().remove(b"Annots");
        let sigs: Vec<lopdf::ObjectId> = doc
            .objects
            .iter()
            .filter(|(_, o)| o.as_dict().is_ok_and(|d| d.has(b"ByteRange") || d.has(b"FT")))
            .map(|(id, _)| *id)
            .collect();
        for id in sigs {
            doc.objects.remove(&id);
        }
    }
    // Page digests as the pack states them: SHA-256 of each page's decoded content.
    let digests: Vec<lopdf::Object> = doc
        .get_pages()
        .values()
        .map(|&p| {
            let mut h = Sha256::new();
            for id in doc.get_page_contents(p) {
                h.update(plain(doc.get_object(id).unwrap().as_stream().unwrap()));
            }
            lopdf::Object::string_literal(hex::encode(h.finalize()))
        })
        .collect();
    let info = doc.trailer.get(b"Info").unwrap().as_reference().unwrap();
    let info = doc.get_object_mut(info).unwrap().as_dict_mut().unwrap();
    info.set("CTPageDigests", lopdf::Object::Array(digests));
    info.set("CTSeal", lopdf::Object::string_literal("0".repeat(64)));
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    reseal(&mut bytes);
    std::fs::write(out, bytes).unwrap();
}

#[test]
fn a_resealed_forgery_fails_verify_with_the_page_named() {
    let (dir, store) = loaded();
    let path = write(&store, dir.path(), IVAN);
    // Page 2 is the summary and findings of the subject.
    for keep_signature in [true, false] {
        let forged = dir.path().join(format!("forged-{keep_signature}.pdf"));
        forge(&path, &forged, 2, keep_signature);
        let r = pack::verify(&store, &forged).unwrap();
        assert!(!r.ok, "a forgery verified");
        // The forger did the job: every check inside the file alone passes, as in the issue.
        assert!(!r.differences.iter().any(|d| d.item == "seal"), "{:?}", r.differences);
        assert!(!r.differences.iter().any(|d| d.against == "file" && d.item == "page"), "{:?}", r.differences);
        assert!(!r.differences.iter().any(|d| d.item == "manifest" || d.item == "attachment"), "{:?}", r.differences);
        // What catches it: the signature, and the pages re-rendered from the database.
        assert!(r.differences.iter().any(|d| d.item == "signature"), "{:?}", r.differences);
        assert!(
            r.differences.iter().any(|d| d.against == "database"
                && d.item == "page"
                && d.detail.starts_with("page 2 differs from the pack re-rendered")),
            "{:?}",
            r.differences
        );
        let (valid, _) = pdfsig_valid(&forged);
        assert!(!valid);

        // Without the database: the signature still fails, and the report says what was not checked.
        let r = pack::verify_file(&forged).unwrap();
        assert!(!r.ok);
        assert!(r.differences.iter().any(|d| d.item == "signature"), "{:?}", r.differences);
        assert!(r.not_checked.iter().any(|n| n.contains("re-render") || n.contains("renders")), "{:?}", r.not_checked);
    }
    // The intact pack verifies without the database too, and says what that leaves open.
    let r = pack::verify_file(&path).unwrap();
    assert!(r.ok, "{:?}", r.differences);
    assert!(r.checked.iter().any(|c| c.contains("signature is valid")), "{:?}", r.checked);
    assert_eq!(r.not_checked.len(), 3, "{:?}", r.not_checked);
}

#[test]
fn a_resealed_organisation_pack_forgery_is_named_by_page() {
    let (dir, mut store) = loaded();
    let path = dir.path().join("org.pdf");
    pack::write_organisation_pack(&mut store, &path, &at()).unwrap();
    let r = pack::verify(&store, &path).unwrap();
    assert!(r.ok, "{:?}", r.differences);
    assert!(r.checked.iter().any(|c| c.contains("re-rendered")), "{:?}", r.checked);
    let forged = dir.path().join("org-forged.pdf");
    forge(&path, &forged, 3, false);
    let r = pack::verify(&store, &forged).unwrap();
    assert!(!r.ok);
    assert!(!r.differences.iter().any(|d| d.item == "seal" || d.against == "file" && d.item == "page"));
    assert!(
        r.differences.iter().any(|d| d.item == "page" && d.detail.starts_with("page 3 differs")),
        "{:?}",
        r.differences
    );
}

#[test]
fn verify_refuses_a_flate_bomb_and_a_fifo() {
    let (dir, store) = loaded();
    let path = write(&store, dir.path(), ANNA);
    // An extract replaced by 1 GiB of zeros deflated to about 1 MB.
    let mut doc = lopdf::Document::load(&path).unwrap();
    let target = doc
        .objects
        .iter()
        .find(|(_, o)| {
            o.as_stream().is_ok_and(|s| s.dict.get(b"Type").and_then(|t| t.as_name()).ok() == Some(b"EmbeddedFile"))
        })
        .map(|(id, _)| *id)
        .unwrap();
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..1024 {
        std::io::Write::write_all(&mut z, &zeros).unwrap();
    }
    let bomb = z.finish().unwrap();
    assert!(bomb.len() < 2 << 20);
    if let Ok(lopdf::Object::Stream(s)) = doc.get_object_mut(target) {
        s.dict.set("Filter", lopdf::Object::Name(b"FlateDecode".to_vec()));
        s.set_content(bomb);
    }
    let bombed = dir.path().join("bomb.pdf");
    doc.save(&bombed).unwrap();
    match pack::verify(&store, &bombed) {
        Err(PackError::Refused(why)) => assert!(why.contains("inflates"), "{why}"),
        other => panic!("a Flate bomb was not refused: {other:?}"),
    }

    // A FIFO with no writer: refused at once, not waited on.
    let fifo = dir.path().join("pack.pdf");
    let (ok, out) = run("mkfifo", &[fifo.to_str().unwrap()]);
    assert!(ok, "{out}");
    let (send, receive) = std::sync::mpsc::channel();
    let db = store.path().to_path_buf();
    std::thread::spawn(move || {
        let store = Store::open(&db).unwrap();
        let _ = send.send(pack::verify(&store, &fifo).map(|r| r.ok).map_err(|e| e.to_string()));
    });
    match receive.recv_timeout(Duration::from_secs(20)) {
        Ok(Err(why)) => assert!(why.contains("not a regular file"), "{why}"),
        Ok(Ok(ok)) => panic!("a FIFO was read as a pack (ok = {ok})"),
        Err(_) => panic!("verify waited on a FIFO"),
    }
}

/// An organisation pack whose extract `name` is replaced by `plain` deflated, the embedded
/// file declaring `declared` bytes (`/Params /Size`); the file's path.
fn with_extract(dir: &Path, store: &mut Store, name: &str, plain: &[u8], declared: i64) -> PathBuf {
    let path = dir.join("org.pdf");
    if !path.exists() {
        pack::write_organisation_pack(store, &path, &at()).unwrap();
    }
    let mut doc = lopdf::Document::load(&path).unwrap();
    // The embedded file whose Filespec is named `name`.
    let spec = doc
        .objects
        .values()
        .find_map(|o| {
            let d = o.as_dict().ok()?;
            let is_named = d.get(b"Type").and_then(|t| t.as_name()).ok() == Some(b"Filespec")
                && matches!(d.get(b"UF").or_else(|_| d.get(b"F")), Ok(lopdf::Object::String(s, _)) if String::from_utf8_lossy(s).replace('\0', "").contains(name));
            is_named.then(|| d.get(b"EF").unwrap().as_dict().unwrap().get(b"F").unwrap().as_reference().unwrap())
        })
        .unwrap_or_else(|| panic!("{name} is embedded"));
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut z, plain).unwrap();
    let deflated = z.finish().unwrap();
    if let Ok(lopdf::Object::Stream(s)) = doc.get_object_mut(spec) {
        s.dict.set("Filter", lopdf::Object::Name(b"FlateDecode".to_vec()));
        let mut params = s.dict.get(b"Params").unwrap().as_dict().unwrap().clone();
        params.set("Size", lopdf::Object::Integer(declared));
        s.dict.set("Params", lopdf::Object::Dictionary(params));
        s.set_content(deflated);
    }
    let edited = dir.join(format!("edited-{name}-{declared}.pdf"));
    doc.save(&edited).unwrap();
    edited
}

#[test]
fn an_extract_larger_than_the_64_mib_stream_limit_is_digested_not_refused() {
    // At 3M events findings.csv alone is 75 MB: an extract must be read however large it is
    // (hashed as it inflates, never held), so this one (65 MiB, its size declared truthfully)
    // is checked and named as edited, not refused as a Flate bomb.
    let (dir, mut store) = loaded();
    let row = b"\"subject-0001@example.com\",\"12\",\"0123456789abcdef\"\r\n";
    let big: Vec<u8> = row.iter().copied().cycle().take((65 << 20) + 7).collect();
    assert!(big.len() > 64 << 20);
    let edited = with_extract(dir.path(), &mut store, "subjects.csv", &big, big.len() as i64);
    for r in [pack::verify(&store, &edited), pack::verify_file(&edited)] {
        let r = r.expect("a large extract is read, not refused");
        assert!(!r.ok);
        let wanted = format!("subjects.csv: SHA-256 is {}", hex::encode(Sha256::digest(&big)));
        assert!(
            r.differences.iter().any(|d| d.item == "attachment" && d.detail.starts_with(&wanted)),
            "{:?}",
            r.differences
        );
    }
}

#[test]
fn an_extract_that_inflates_past_or_short_of_its_declared_size_is_refused_or_named() {
    let (dir, mut store) = loaded();
    let plain = vec![b'x'; 2 << 20];
    // Declares 1 MiB, inflates to 2 MiB: a bomb in an attachment, refused.
    let lying = with_extract(dir.path(), &mut store, "findings.csv", &plain, 1 << 20);
    match pack::verify_file(&lying) {
        Err(PackError::Refused(why)) => {
            assert!(why.contains("inflates to more than the 1048576 bytes it declares"), "{why}")
        }
        other => panic!("an extract inflating past its declared size was not refused: {other:?}"),
    }
    // Declares more than a pack ever holds: refused before inflating anything.
    let huge = with_extract(dir.path(), &mut store, "findings.csv", &plain, 8 << 30);
    match pack::verify(&store, &huge) {
        Err(PackError::Refused(why)) => assert!(why.contains("declares 8589934592 bytes"), "{why}"),
        other => panic!("an extract declaring 8 GiB was not refused: {other:?}"),
    }
    // Declares more than it holds: named, not refused.
    let short = with_extract(dir.path(), &mut store, "findings.csv", &plain, 3 << 20);
    let r = pack::verify_file(&short).unwrap();
    assert!(!r.ok);
    assert!(
        r.differences.iter().any(|d| d.item == "attachment"
            && d.detail == "findings.csv inflates to 2097152 bytes, but its /Params /Size declares 3145728"),
        "{:?}",
        r.differences
    );
}

/// An organisation's certificate and key as `openssl` exports them (PBES2/AES, the default of
/// OpenSSL 3), RSA or ECDSA P-256.
fn pkcs12(dir: &Path, kind: &str, password: &str) -> PathBuf {
    let key = dir.join(format!("{kind}.key"));
    let cert = dir.join(format!("{kind}.crt"));
    let p12 = dir.join(format!("{kind}.p12"));
    let newkey = if kind == "rsa" { "rsa:2048".to_string() } else { "ec".to_string() };
    let mut args = vec!["req", "-x509", "-newkey", &newkey];
    let params = dir.join("ec.params");
    if kind == "ec" {
        let (ok, out) = run("openssl", &["ecparam", "-name", "prime256v1", "-out", params.to_str().unwrap()]);
        assert!(ok, "{out}");
        args = vec!["req", "-x509", "-newkey"];
        args.push(Box::leak(format!("ec:{}", params.display()).into_boxed_str()));
    }
    let subject = format!("/CN=Example Org {kind} signing/O=Example Org");
    args.extend([
        "-nodes",
        "-keyout",
        key.to_str().unwrap(),
        "-out",
        cert.to_str().unwrap(),
        "-days",
        "3650",
        "-subj",
        &subject,
    ]);
    let (ok, out) = run("openssl", &args);
    assert!(ok, "{out}");
    let pass = format!("pass:{password}");
    let (ok, out) = run(
        "openssl",
        &[
            "pkcs12",
            "-export",
            "-inkey",
            key.to_str().unwrap(),
            "-in",
            cert.to_str().unwrap(),
            "-out",
            p12.to_str().unwrap(),
            "-passout",
            &pass,
        ],
    );
    assert!(ok, "{out}");
    p12
}

#[test]
fn a_pkcs12_key_signs_packs_that_pdfsig_and_verify_accept() {
    let (dir, store) = loaded();
    for kind in ["rsa", "ec"] {
        let p12 = std::fs::read(pkcs12(dir.path(), kind, "s3cret pass")).unwrap();
        assert!(matches!(Signer::from_pkcs12(&p12, "wrong"), Err(PackError::Sign(_))), "a wrong password is refused");
        let signer = Signer::from_pkcs12(&p12, "s3cret pass").unwrap();
        assert!(signer.identity().subject.contains(&format!("Example Org {kind} signing")), "{:?}", signer.identity());
        let out = dir.path().join(format!("{kind}.pdf"));
        let written = pack::write_subject_pack_signed(&store, ANNA, &out, &at(), Some(&signer)).unwrap();
        assert_eq!(&written.signed_by, signer.identity());
        let (valid, text) = pdfsig_valid(&out);
        assert!(valid, "{kind}: {text}");
        assert!(text.contains(&format!("Example Org {kind} signing")), "{text}");
        // Deterministic with this key too (RSA PKCS#1 v1.5, ECDSA RFC 6979).
        let again = pack::render_subject_signed(&store, ANNA, &at(), Some(&signer)).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), again.bytes, "{kind}");
        // This database signed a pack with it (the audit log says so): verify accepts it.
        let r = pack::verify(&store, &out).unwrap();
        assert!(r.ok, "{kind}: {:?}", r.differences);
        assert_eq!(r.signature.as_ref().and_then(|s| s.signer.as_ref()), Some(signer.identity()));
        assert!(r.checked.iter().any(|c| c.contains("one this database has signed packs with")), "{:?}", r.checked);
    }
}
