//! IPC tests on Tauri's mock runtime with the app's real configuration and access-control list
//! (`crate::context()`), plus the checks that keep the command list, the build manifest and the
//! capability file in step.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, Listener, Manager, WebviewUrl, WebviewWindow, WebviewWindowBuilder};

use super::{AppState, IpcError, IpcErrorCode, COMMANDS, E2E_COMMANDS, PLUGIN_PERMISSIONS};

/// The CLI binary and these commands give the same findings after the same steps.
mod parity;

const CAPABILITY: &str = include_str!("../capabilities/main-window.json");
const IPC_SOURCE: &str = include_str!("mod.rs");
const TAURI_CONF: &str = include_str!("../../tauri.conf.json");

/// A token for `path` as if the user had dropped it or picked it in an open dialog.
fn read_token(app: &App<MockRuntime>, path: impl Into<std::path::PathBuf>) -> String {
    app.state::<AppState>().paths.grant_read(path.into()).expect("grant").token
}

/// A token for `path` as if the user had chosen it in a save dialog.
fn save_token(app: &App<MockRuntime>, path: impl Into<std::path::PathBuf>) -> String {
    app.state::<AppState>().paths.grant_write(path.into()).expect("grant").token
}

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
    invoke_with(window, cmd, json!({}))
}

/// Calls `cmd` with JSON arguments (camelCase names, as the UI sends them).
fn invoke_with(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().expect("url"),
        body: InvokeBody::Json(args),
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
            "engine_version": consenttrail_engine::VERSION,
            "database_path": db.to_string_lossy(),
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
fn the_main_window_may_print_itself() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = mock_app(AppState::open(&dir.path().join("consenttrail.db")));

    assert_eq!(invoke(&window(&app, "main"), "print_window"), Ok(Value::Null));
    let error = invoke(&window(&app, "intruder"), "print_window").expect_err("only the main window may print");
    assert!(error.to_string().contains("not allowed"), "{error}");
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
        (IpcErrorCode::ForbiddenPath, "forbidden_path"),
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
        .filter(|path| !path.is_empty() && path.chars().all(|c| c.is_alphanumeric() || c == '_' || c == ':'))
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
    let mut expected: BTreeSet<String> = COMMANDS.iter().map(|c| format!("allow-{}", c.replace('_', "-"))).collect();
    expected.extend(PLUGIN_PERMISSIONS.iter().map(|p| (*p).to_string()));

    assert_eq!(
        granted, expected,
        "capabilities/main-window.json must allow exactly ipc::COMMANDS and ipc::PLUGIN_PERMISSIONS"
    );
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

/// Compliance staff mostly run Windows and macOS: the installers for both are configured beside
/// the .deb (CI here builds only the .deb; see the README), with the icon formats they need.
#[test]
fn the_bundle_targets_windows_macos_and_debian() {
    let conf: Value = serde_json::from_str(TAURI_CONF).expect("tauri.conf.json");
    let targets: BTreeSet<&str> =
        conf["bundle"]["targets"].as_array().expect("bundle targets").iter().filter_map(Value::as_str).collect();
    assert_eq!(targets, BTreeSet::from(["deb", "dmg", "msi", "nsis"]));
    let icons: Vec<&str> = conf["bundle"]["icon"].as_array().expect("icons").iter().filter_map(Value::as_str).collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for format in [".png", ".ico", ".icns"] {
        let icon = icons.iter().find(|icon| icon.ends_with(format)).unwrap_or_else(|| panic!("no {format} icon"));
        assert!(root.join(icon).is_file(), "{icon} is listed but missing");
    }
}

#[test]
fn the_test_only_drop_command_is_granted_only_to_test_builds() {
    let capability: Value =
        serde_json::from_str(include_str!("../capabilities-e2e/e2e.json")).expect("e2e capability JSON");
    let granted: Vec<&str> =
        capability["permissions"].as_array().expect("permissions").iter().filter_map(Value::as_str).collect();
    let expected: Vec<String> = E2E_COMMANDS.iter().map(|c| format!("allow-{}", c.replace('_', "-"))).collect();
    assert_eq!(granted, expected);
    assert!(!CAPABILITY.contains("e2e"), "the shipped capability must not mention the test-only commands");
}

#[cfg(not(feature = "e2e"))]
#[test]
fn the_shipped_app_has_no_test_only_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = mock_app(AppState::open(&dir.path().join("consenttrail.db")));
    for command in E2E_COMMANDS {
        let error = invoke(&window(&app, "main"), command).expect_err("not in a shipped build");
        assert!(error.to_string().contains("not found") || error.to_string().contains("not allowed"), "{error}");
    }
}

