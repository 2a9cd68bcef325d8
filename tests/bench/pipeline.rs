//! Pipeline benchmark (SPEC §8), a program that prints figures — not a timed test.
//!
//! 1. Generates 1,000,000 canonical events for 100,000 subjects (~120 MB CSV) in
//!    `target/bench-data/` (never committed), deterministically.
//! 2. Times the `sqlite3` shell's `.import` of the same file into a bare table (the floor for
//!    getting rows into SQLite), then ConsentTrail's import (normalisation, identity resolution,
//!    raw rows, indexes, one transaction); prints both, the ratio, events/s and peak memory.
//! 3. Times the audit (every rule over every event) and a per-subject timeline query.
//!
//! Run: `cargo bench -p consenttrail-engine --bench pipeline` (env `BENCH_EVENTS` to scale).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use consenttrail_engine::import::{self, ImportOptions};
use consenttrail_engine::pack::{self, PackOptions};
use consenttrail_engine::reconcile::subjects::{self, SubjectQuery, SubjectSort};
use consenttrail_engine::reconcile::timeline;
use consenttrail_engine::rules::audit;
use consenttrail_engine::store::{identity, Store};

/// The allocator the app and the CLI use (an import allocates on one thread, frees on another).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const PURPOSES: [&str; 4] = ["email-marketing", "sms-marketing", "advertising", "analytics"];
const PARTNERS: [&str; 3] = ["Meta Platforms Ireland Limited", "Google Ireland Limited", "DataCo List Services Ltd"];

