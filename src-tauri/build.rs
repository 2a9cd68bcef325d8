//! Build script: runs `tauri-build` with an explicit app manifest, so that every command in
//! `ipc::COMMANDS` gets an `allow-<command>` permission and nothing else does. The one capability
//! file in `src-tauri/capabilities/` then grants exactly those permissions to the main window.
//! End-to-end test builds (feature `e2e`) also get `E2E_COMMANDS` and read
//! `src-tauri/capabilities-e2e/`, which grants them.

include!("ipc/command_names.rs");

fn main() {
    println!("cargo:rerun-if-changed=src-tauri/ipc/command_names.rs");
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    println!("cargo:rerun-if-changed=src-tauri/capabilities-e2e");

    let e2e = std::env::var_os("CARGO_FEATURE_E2E").is_some();
    let mut commands: Vec<&str> = COMMANDS.to_vec();
    let mut pattern = "./src-tauri/capabilities/**/*";
    if e2e {
        commands.extend_from_slice(E2E_COMMANDS);
        pattern = "./src-tauri/capabilities*/**/*";
    }
    let attributes = tauri_build::Attributes::new()
        // Our capabilities live under src-tauri/, not beside tauri.conf.json.
        .capabilities_path_pattern(pattern)
        // tauri-build keeps the list for the whole build: give it a 'static slice.
        .app_manifest(tauri_build::AppManifest::new().commands(Box::leak(commands.into_boxed_slice())));
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {error:#}");
    }
}
