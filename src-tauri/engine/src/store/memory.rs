//! Giving back to the system the memory SQLite no longer uses.
//!
//! SQLite allocates with the C library's allocator (the app's and the CLI's own allocations go
//! to mimalloc), and glibc keeps what SQLite frees in its heaps: shrinking a page cache frees
//! its pages to glibc, not to the system, and no Rust allocation can reuse them. Asking glibc
//! to trim (`malloc_trim`) returns them. Measured on the 1M-event benchmark database after an
//! audit and an organisation pack in one process: 118 MB resident; shrinking the page cache
//! alone, still 118 MB; trimming alone, 115 MB; both, 50 MB.

use rusqlite::Connection;

use super::StoreError;

/// Drops the pages the connection's cache holds (SQLite reads them again when a query needs
/// them; the cache's size setting is unchanged) and gives the memory back to the system. For a
/// step that needs memory more than the cache: `verify`, before it reads a pack.
pub fn release_page_cache(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch("PRAGMA shrink_memory")?;
    give_back_freed();
    Ok(())
}

/// Returns the pages glibc's allocator holds free to the system; true when it gave some back.
/// Elsewhere (musl, macOS, Windows) nothing: those allocators return memory themselves.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn give_back_freed() -> bool {
    // SAFETY: malloc_trim takes no pointer and touches only glibc's own free lists, under the
    // locks every allocation takes; it is safe to call from any thread at any time.
    unsafe { libc::malloc_trim(0) == 1 }
}

/// Returns the pages glibc's allocator holds free to the system; elsewhere nothing.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn give_back_freed() -> bool {
    false
}