fn exports() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exports")
}

#[test]
fn the_screens_commands_work_on_an_imported_workspace() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("consenttrail.db");
    let app = mock_app(AppState::open(&db));
    let main = window(&app, "main");

    // Import screen: the preview detects every file and writes nothing.
    let previews =
        invoke_with(&main, "preview_files", json!({"tokens": [read_token(&app, exports())]})).expect("preview");
    let previews = previews.as_array().expect("array");
    assert!(previews.len() >= 10, "{previews:?}");
    assert!(previews.iter().all(|p| p["status"] == "ready"), "{previews:?}");
    let catalog = invoke(&main, "import_catalog").expect("catalog");
    assert!(catalog["systems"].as_array().expect("systems").iter().any(|s| s["id"] == "salesforce"));
    assert!(!catalog["event_kinds"].as_array().expect("kinds").contains(&json!("consent.negative")));

    // The import itself goes through the engine here (its channel needs a real webview; the
    // end-to-end test drives it through the window).
    {
        let mut store = consenttrail_engine::store::Store::open(&db).expect("second connection");
        let cancel = std::sync::atomic::AtomicBool::new(false);
        let options = consenttrail_engine::import::ImportOptions::default();
        let report =
            consenttrail_engine::import::import_paths(&mut store, &[exports()], &options, &mut |_| {}, &cancel)
                .expect("import");
        assert!(!report.any_failed());
    }
    // A channel id as the page sends it (`__CHANNEL__:<id>`); the mock webview drops the messages.
    let summary = invoke_with(&main, "run_audit", json!({"onProgress": "__CHANNEL__:7"})).expect("audit");
    assert!(summary["findings"].as_u64().expect("count") > 0, "{summary}");

    // Subjects: search, then the timeline with its R1 finding and a raw source row.
    let page = invoke_with(
        &main,
        "list_subjects",
        json!({"query": {"search": "soren", "sort": "findings", "descending": true, "limit": 50, "offset": 0}}),
    )
    .expect("subjects");
    assert_eq!(page["total"], 1, "{page}");
    let subject = page["rows"][0]["id"].as_i64().expect("id");
    let timeline = invoke_with(&main, "subject_timeline", json!({"subjectId": subject})).expect("timeline");
    let findings = timeline["findings"].as_array().expect("findings");
    let r1 = findings.iter().find(|f| f["rule"] == "R1").expect("an R1 finding");
    assert_eq!(r1["recipient"], "Facebook Custom Audiences");
    assert!(!timeline["state_bars"].as_array().expect("bars").is_empty());
    let event = timeline["events"][0]["id"].as_i64().expect("event id");
    let source = invoke_with(&main, "event_source", json!({"eventId": event})).expect("source");
    assert!(!source["raw"].as_str().expect("raw").is_empty());
    let missing = invoke_with(&main, "subject_timeline", json!({"subjectId": 999_999})).expect_err("no subject");
    assert_eq!(missing["code"], "not_found");

    // Findings: filtered counts, a page, a decision.
    let breakdown = invoke_with(&main, "findings_breakdown", json!({"filter": {"rule": "R1"}})).expect("breakdown");
    assert_eq!(breakdown["total"], 1, "{breakdown}");
    let page = invoke_with(&main, "findings_page", json!({"filter": {}, "limit": 5, "offset": 0})).expect("page");
    assert_eq!(page["rows"].as_array().expect("rows").len(), 5);
    let no_note = invoke_with(
        &main,
        "decide_finding",
        json!({"findingId": r1["id"], "status": "accepted", "note": " ", "by": null}),
    )
    .expect_err("a decision needs a note");
    assert_eq!(no_note["code"], "invalid_input");
    let decision = invoke_with(
        &main,
        "decide_finding",
        json!({"findingId": r1["id"], "status": "remediated", "note": "Audience deleted", "by": "DPO"}),
    )
    .expect("decide");
    assert_eq!(decision["status"], "remediated");
    let bad_filter =
        invoke_with(&main, "findings_page", json!({"filter": {"status": "maybe"}, "limit": 5, "offset": 0}));
    assert_eq!(bad_filter.expect_err("unknown status")["code"], "invalid_input");
    // The date range (inclusive UTC days) narrows the list and the counts; a backwards one is refused.
    let future = json!({"from": "2999-01-01", "exclude_undated": true});
    let none = invoke_with(&main, "findings_page", json!({"filter": future, "limit": 5, "offset": 0})).expect("page");
    assert_eq!(none["total"], 0, "{none}");
    let counted = invoke_with(&main, "findings_breakdown", json!({"filter": future})).expect("breakdown");
    assert_eq!(counted["total"], 0, "{counted}");
    let backwards = json!({"filter": {"from": "2024-02-01", "to": "2024-01-01"}, "limit": 5, "offset": 0});
    assert_eq!(invoke_with(&main, "findings_page", backwards).expect_err("backwards")["code"], "invalid_input");
    // The filtered list exported for a spreadsheet, to the path the save dialog gave.
    let csv = dir.path().join("findings.csv");
    let exported =
        invoke_with(&main, "export_findings", json!({"filter": {"rule": "R1"}, "token": save_token(&app, &csv)}))
            .expect("export");
    assert_eq!(exported["rows"], 1, "{exported}");
    let text = std::fs::read_to_string(&csv).expect("csv");
    assert!(text.contains("Unnamed recipient") && text.contains("Audience deleted"), "{text}");
    let no_xlsx =
        invoke_with(&main, "export_findings", json!({"filter": {}, "token": save_token(&app, "findings.xlsx")}));
    assert_eq!(no_xlsx.expect_err("relative")["code"], "invalid_input");

    // Evidence: write the subject's pack, verify it; a relative or non-PDF path is refused.
    let pack = dir.path().join("soren.pdf");
    let pack_token = save_token(&app, &pack);
    let written = invoke_with(
        &main,
        "make_subject_pack",
        json!({"subjectId": subject, "token": pack_token, "caseReference": "DSAR-1"}),
    )
    .expect("pack");
    assert!(pack.is_file());
    assert_eq!(written["sha256"].as_str().map(str::len), Some(64));
    let verified =
        invoke_with(&main, "verify_pack", json!({"token": read_token(&app, &pack), "onProgress": "__CHANNEL__:8"}))
            .expect("verify");
    assert_eq!(verified["ok"], true, "{verified}");
    let relative = invoke_with(
        &main,
        "make_subject_pack",
        json!({"subjectId": subject, "token": save_token(&app, "x.pdf"), "caseReference": null}),
    );
    assert_eq!(relative.expect_err("relative")["code"], "invalid_input");
    let not_pdf = invoke_with(&main, "open_pack", json!({"token": read_token(&app, &db)}));
    assert_eq!(not_pdf.expect_err("only PDFs open")["code"], "invalid_input");
    // The pack just written may be verified and opened through the token it was saved to.
    let reverified =
        invoke_with(&main, "verify_pack", json!({"token": pack_token, "onProgress": "__CHANNEL__:9"})).expect("verify");
    assert_eq!(reverified["ok"], true, "{reverified}");

    // Sources: listed with hashes; removing one removes its events and re-audits.
    let sources = invoke(&main, "list_sources").expect("sources");
    let sources = sources.as_array().expect("array");
    assert_eq!(sources.len(), previews.len());
    let hubspot = sources.iter().find(|s| s["system"] == "hubspot").expect("hubspot source");
    let removed = invoke_with(&main, "remove_source", json!({"sourceId": hubspot["id"]})).expect("remove");
    assert!(removed["events_removed"].as_u64().expect("count") > 0);
    assert_eq!(invoke(&main, "list_sources").expect("sources").as_array().expect("array").len(), sources.len() - 1);

    // Profile: read, save unchanged, and a broken document is refused with its JSON path.
    let mut profile = invoke(&main, "get_profile").expect("profile");
    invoke_with(&main, "save_profile", json!({"profile": profile})).expect("save");
    profile["policy"]["withdrawal_grace_hours"] = json!("soon");
    let broken = invoke_with(&main, "save_profile", json!({"profile": profile})).expect_err("invalid");
    assert_eq!(broken["code"], "invalid_input");
    assert!(broken["message"].as_str().expect("message").contains("withdrawal_grace_hours"), "{broken}");

    // Audit log: every action above, oldest first, and an intact chain.
    let log = invoke(&main, "audit_log").expect("audit log");
    let actions: Vec<&str> =
        log["entries"].as_array().expect("entries").iter().filter_map(|e| e["action"].as_str()).collect();
    for action in ["import", "audit", "decide", "pack", "remove-source", "profile-import"] {
        assert!(actions.contains(&action), "{action} missing from {actions:?}");
    }
    assert_eq!(actions.last(), Some(&"audit"), "newest last (the audit after the profile save): {actions:?}");
    assert_eq!(log["chain"]["ok"], true, "{}", log["chain"]);
    assert_eq!(log["chain"]["entries"].as_u64(), Some(actions.len() as u64));
}

