//! SPEC §3: a slash-date column whose day and month could be either order requires the order
//! (`--date-format`), and the question comes at once — on a large file too.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::*;

/// A disclosure log of `rows` sends whose dates are all ambiguous (`0d/0d/2023`).
fn ambiguous_log(path: &Path, rows: usize) {
    let mut w = BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(w, "date,email,campaign_type").unwrap();
    for i in 0..rows {
        let d = 1 + i % 9;
        writeln!(w, "0{d}/0{d}/2023,user{i}@example.com,Email Marketing").unwrap();
    }
    w.flush().unwrap();
}

/// Runs the binary, killing it after `limit`; None when it had to be killed.
fn run_within(args: &[&str], limit: Duration) -> Option<(i32, String)> {
    let dir = tempfile::tempdir().unwrap();
    let err = dir.path().join("stderr");
    let mut child = std::process::Command::new(bin())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some((status.code().unwrap_or(-1), std::fs::read_to_string(&err).unwrap()));
        }
        if started.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_large_ambiguous_column_asks_for_the_order_at_once() {
    let db = Db::new();
    let log = db.dir.path().join("sends.csv");
    ambiguous_log(&log, 5_000);
    let dbp = db.arg();
    let logp = log.display().to_string();
    // One pass settles (or fails to settle) a column; the file is not re-read for every row.
    let outcome = run_within(&["--db", &dbp, "import", &logp], Duration::from_secs(30));
    let (code, stderr) =
        outcome.expect("the import was still running after 30 s (the column is re-scanned for every row)");
    assert_eq!(code, 1, "the file fails and asks: {stderr}");
    assert!(stderr.contains("--date-format"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    // With the order given it imports every row.
    let outcome = run_within(&["--db", &dbp, "import", "--date-format", "dmy", &logp], Duration::from_secs(60));
    let (code, stderr) = outcome.expect("the import with --date-format was still running after 60 s");
    assert_eq!(code, 0, "{stderr}");
    let sources = db.run(&["--json", "sources"]).json();
    assert_eq!(sources[0]["rows_imported"], 5_000, "{sources}");
    assert_eq!(sources[0]["rows_rejected"], 0, "{sources}");
}
