//! Build script: runs `tauri-build` with an explicit app manifest, so that every command in
//! `ipc::COMMANDS` gets an `allow-<command>` permission and nothing else does. The one capability
//! file in `src-tauri/capabilities/` then grants exactly those permissions to the main window.

include!("ipc/command_names.rs");

fn main() {
    println!("cargo:rerun-if-changed=src-tauri/ipc/command_names.rs");
    println!("cargo:rerun-if-changed=src-tauri/capabilities");

    let attributes = tauri_build::Attributes::new()
        // Our capabilities live under src-tauri/, not beside tauri.conf.json.
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {error:#}");
    }
}
