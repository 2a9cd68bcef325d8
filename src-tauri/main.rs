//! The ConsentTrail desktop app's entry point; everything happens in `consent_trail_app::run`.

// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::process::ExitCode;

/// mimalloc instead of the system allocator: an import parses records on one thread and frees
/// them on another, which glibc's allocator serves slowly (arena locks, consolidation).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match consent_trail_app::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ConsentTrail could not start: {error}");
            ExitCode::FAILURE
        }
    }
}