/// An organisation's certificate and key as `openssl` exports them (issue 13: "a PKCS#12 file
/// chosen in the app").
fn pkcs12(dir: &Path, password: &str) -> std::path::PathBuf {
    let (key, cert, p12) = (dir.join("org.key"), dir.join("org.crt"), dir.join("org.p12"));
    let run = |args: &[&str]| {
        let out = std::process::Command::new("openssl").args(args).output().expect("openssl (apt-get install openssl)");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    let (k, c, p) = (key.to_str().expect("path"), cert.to_str().expect("path"), p12.to_str().expect("path"));
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        k,
        "-out",
        c,
        "-days",
        "30",
        "-subj",
        "/CN=Example Org packs/O=Example Org",
    ]);
    run(&["pkcs12", "-export", "-inkey", k, "-in", c, "-out", p, "-passout", &format!("pass:{password}")]);
    p12
}

#[test]
fn packs_are_signed_with_the_certificate_chosen_for_the_session_and_the_password_is_not_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("consenttrail.db");
    let app = mock_app(AppState::open(&db));
    let main = window(&app, "main");
    {
        let mut store = consenttrail_engine::store::Store::open(&db).expect("second connection");
        let cancel = std::sync::atomic::AtomicBool::new(false);
        let options = consenttrail_engine::import::ImportOptions::default();
        let report =
            consenttrail_engine::import::import_paths(&mut store, &[exports()], &options, &mut |_| {}, &cancel)
                .expect("import");
        assert!(!report.any_failed());
    }
    let page = invoke_with(
        &main,
        "list_subjects",
        json!({"query": {"search": "soren", "sort": "id", "descending": false, "limit": 5, "offset": 0}}),
    )
    .expect("subjects");
    let subject = page["rows"][0]["id"].as_i64().expect("id");

    // Without a chosen certificate: the database's own key.
    assert_eq!(invoke(&main, "signing_key").expect("none chosen"), Value::Null);
    let own = invoke_with(
        &main,
        "make_subject_pack",
        json!({"subjectId": subject, "token": save_token(&app, dir.path().join("own.pdf")), "caseReference": null}),
    )
    .expect("pack");

    let p12 = pkcs12(dir.path(), "correct horse");
    let p12 = read_token(&app, p12);
    let wrong = invoke_with(&main, "set_signing_key", json!({"token": p12, "password": "wrong"}));
    assert_eq!(wrong.expect_err("a wrong password is refused")["code"], "invalid_input");
    let not_p12 = invoke_with(&main, "set_signing_key", json!({"token": read_token(&app, &db), "password": "x"}));
    assert_eq!(not_p12.expect_err("a database is not a certificate")["code"], "invalid_input");
    let chosen =
        invoke_with(&main, "set_signing_key", json!({"token": p12, "password": "correct horse"})).expect("set");
    assert!(chosen["subject"].as_str().expect("subject").contains("Example Org packs"), "{chosen}");
    assert_eq!(invoke(&main, "signing_key").expect("chosen"), chosen);
    let signed = invoke_with(
        &main,
        "make_subject_pack",
        json!({"subjectId": subject, "token": save_token(&app, dir.path().join("org.pdf")), "caseReference": null}),
    )
    .expect("pack");
    assert_eq!(signed["signed_by"], chosen);
    assert_ne!(signed["signed_by"], own["signed_by"]);
    // Nothing of the password reached the database.
    let bytes = std::fs::read(&db).expect("db");
    assert!(!bytes.windows(b"correct horse".len()).any(|w| w == b"correct horse"));

    invoke(&main, "clear_signing_key").expect("clear");
    assert_eq!(invoke(&main, "signing_key").expect("cleared"), Value::Null);
    let again = invoke_with(
        &main,
        "make_subject_pack",
        json!({"subjectId": subject, "token": save_token(&app, dir.path().join("again.pdf")), "caseReference": null}),
    )
    .expect("pack");
    assert_eq!(again["signed_by"], own["signed_by"]);
}

