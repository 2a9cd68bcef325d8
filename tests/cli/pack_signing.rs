//! `pack --sign-with` and `verify` (issue 13): a PKCS#12 key with its password from the
//! environment, never on the command line; `verify --without-db` saying what it could not check;
//! a Flate bomb refused in bounded memory and a FIFO refused at once.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::*;

const ELENI: &str = "eleni.papadopoulou@example.gr";

fn imported() -> Db {
    let db = Db::new();
    db.run(&["import", &fixtures().join("exports-intl").display().to_string()]).ok();
    db
}

/// Runs the binary with one extra environment variable (or none).
fn run_env(args: &[&str], env: Option<(&str, &str)>) -> Run {
    let mut c = Command::new(bin());
    c.args(args).env_remove("CONSENTTRAIL_DB").env_remove("CONSENTTRAIL_SIGN_PASSWORD").stdin(Stdio::null());
    if let Some((k, v)) = env {
        c.env(k, v);
    }
    let started = Instant::now();
    let out = c.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: started.elapsed(),
        peak_rss_kib: None,
    }
}

fn openssl(args: &[&str]) {
    let out = Command::new("openssl").args(args).output().expect("openssl (apt install openssl)");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// An RSA certificate and key exported by `openssl pkcs12 -export` with `password`.
fn pkcs12(dir: &Path, password: &str) -> PathBuf {
    let (key, cert, p12) = (dir.join("org.key"), dir.join("org.crt"), dir.join("org.p12"));
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        key.to_str().unwrap(),
        "-out",
        cert.to_str().unwrap(),
        "-days",
        "365",
        "-subj",
        "/CN=Example Org DPO/O=Example Org",
    ]);
    let pass = format!("pass:{password}");
    openssl(&[
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
    ]);
    p12
}

#[test]
fn pack_sign_with_a_pkcs12_file_then_verify_with_and_without_the_database() {
    let db = imported();
    let p12 = pkcs12(db.dir.path(), "correct horse");
    let out = db.dir.path().join("eleni.pdf").display().to_string();
    let (dbarg, p12arg) = (db.arg(), p12.display().to_string());
    let args = ["--db", &dbarg, "--json", "pack", "subject", ELENI, "-o", &out, "--sign-with", &p12arg];

    // No password anywhere and no terminal to ask on: one line naming the variable.
    let line = run_env(&args, None).user_error();
    assert!(line.contains("CONSENTTRAIL_SIGN_PASSWORD"), "{line}");
    let line = run_env(&args, Some(("CONSENTTRAIL_SIGN_PASSWORD", "wrong"))).user_error();
    assert!(line.contains("org.p12") && line.contains("password"), "{line}");
    assert!(!Path::new(&out).exists());

    let r = run_env(&args, Some(("CONSENTTRAIL_SIGN_PASSWORD", "correct horse")));
    r.ok();
    let v = r.json();
    assert!(v["signed_by"]["subject"].as_str().unwrap().contains("CN=Example Org DPO"), "{v}");
    assert_eq!(v["signed_by"]["sha256"].as_str().unwrap().len(), 64);
    let pdfsig = Command::new("pdfsig").arg(&out).output().unwrap();
    let text = String::from_utf8_lossy(&pdfsig.stdout);
    assert!(text.contains("Signature is Valid") && text.contains("Example Org DPO"), "{text}");

    let r = db.run(&["--json", "verify", &out]);
    r.ok();
    let v = r.json();
    assert_eq!(v["ok"], Value::Bool(true));
    assert_eq!(v["signature"]["valid"], Value::Bool(true));
    assert!(v["signature"]["signer"]["subject"].as_str().unwrap().contains("Example Org DPO"));
    assert_eq!(v["not_checked"], Value::Array(vec![]));

    // Without any database: the signature is checked, and the output says what is not.
    let r = run_env(&["verify", "--without-db", &out], None);
    r.ok();
    assert!(r.stdout.contains("signed by") && r.stdout.contains("Example Org DPO"), "{}", r.stdout);
    assert!(r.stdout.contains("OK as far as the file alone can tell"), "{}", r.stdout);
    assert!(r.stdout.contains("Not checked:") && r.stdout.contains("renders for this manifest"), "{}", r.stdout);
    let r = run_env(&["--json", "verify", "--without-db", &out], None);
    r.ok();
    assert_eq!(r.json()["not_checked"].as_array().unwrap().len(), 3);
}

/// A one-page PDF whose page content is `zlib` data that inflates to `inflated` zero bytes.
fn flate_bomb(path: &Path, inflated: usize) {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![b' '; 1 << 20];
    for _ in 0..inflated >> 20 {
        std::io::Write::write_all(&mut z, &zeros).unwrap();
    }
    let bomb = z.finish().unwrap();
    let mut pdf = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    let objects: Vec<Vec<u8>> = vec![
        b"<</Type/Catalog/Pages 2 0 R>>".to_vec(),
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>".to_vec(),
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R>>".to_vec(),
        [
            format!("<</Length {}/Filter/FlateDecode>>\nstream\n", bomb.len()).into_bytes(),
            bomb,
            b"\nendstream".to_vec(),
        ]
        .concat(),
    ];
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        pdf.extend_from_slice(body);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        pdf.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!("trailer\n<</Size {}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes(),
    );
    std::fs::write(path, pdf).unwrap();
}

#[test]
fn verify_refuses_a_flate_bomb_in_bounded_memory_and_a_fifo_at_once() {
    let db = imported();
    let bomb = db.dir.path().join("bomb.pdf");
    flate_bomb(&bomb, 2 << 30);
    assert!(std::fs::metadata(&bomb).unwrap().len() < 4 << 20);
    let (dbarg, bombarg) = (db.arg(), bomb.display().to_string());
    let r = run_measured(&["--db", &dbarg, "verify", &bombarg]);
    let line = r.user_error();
    assert!(line.contains("bomb.pdf") && line.contains("inflates"), "{line}");
    let peak = r.peak_rss_kib.unwrap();
    eprintln!("verify of a 2 GiB Flate bomb: peak RSS {} KiB, {:?}", peak, r.elapsed);
    assert!(peak < 100 * 1024, "peak memory {} MiB verifying a 2 GiB Flate bomb", peak / 1024);

    let fifo = db.dir.path().join("pack.pdf");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let mut child = Command::new(bin())
        .args(["--db", &dbarg, "verify", fifo.to_str().unwrap()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("verify waited on a FIFO");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = child.wait_with_output().unwrap();
    assert_eq!(status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not a regular file"), "{stderr}");
}
