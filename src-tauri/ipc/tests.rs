//! IPC tests on Tauri's mock runtime with the app's real configuration and access-control list
//! (`crate::context()`), plus the checks that keep the command list, the build manifest and the
//! capability file in step.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager, WebviewUrl, WebviewWindow, WebviewWindowBuilder};

use super::{AppState, IpcError, IpcErrorCode, COMMANDS};

const CAPABILITY: &str = include_str!("../capabilities/main-window.json");
const IPC_SOURCE: &str = include_str!("mod.rs");
const TAURI_CONF: &str = include_str!("../../tauri.conf.json");

fn mock_app(state: AppState) -> App<MockRuntime> {
    mock_builder()
        .manage(state)
        .invoke_handler(super::handler())
        .build(crate::context())
        .expect("the mock app builds with the real tauri.conf.json")
}

/// The window with `label`: the configured main window, or a new one.
fn window(app: &App<MockRuntime>, label: &str) -> WebviewWindow<MockRuntime> {
    match app.get_webview_window(label) {
        Some(window) => window,
        None => WebviewWindowBuilder::new(app, label, WebviewUrl::default()).build().expect("mock window"),
    }
}

/// Calls `cmd` as the page at tauri://localhost would (the Linux/macOS origin).
fn invoke(window: &WebviewWindow<MockRuntime>, cmd: &str) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().expect("url"),
        body: InvokeBody::default(),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    tauri::test::get_ipc_response(window, request).map(|body| body.deserialize::<Value>().expect("JSON response"))
}

#[test]
fn app_info_returns_the_engine_version_and_the_database_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("workspace").join("consenttrail.db");
    let app = mock_app(AppState::open(&db));

    let response = invoke(&window(&app, "main"), "app_info");

    assert_eq!(
        response,
        Ok(json!({
            "engineVersion": consenttrail_engine::VERSION,
            "databasePath": db.to_string_lossy(),
        }))
    );
    assert!(db.exists(), "the database is created at start-up");
}

#[test]
fn app_info_reports_a_database_that_could_not_be_opened() {
    let dir = tempfile::tempdir().expect("tempdir");
    let foreign = dir.path().join("notes.db");
    std::fs::write(&foreign, b"this is not an SQLite file, and must not be overwritten\n").expect("write");
    let app = mock_app(AppState::open(&foreign));

    let error = invoke(&window(&app, "main"), "app_info").expect_err("a foreign file is refused");

    assert_eq!(error["code"], "database", "{error}");
    let message = error["message"].as_str().expect("message");
    assert!(message.contains("notes.db"), "the message names the file: {message}");
    assert_eq!(std::fs::read(&foreign).expect("read"), b"this is not an SQLite file, and must not be overwritten\n");
}

#[test]
fn a_window_outside_the_capability_cannot_call_commands() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = mock_app(AppState::open(&dir.path().join("consenttrail.db")));

    let error = invoke(&window(&app, "intruder"), "app_info").expect_err("only the main window is granted app_info");

    assert!(error.to_string().contains("not allowed"), "the access-control list refuses it: {error}");
}

#[test]
fn ipc_error_json_is_pinned() {
    let error = IpcError::new(IpcErrorCode::Database, "consenttrail.db: cannot open the database");
    assert_eq!(
        serde_json::to_string(&error).expect("serialise"),
        r#"{"code":"database","message":"consenttrail.db: cannot open the database"}"#
    );

    // The codes are part of the UI contract (ui/src/api/backend.ts): never rename one.
    let codes = [
        (IpcErrorCode::Database, "database"),
        (IpcErrorCode::InvalidInput, "invalid_input"),
        (IpcErrorCode::NotFound, "not_found"),
        (IpcErrorCode::Cancelled, "cancelled"),
        (IpcErrorCode::Internal, "internal"),
    ];
    for (code, wire) in codes {
        assert_eq!(serde_json::to_value(code).expect("serialise"), json!(wire));
    }
}

#[test]
fn store_errors_map_to_fixed_codes() {
    let not_found = consenttrail_engine::store::StoreError::NotFound("subject 42".into());
    assert_eq!(IpcError::from(not_found).code, IpcErrorCode::NotFound);

    let foreign = consenttrail_engine::store::StoreError::Foreign {
        path: Path::new("/tmp/x.db").to_path_buf(),
        reason: "not SQLite".into(),
    };
    let error = IpcError::from(foreign);
    assert_eq!(error.code, IpcErrorCode::Database);
    assert!(error.message.contains("/tmp/x.db"), "{}", error.message);
}

/// The command names inside `tauri::generate_handler![...]` in ipc/mod.rs.
fn registered_commands() -> BTreeSet<String> {
    let start = IPC_SOURCE.find("generate_handler![").expect("ipc/mod.rs has generate_handler!");
    let list = &IPC_SOURCE[start + "generate_handler![".len()..];
    let end = list.find(']').expect("generate_handler! is closed");
    list[..end]
        .split(',')
        .map(str::trim)
        .filter(|path| !path.is_empty())
        .map(|path| path.rsplit("::").next().unwrap_or(path).to_string())
        .collect()
}

#[test]
fn registered_commands_match_the_command_list() {
    let listed: BTreeSet<String> = COMMANDS.iter().map(|c| (*c).to_string()).collect();
    assert_eq!(listed.len(), COMMANDS.len(), "COMMANDS has duplicates");
    assert_eq!(
        registered_commands(),
        listed,
        "ipc::handler and ipc::COMMANDS (the build manifest) must name the same commands"
    );
}

#[test]
fn the_capability_grants_exactly_the_app_commands() {
    let capability: Value = serde_json::from_str(CAPABILITY).expect("capability JSON");
    let granted: BTreeSet<String> = capability["permissions"]
        .as_array()
        .expect("permissions array")
        .iter()
        .map(|p| p.as_str().expect("permissions are plain identifiers").to_string())
        .collect();
    let expected: BTreeSet<String> = COMMANDS.iter().map(|c| format!("allow-{}", c.replace('_', "-"))).collect();

    assert_eq!(granted, expected, "capabilities/main-window.json must allow exactly ipc::COMMANDS");
    assert_eq!(capability["windows"], json!(["main"]));
}

#[test]
fn every_listed_command_is_reachable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = mock_app(AppState::open(&dir.path().join("consenttrail.db")));
    let main = window(&app, "main");

    for command in COMMANDS {
        if let Err(error) = invoke(&main, command) {
            let text = error.to_string();
            assert!(
                !text.contains("not found") && !text.contains("not allowed"),
                "{command} is listed but not callable: {text}"
            );
        }
    }
    let unknown = invoke(&main, "no_such_command").expect_err("unknown command");
    assert!(unknown.to_string().contains("not found"), "{unknown}");
}

#[test]
fn the_webview_is_locked_down() {
    let conf: Value = serde_json::from_str(TAURI_CONF).expect("tauri.conf.json");
    let app = &conf["app"];
    assert_eq!(app["withGlobalTauri"], json!(false));
    assert_eq!(app["security"]["freezePrototype"], json!(true));

    let csp = app["security"]["csp"].as_object().expect("CSP object");
    assert_eq!(csp["default-src"], json!("'self'"));
    for (directive, sources) in csp {
        let sources = sources.as_str().expect("CSP sources are strings");
        for source in sources.split_whitespace() {
            let local = source.starts_with('\'') || source == "ipc:" || source == "http://ipc.localhost";
            assert!(local, "CSP {directive} allows a non-local source: {source}");
        }
    }
}