#[test]
fn the_profile_is_exported_previewed_and_imported_through_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = mock_app(AppState::open(&dir.path().join("consenttrail.db")));
    let main = window(&app, "main");

    // Export: the document the CLI's `profile export` prints (the built-in profile here).
    let exported = dir.path().join("profile.json");
    let answer = invoke_with(&main, "export_profile", json!({"token": save_token(&app, &exported)})).expect("export");
    assert_eq!(answer["path"], json!(exported));
    let text = std::fs::read_to_string(&exported).expect("written");
    assert_eq!(text, format!("{}\n", consenttrail_engine::profile::Profile::builtin().to_json()));

    // Preview: what would change; nothing is saved yet.
    let mut edited: Value = serde_json::from_str(&text).expect("JSON");
    edited["organisation"]["name"] = json!("Fernhill Outdoor Ltd");
    edited["collection_points"] = json!([{"system": "web", "label": "Footer form", "method": "explicit-opt-in"}]);
    let file = dir.path().join("edited.json");
    std::fs::write(&file, serde_json::to_string_pretty(&edited).expect("JSON")).expect("write");
    let file_token = read_token(&app, &file);
    let preview = invoke_with(&main, "preview_profile_import", json!({"token": file_token})).expect("preview");
    assert_eq!(preview["organisation"], "Fernhill Outdoor Ltd");
    assert_eq!(
        preview["changes"],
        json!(["Organisation: My Organisation → Fernhill Outdoor Ltd", "Collection point added: web / Footer form"])
    );
    assert_eq!(invoke(&main, "get_profile").expect("profile")["organisation"]["name"], "My Organisation");

    // A file changed after its preview is refused; the previewed one is saved, and logged with its hash.
    let stale = invoke_with(&main, "import_profile", json!({"token": file_token, "sha256": "0".repeat(64)}))
        .expect_err("stale");
    assert_eq!(stale["code"], "invalid_input");
    assert!(stale["message"].as_str().expect("message").contains("changed since it was previewed"), "{stale}");
    invoke_with(&main, "import_profile", json!({"token": file_token, "sha256": preview["sha256"]})).expect("import");
    let profile = invoke(&main, "get_profile").expect("profile");
    assert_eq!(profile["organisation"]["name"], "Fernhill Outdoor Ltd");
    assert_eq!(profile["collection_points"][0]["label"], "Footer form");
    let log = invoke(&main, "audit_log").expect("audit log");
    let entries = log["entries"].as_array().expect("entries");
    let import = entries.iter().rev().find(|e| e["action"] == "profile-import").expect("logged");
    assert!(import["detail"].to_string().contains(preview["sha256"].as_str().expect("sha")), "{import}");

    // An invalid document: the error names the file and the JSON path; a relative path is refused.
    edited["purposes"][1]["lawful_basis"] = json!("vibes");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, edited.to_string()).expect("write");
    let error =
        invoke_with(&main, "preview_profile_import", json!({"token": read_token(&app, &bad)})).expect_err("invalid");
    assert_eq!(error["code"], "invalid_input");
    let message = error["message"].as_str().expect("message");
    assert!(message.contains("bad.json") && message.contains("$.purposes[1].lawful_basis"), "{message}");
    let relative =
        invoke_with(&main, "export_profile", json!({"token": save_token(&app, "profile.json")})).expect_err("relative");
    assert_eq!(relative["code"], "invalid_input");
}