/// Writes `events` canonical rows for `events / 10` subjects; returns the file size.
fn generate(path: &Path, events: usize) -> u64 {
    let f = std::fs::File::create(path).unwrap();
    let mut w = BufWriter::with_capacity(1 << 20, f);
    writeln!(w, "subject,kind,occurred_at,purpose,recipients,channel,method,notice_version,evidence").unwrap();
    let subjects = (events / 10).max(1);
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let base = 1_640_995_200i64; // 2022-01-01T00:00:00Z
    for s in 0..subjects {
        let email = format!("customer{s:06}@example.com");
        let purpose = PURPOSES[s % PURPOSES.len()];
        let mut t = base + (next() % 31_536_000) as i64;
        for i in 0..10 {
            let (kind, recipients, method) = match i {
                0 => ("consent.given", "", "explicit-opt-in"),
                1 => ("consent.confirmed", "", "double-opt-in"),
                6 => ("disclosure", PARTNERS[(next() % 3) as usize], ""),
                8 if s % 5 == 0 => ("consent.withdrawn", "", ""),
                _ => ("processing", "", ""),
            };
            t += 3600 + (next() % 2_592_000) as i64;
            let when = chrono::DateTime::from_timestamp(t, 0).unwrap().format("%Y-%m-%dT%H:%M:%SZ");
            writeln!(
                w,
                "{email},{kind},{when},{purpose},{recipients},email,{method},PN-2021.2,\"{{\"\"campaign\"\":\"\"c{}\"\"}}\"",
                next() % 500
            )
            .unwrap();
        }
    }
    w.flush().unwrap();
    std::fs::metadata(path).unwrap().len()
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn main() {
    let events: usize = std::env::var("BENCH_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join(format!("canonical-{events}.csv"));
    if !csv.exists() {
        let t = Instant::now();
        let bytes = generate(&csv, events);
        println!("generated {} ({:.1} MB) in {:.1} s", csv.display(), bytes as f64 / 1e6, t.elapsed().as_secs_f64());
    }
    let bytes = std::fs::metadata(&csv).unwrap().len();
    println!("input: {events} events, {} subjects, {:.1} MB", events / 10, bytes as f64 / 1e6);

    // The floor: sqlite3 .import into a bare table.
    let bare = dir.join("bare.db");
    let _ = std::fs::remove_file(&bare);
    let t = Instant::now();
    let status = Command::new("sqlite3")
        .arg(&bare)
        .arg(".mode csv")
        .arg(format!(".import {} events", csv.display()))
        .status()
        .expect("the sqlite3 shell is needed for the comparison (apt-get install sqlite3)");
    assert!(status.success());
    let sqlite_s = t.elapsed().as_secs_f64();

    // ConsentTrail import.
    let db = dir.join("bench.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let mut store = Store::open(&db).unwrap();
    let cancel = AtomicBool::new(false);
    let t = Instant::now();
    let report =
        import::import_paths(&mut store, std::slice::from_ref(&csv), &ImportOptions::default(), &mut |_| {}, &cancel)
            .unwrap();
    let import_s = t.elapsed().as_secs_f64();
    let f = &report.files[0];
    assert_eq!(f.status, "imported", "{f:?}");
    assert_eq!(f.events as usize, events, "every generated event must be imported");

    println!("sqlite3 .import (bare table):   {sqlite_s:>8.2} s");
    println!("consent-trail import:           {import_s:>8.2} s  ({:.0} events/s)", events as f64 / import_s);
    println!("ratio import / sqlite3:         {:>8.2}  (target ≤ 2)", import_s / sqlite_s);
    println!("peak memory (VmHWM) so far:     {:>8.1} MB (target < 300 MB)", peak_rss_mb());

    let t = Instant::now();
    let audit = audit::run(&mut store).unwrap();
    let audit_s = t.elapsed().as_secs_f64();
    println!("audit (R1–R11 over all events): {audit_s:>8.2} s  ({} findings; target < 5 s)", audit.summary.findings);

    // A subject in the middle of the data (any BENCH_EVENTS).
    let middle = format!("customer{:06}@example.com", events / 20);
    let subject = identity::subject_of(store.conn(), &middle).unwrap().unwrap();
    let runs = 200;
    let t = Instant::now();
    for _ in 0..runs {
        let events = timeline::subject_events(store.conn(), subject).unwrap();
        assert_eq!(events.len(), 10);
    }
    println!(
        "per-subject timeline query:     {:>8.3} ms (mean of {runs}; target < 10 ms)",
        t.elapsed().as_secs_f64() * 1000.0 / runs as f64
    );

    // The app's subject list (SPEC §6: 100k+ subjects scroll smoothly): one page of 200 as the
    // virtual scroller asks for it, deep in the list, for each sort order — the first page of an
    // order, then the next one (a sort by counts is kept between pages, as in the app).
    for (sort, name) in [(SubjectSort::Id, "id"), (SubjectSort::Findings, "findings"), (SubjectSort::Events, "events")]
    {
        let deep = (events / 20) as i64;
        let mut times = Vec::new();
        for offset in [deep, deep + 200] {
            let query = SubjectQuery { search: String::new(), sort, descending: true, limit: 200, offset };
            let t = Instant::now();
            let page = store.subject_page(&query).unwrap();
            assert_eq!(page.rows.len(), 200);
            times.push((t.elapsed().as_secs_f64(), page.total));
        }
        println!(
            "subject list page, by {name:<8}    {:>8.3} s, next page {:.3} s  ({} subjects in all)",
            times[0].0, times[1].0, times[0].1
        );
    }
    let query = SubjectQuery {
        search: middle[..12].to_string(),
        sort: SubjectSort::Id,
        descending: false,
        limit: 200,
        offset: 0,
    };
    let t = Instant::now();
    let found = subjects::page(store.conn(), &query).unwrap();
    println!("subject search '{}':  {:>8.3} s  ({} matches)", &middle[..12], t.elapsed().as_secs_f64(), found.total);

    // Evidence packs (SPEC §8): a subject pack (these subjects have 10 events each; the
    // 200-event figure is measured by the pack tests' fixture sizes) and the organisation pack.
    let out = dir.join("subject-pack.pdf");
    let t = Instant::now();
    let written =
        pack::write_subject_pack(&store, "customer000001@example.com", &out, &PackOptions::default()).unwrap();
    println!(
        "subject pack ({} pages):          {:>8.3} s  (target < 0.5 s for 200 events)",
        written.pages,
        t.elapsed().as_secs_f64()
    );
    let out = dir.join("organisation-pack.pdf");
    let t = Instant::now();
    let written = pack::write_organisation_pack(&mut store, &out, &PackOptions::default()).unwrap();
    println!(
        "organisation pack ({} pages):    {:>8.2} s  (target < 30 s over 1M events)",
        written.pages,
        t.elapsed().as_secs_f64()
    );
    println!("peak memory (VmHWM) at end:     {:>8.1} MB", peak_rss_mb());
}
