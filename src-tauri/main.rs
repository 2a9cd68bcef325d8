//! The ConsentTrail desktop app's entry point; everything happens in `consent_trail_app::run`.

// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::process::ExitCode;

fn main() -> ExitCode {
    match consent_trail_app::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ConsentTrail could not start: {error}");
            ExitCode::FAILURE
        }
    }
}