#[test]
fn bulk_decisions_decide_every_finding_or_none() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("consenttrail.db");
    let app = mock_app(AppState::open(&db));
    let main = window(&app, "main");
    {
        let mut store = consenttrail_engine::store::Store::open(&db).expect("second connection");
        let cancel = std::sync::atomic::AtomicBool::new(false);
        let options = consenttrail_engine::import::ImportOptions::default();
        consenttrail_engine::import::import_paths(&mut store, &[exports()], &options, &mut |_| {}, &cancel)
            .expect("import");
    }
    invoke_with(&main, "run_audit", json!({"onProgress": "__CHANNEL__:7"})).expect("audit");
    let page = invoke_with(&main, "findings_page", json!({"filter": {}, "limit": 3, "offset": 0})).expect("page");
    let ids: Vec<Value> = page["rows"].as_array().expect("rows").iter().map(|f| f["id"].clone()).collect();
    assert_eq!(ids.len(), 3);
    let decided_count = |main: &WebviewWindow<MockRuntime>| {
        let all = invoke_with(main, "findings_breakdown", json!({"filter": {}})).expect("breakdown");
        let open = invoke_with(main, "findings_breakdown", json!({"filter": {"status": "open"}})).expect("open");
        all["total"].as_u64().expect("total") - open["total"].as_u64().expect("open total")
    };

    let with_unknown = json!([ids[0], ids[1], "F-000000000000"]);
    let args = json!({"findingIds": with_unknown, "status": "accepted", "note": "legacy list", "by": null});
    let error = invoke_with(&main, "decide_findings", args).expect_err("an unknown finding");
    assert_eq!(error["code"], "not_found", "{error}");
    assert_eq!(decided_count(&main), 0, "none of the batch was kept");
    let no_note = json!({"findingIds": ids, "status": "accepted", "note": "  ", "by": null});
    assert_eq!(invoke_with(&main, "decide_findings", no_note).expect_err("no note")["code"], "invalid_input");
    let none = json!({"findingIds": [], "status": "accepted", "note": "why", "by": null});
    assert_eq!(invoke_with(&main, "decide_findings", none).expect_err("no finding")["code"], "invalid_input");

    let args = json!({"findingIds": ids, "status": "false-positive", "note": "test inbox", "by": "QA"});
    let decided = invoke_with(&main, "decide_findings", args).expect("decide");
    let decided = decided.as_array().expect("decisions");
    assert_eq!(decided.len(), 3);
    assert!(decided.iter().all(|d| d["status"] == "false-positive" && d["note"] == "test inbox" && d["by"] == "QA"));
    assert_eq!(decided_count(&main), 3);
    let log = invoke(&main, "audit_log").expect("log");
    let entries = log["entries"].as_array().expect("entries");
    assert_eq!(entries.iter().filter(|e| e["action"] == "decide" && e["detail"]["batch_size"] == 3).count(), 3);
}

