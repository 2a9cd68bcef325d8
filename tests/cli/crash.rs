//! SPEC §7: an import is one transaction per file — a process killed with SIGKILL in the middle
//! of a large import leaves the database logically as it was before that file (the same rows in
//! every table), and the database still opens and takes imports.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use consenttrail_engine::store::Store;

use crate::support::*;

/// Every row of every table, verbatim and in a fixed order.
fn snapshot(db: &Path) -> Vec<(String, Vec<String>)> {
    let store = Store::open(db).unwrap();
    let conn = store.conn();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get::<usize, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut out = Vec::new();
    for table in tables {
        let columns: Vec<String> = conn
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid"))
            .unwrap()
            .query_map([], |r| r.get::<usize, String>(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let row: Vec<String> = columns.iter().map(|c| format!("quote(\"{c}\")")).collect();
        let order: Vec<String> = (1..=columns.len()).map(|i| i.to_string()).collect();
        let sql = format!(
            "SELECT {} FROM (SELECT * FROM \"{table}\" ORDER BY {})",
            row.join(" || '|' || "),
            order.join(", ")
        );
        let rows: Vec<String> = conn
            .prepare(&sql)
            .unwrap()
            .query_map([], |r| r.get::<usize, String>(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        out.push((table, rows));
    }
    out
}

/// A canonical CSV of `rows` events over 50,000 subjects (about 100 bytes a row).
fn big_canonical(path: &Path, rows: usize) {
    let mut w = BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(w, "subject,kind,occurred_at,purpose,recipients,channel,method,notice_version").unwrap();
    for i in 0..rows {
        let (day, hour, minute, second) = (1 + i % 28, (i / 28) % 24, (i / 672) % 60, i % 60);
        let kind = if i % 7 == 0 { "consent.withdrawn" } else { "consent.given" };
        writeln!(
            w,
            "user{}@example.com,{kind},2023-{:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z,email-marketing,,email,explicit-opt-in,PN-{}",
            i % 50_000,
            1 + (i / 40_320) % 12,
            i % 5
        )
        .unwrap();
    }
    w.flush().unwrap();
}

fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

#[test]
fn sigkill_mid_import_leaves_every_table_as_before() {
    let db = Db::new();
    // A first, committed import.
    db.run(&["import", &fixtures().join("exports-intl/mailchimp").display().to_string()]).ok();
    let before = snapshot(&db.path());
    let events_before = before.iter().find(|(t, _)| t == "events").map(|(_, r)| r.len()).unwrap();
    // 16: an unsubscribed member without UNSUB_TIME counts as an undated withdrawal (SPEC §2).
    assert_eq!(events_before, 16, "the first import is committed");

    let big = db.dir.path().join("big.csv");
    big_canonical(&big, 200_000);
    // Large files import with a rollback journal, smaller ones through the WAL: watch all three.
    let written =
        || ["ct.db", "ct.db-wal", "ct.db-journal"].iter().map(|f| file_len(&db.dir.path().join(f))).sum::<u64>();
    let written_at_start = written();
    let mut child = std::process::Command::new(bin())
        .args(["--db", &db.arg(), "import", &big.display().to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the import has written well into its transaction (pages spilled to disk).
    let started = Instant::now();
    loop {
        if written() > written_at_start + (2 << 20) {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the import ended ({status}) before it could be killed; make the file larger");
        }
        assert!(started.elapsed() < Duration::from_secs(120), "the import wrote nothing to disk in 120 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(child.try_wait().unwrap().is_none(), "still running when killed");
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(9), "{status}");

    let after = snapshot(&db.path());
    assert_eq!(after.len(), before.len());
    for ((table, rows_before), (_, rows_after)) in before.iter().zip(&after) {
        assert!(
            rows_before == rows_after,
            "table {table} changed: {} rows before, {} after",
            rows_before.len(),
            rows_after.len()
        );
    }
    let store = Store::open(&db.path()).unwrap();
    let check: String = store.conn().query_row("PRAGMA integrity_check", [], |r| r.get::<usize, String>(0)).unwrap();
    assert_eq!(check, "ok");
    drop(store);
    // The database still works: another file imports, and the killed file is not "already imported".
    db.run(&["import", &fixtures().join("exports-intl/salesforce").display().to_string()]).ok();
    let small = db.dir.path().join("big-head.csv");
    big_canonical(&small, 50);
    db.run(&["import", &small.display().to_string()]).ok();
    let sources = db.run(&["--json", "sources"]).json();
    assert!(
        sources.as_array().unwrap().iter().all(|s| s["path"] != serde_json::json!(big.display().to_string())),
        "the killed import left a source behind: {sources}"
    );
}
