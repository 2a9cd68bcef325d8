//! `store::memory`: the store's page cache is given back to the system, not only to the C
//! allocator (verify does this before it reads a pack, whose bytes are its peak).

use std::process::Command;

use consenttrail_engine::store::memory;

use crate::support::*;

/// Set in the process this test runs itself in.
const CHILD: &str = "CONSENTTRAIL_MEMORY_TEST_CHILD";

fn resident_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    kb / 1024.0
}

/// Resident memory is a figure of the whole process, and the other tests allocate on their
/// threads meanwhile: the test binary runs this one test again, alone, in a process of its own.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn releasing_the_page_cache_gives_its_memory_back_to_the_system() {
    if std::env::var_os(CHILD).is_none() {
        let out = Command::new(std::env::current_exe().unwrap())
            .args([
                "store_memory::releasing_the_page_cache_gives_its_memory_back_to_the_system",
                "--exact",
                "--test-threads=1",
                "--nocapture",
            ])
            .env(CHILD, "1")
            .output()
            .unwrap();
        let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "{said}");
        assert!(said.contains("1 passed"), "the test ran in its own process: {said}");
        return;
    }
    let (_dir, store) = temp_store();
    let conn = store.conn();
    // About 48 MB of pages, in the store's usual 64 MiB cache.
    conn.execute_batch(
        "CREATE TABLE filler (b BLOB);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12000)
         INSERT INTO filler SELECT randomblob(4000) FROM n;",
    )
    .unwrap();
    let total = "SELECT sum(length(b)) FROM filler";
    assert_eq!(count(&store, total), 48_000_000);
    // Another connection's cache, filled after it, stays: so the pages released are not at the
    // top of the C heap (which glibc would give back on its own), as in a process that went
    // on working after its import.
    let other = rusqlite::Connection::open(store.path()).unwrap();
    other.execute_batch("PRAGMA cache_size = -65536").unwrap();
    let read: i64 = other.query_row(total, [], |r| r.get(0)).unwrap();
    assert_eq!(read, 48_000_000);
    let cached = resident_mb();
    memory::release_page_cache(conn).unwrap();
    let released = resident_mb();
    println!("resident with the cache full: {cached:.1} MB; after releasing it: {released:.1} MB");
    assert!(cached - released >= 32.0, "{cached:.1} MB -> {released:.1} MB: the cache's memory was not given back");
    // The store works as before, with the cache it had.
    assert_eq!(count(&store, total), 48_000_000);
    assert_eq!(count(&store, "PRAGMA cache_size"), -65536);
}