/// Every command that reads or writes a file the user names, with `file` as that name.
fn path_taking_calls(file: &Value) -> Vec<(&'static str, Value)> {
    vec![
        ("preview_files", json!({"tokens": [file]})),
        ("import_files", json!({"request": {"tokens": [file]}, "onProgress": "__CHANNEL__:1"})),
        ("verify_pack", json!({"token": file, "onProgress": "__CHANNEL__:2"})),
        ("make_subject_pack", json!({"subjectId": 1, "token": file, "caseReference": null})),
        ("make_organisation_pack", json!({"token": file, "onProgress": "__CHANNEL__:3"})),
        ("open_pack", json!({"token": file})),
        ("export_findings", json!({"filter": {}, "token": file})),
        ("set_signing_key", json!({"token": file, "password": "x"})),
        ("preview_profile_import", json!({"token": file})),
        ("import_profile", json!({"token": file, "sha256": "0".repeat(64)})),
        ("export_profile", json!({"token": file})),
    ]
}

#[test]
fn raw_paths_and_unknown_tokens_are_refused_by_every_command_that_takes_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = mock_app(AppState::open(&dir.path().join("consenttrail.db")));
    let main = window(&app, "main");
    let victim = dir.path().join("victim.pdf");
    std::fs::write(&victim, b"not to be overwritten").expect("write");
    // A token of this session that was never issued looks just like a real one.
    let unknown = "0123456789abcdef0123456789abcdef";

    for file in [json!(victim), json!("victim.pdf"), json!(unknown)] {
        for (command, args) in path_taking_calls(&file) {
            let error = invoke_with(&main, command, args).expect_err(command);
            assert_eq!(error["code"], "forbidden_path", "{command} with {file}: {error}");
            assert!(
                !error["message"].as_str().expect("message").contains("victim"),
                "{command} echoes the path: {error}"
            );
        }
    }
    assert_eq!(std::fs::read(&victim).expect("read"), b"not to be overwritten");

    // A dropped (read) token does not let a command write there.
    let dropped = read_token(&app, &victim);
    for command in ["make_subject_pack", "make_organisation_pack", "export_findings", "export_profile"] {
        let (_, args) = path_taking_calls(&json!(dropped)).into_iter().find(|(c, _)| *c == command).expect("listed");
        assert_eq!(invoke_with(&main, command, args).expect_err(command)["code"], "forbidden_path", "{command}");
    }
    assert_eq!(std::fs::read(&victim).expect("read"), b"not to be overwritten");

    // Every command here is a listed command (the list above stays complete).
    for (command, _) in path_taking_calls(&json!(unknown)) {
        assert!(COMMANDS.contains(&command), "{command}");
    }
}

#[test]
fn a_native_drop_reaches_the_page_as_tokens_that_the_commands_accept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = mock_app(AppState::open(&dir.path().join("consenttrail.db")));
    let main = window(&app, "main");
    let heard = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Value>::new()));
    let sink = heard.clone();
    app.listen_any(super::paths::FILE_DROP_EVENT, move |event| {
        sink.lock().expect("lock").push(serde_json::from_str(event.payload()).expect("JSON payload"));
    });

    super::register_drop(app.handle(), vec![exports()]).expect("drop");

    let heard = heard.lock().expect("lock").clone();
    assert_eq!(heard.len(), 1, "{heard:?}");
    assert_eq!(heard[0]["type"], "drop");
    let file = &heard[0]["files"][0];
    assert_eq!(file["name"], "exports");
    let token = file["token"].as_str().expect("token");
    assert!(!token.contains('/') && !heard[0].to_string().contains(&dir.path().display().to_string()));
    // Files inside the dropped folder are previewed under the drop's token.
    let previews = invoke_with(&main, "preview_files", json!({"tokens": [token]})).expect("preview");
    let previews = previews.as_array().expect("array");
    assert!(previews.len() >= 10, "{previews:?}");
    assert!(previews.iter().all(|p| p["dropped_path"] == token), "{previews:?}");
}

#[test]
fn sample_data_opens_in_its_own_fresh_database_and_leaves_the_users_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("consenttrail.db");
    let app = mock_app(AppState::open(&db));
    let main = window(&app, "main");
    let info = |main: &WebviewWindow<MockRuntime>| invoke(main, "database_info").expect("database_info");
    let total = |main: &WebviewWindow<MockRuntime>| {
        invoke_with(main, "findings_breakdown", json!({"filter": {}})).expect("breakdown")["total"]
            .as_u64()
            .expect("total")
    };
    assert_eq!(info(&main), json!({"database_path": db.to_string_lossy(), "sample_data": false}));
    // The empty Import screen says which file each system's export is.
    let catalog = invoke(&main, "import_catalog").expect("catalog");
    let systems = catalog["systems"].as_array().expect("systems");
    assert!(systems.iter().all(|s| s["file"].as_str().is_some_and(|f| !f.is_empty())), "{catalog}");

    for round in 0..2 {
        let report = invoke_with(&main, "open_sample_data", json!({"onProgress": "__CHANNEL__:3"})).expect("sample");
        let files = report["files"].as_array().expect("files");
        assert_eq!(files.len(), consenttrail_engine::sample::FILES.len(), "{report}");
        assert!(files.iter().all(|f| f["status"] == "imported"), "round {round}: {report}");
        let sample = dir.path().join(super::sample::SAMPLE_DATABASE);
        assert_eq!(info(&main), json!({"database_path": sample.to_string_lossy(), "sample_data": true}));
        assert_eq!(total(&main), 19, "round {round}: the planted findings, recreated fresh (not doubled)");
        let sources = invoke(&main, "list_sources").expect("sources");
        assert_eq!(sources.as_array().expect("array").len(), files.len(), "round {round}");

        let left = invoke(&main, "leave_sample_data").expect("leave");
        assert_eq!(left, json!({"database_path": db.to_string_lossy(), "sample_data": false}));
        assert_eq!(info(&main)["sample_data"], false);
        assert_eq!(total(&main), 0, "round {round}: no sample finding in the user's database");
        assert_eq!(invoke(&main, "list_sources").expect("sources"), json!([]), "round {round}");
    }
    // Leaving when the user's database is already open changes nothing.
    assert_eq!(invoke(&main, "leave_sample_data").expect("leave")["sample_data"], false);
}

#[test]
fn reads_complete_while_a_writer_holds_the_database_and_then_see_what_it_committed() {
    use std::sync::mpsc;

    let dir = tempfile::tempdir().expect("tempdir");
    let app = mock_app(AppState::open(&dir.path().join("consenttrail.db")));
    let main = window(&app, "main");
    let (entered, writing) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    let handle = app.handle().clone();

    // The writer (as an import would): holds the store's mutex with a transaction open.
    let writer = std::thread::spawn(move || {
        handle.state::<AppState>().with_store(|store| {
            let transaction = store.conn().unchecked_transaction().expect("transaction");
            let mut profile = consenttrail_engine::profile::Profile::builtin();
            profile.organisation.name = "Written meanwhile Ltd".into();
            consenttrail_engine::store::profile_doc::save(&transaction, &profile)?;
            entered.send(()).expect("signal");
            released.recv().expect("released");
            transaction.commit().expect("commit");
            Ok(())
        })
    });
    writing.recv().expect("the writer holds the store");

    // Every screen's read answers now, from the last committed state (not the open transaction).
    let profile = invoke(&main, "get_profile").expect("profile read during the write");
    assert_eq!(profile["organisation"]["name"], "My Organisation");
    for (command, args) in [
        ("list_subjects", json!({"query": {"sort": "findings", "descending": true, "limit": 5, "offset": 0}})),
        ("findings_page", json!({"filter": {}, "limit": 5, "offset": 0})),
        ("findings_breakdown", json!({"filter": {}})),
        ("list_sources", json!({})),
        ("audit_log", json!({})),
    ] {
        invoke_with(&main, command, args).unwrap_or_else(|e| panic!("{command} during the write: {e}"));
    }

    release.send(()).expect("release");
    writer.join().expect("writer thread").expect("write");
    let profile = invoke(&main, "get_profile").expect("profile read after the write");
    assert_eq!(profile["organisation"]["name"], "Written meanwhile Ltd", "the reader sees the commit");
}

#[test]
fn the_reader_follows_a_switch_of_the_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = AppState::open(&dir.path().join("first.db"));
    let other = dir.path().join("second.db");
    {
        let second = consenttrail_engine::store::Store::open(&other).expect("second");
        let mut profile = consenttrail_engine::profile::Profile::builtin();
        profile.organisation.name = "Second Ltd".into();
        consenttrail_engine::store::profile_doc::save(second.conn(), &profile).expect("save");
    }
    let name = |state: &AppState| {
        state
            .with_reader(|store| Ok(consenttrail_engine::store::profile_doc::load(store.conn())?.organisation.name))
            .expect("read")
    };
    assert_eq!(name(&state), "My Organisation");

    // As the sample-data switch does: close the reader, swap the writer's database.
    state
        .with_store(|store| {
            state.close_reader();
            *store = consenttrail_engine::store::Store::open(&other)?;
            Ok(())
        })
        .expect("switch");
    assert_eq!(name(&state), "Second Ltd");
}
