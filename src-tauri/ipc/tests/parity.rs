//! The CLI and the app give the same findings after the same steps (issue 15 item 1): the same
//! exports imported, a source removed, a profile put in force and findings decided — once
//! through the real `consent-trail` binary, once through the app's IPC commands, each on its own
//! database — and after every step both list the same findings (ids, rules, decision statuses).
//!
//! The binary is built by cargo from here (`cargo build -p consent-trail`, nothing to do when
//! `cargo test --workspace` has built it already): a test of the app package cannot name another
//! package's binary (`CARGO_BIN_EXE_*` is per package), and the CLI's tests cannot call the app's
//! commands without pulling Tauri and webkit into the headless tool's build.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{json, Value};
use tauri::test::MockRuntime;
use tauri::WebviewWindow;

use super::{exports, invoke_with, mock_app, read_token, window, AppState};

/// A finding as both sides list it: id, rule and the status of its decision (`open` without one).
type Listed = Vec<(String, String, String)>;

/// The `consent-trail` binary of this workspace, built now if it is missing or out of date.
fn cli_binary() -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
    let mut build = Command::new(cargo);
    build.current_dir(env!("CARGO_MANIFEST_DIR")).args([
        "build",
        "--quiet",
        "-p",
        "consent-trail",
        "--bin",
        "consent-trail",
        "--message-format=json",
    ]);
    if !cfg!(debug_assertions) {
        build.arg("--release");
    }
    let output = build.stderr(Stdio::inherit()).output().expect("cargo runs");
    assert!(output.status.success(), "building the CLI failed");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "consent-trail")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .expect("cargo names the CLI's executable")
}

/// The CLI on its own database.
struct Cli {
    binary: PathBuf,
    db: PathBuf,
}

impl Cli {
    /// Runs `consent-trail --db DB --json ARGS`, which must succeed, and returns its JSON.
    fn json(&self, args: &[&str]) -> Value {
        let output = Command::new(&self.binary)
            .arg("--db")
            .arg(&self.db)
            .arg("--json")
            .args(args)
            .env_remove("CONSENTTRAIL_DB")
            .stdin(Stdio::null())
            .output()
            .expect("the CLI runs");
        assert!(output.status.success(), "consent-trail {args:?}: {}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_slice(&output.stdout).expect("one JSON document")
    }

    fn findings(&self) -> Listed {
        listed(&self.json(&["findings"]))
    }
}

/// Every finding of the app's Findings screen (one page holds them all here).
fn app_findings(main: &WebviewWindow<MockRuntime>) -> Listed {
    let page = invoke_with(main, "findings_page", json!({"filter": {}, "limit": 100_000, "offset": 0})).expect("page");
    listed(&page["rows"])
}

fn listed(findings: &Value) -> Listed {
    let mut list: Listed = findings
        .as_array()
        .expect("a list of findings")
        .iter()
        .map(|f| {
            let text = |v: &Value| v.as_str().expect("text").to_string();
            let status = f["decision"]["status"].as_str().unwrap_or("open").to_string();
            (text(&f["id"]), text(&f["rule"]), status)
        })
        .collect();
    list.sort();
    list
}

/// The id of the imported source whose path ends with `suffix`.
fn source_id(sources: &Value, suffix: &str) -> i64 {
    let source = sources
        .as_array()
        .expect("sources")
        .iter()
        .find(|s| s["path"].as_str().is_some_and(|p| Path::new(p).ends_with(suffix)))
        .unwrap_or_else(|| panic!("no source {suffix} in {sources}"));
    source["id"].as_i64().expect("id")
}

#[test]
fn the_cli_and_the_app_give_the_same_findings_after_the_same_steps() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cli = Cli { binary: cli_binary(), db: dir.path().join("cli.db") };
    let app = mock_app(AppState::open(&dir.path().join("app.db")));
    let main = window(&app, "main");

    // 1. The same exports imported: both re-run the audit afterwards.
    cli.json(&["import", &exports().to_string_lossy()]);
    let request = json!({"request": {"tokens": [read_token(&app, exports())]}, "onProgress": "__CHANNEL__:7"});
    invoke_with(&main, "import_files", request).expect("import");
    let imported = cli.findings();
    assert!(!imported.is_empty(), "the fixtures give findings");
    assert_eq!(app_findings(&main), imported, "after the import");

    // 2. The same source removed: both re-run the audit afterwards.
    let removed = "logs/campaign_sends.csv";
    let cli_source = source_id(&cli.json(&["sources"]), removed);
    let app_source = source_id(&invoke_with(&main, "list_sources", json!({})).expect("sources"), removed);
    cli.json(&["remove-source", &cli_source.to_string()]);
    invoke_with(&main, "remove_source", json!({"sourceId": app_source})).expect("remove");
    let after_removal = cli.findings();
    assert_eq!(app_findings(&main), after_removal, "after the removal");
    assert_ne!(after_removal, imported, "the removal changes the findings");

    // 3. The same profile put in force (Mailchimp's lists no longer read as e-mail marketing).
    let mut profile: Value = serde_json::from_str(&{
        let output = Command::new(&cli.binary).arg("--db").arg(&cli.db).args(["profile", "export"]).output();
        String::from_utf8(output.expect("export").stdout).expect("UTF-8")
    })
    .expect("the profile document");
    profile["purposes"][0]["aliases"]["mailchimp"] = json!([]);
    let file = dir.path().join("profile.json");
    std::fs::write(&file, serde_json::to_string_pretty(&profile).expect("JSON")).expect("write");
    cli.json(&["profile", "import", &file.to_string_lossy()]);
    let token = read_token(&app, &file);
    let preview = invoke_with(&main, "preview_profile_import", json!({"token": token})).expect("preview");
    invoke_with(&main, "import_profile", json!({"token": token, "sha256": preview["sha256"]})).expect("profile");
    let after_profile = cli.findings();
    assert_eq!(app_findings(&main), after_profile, "after the profile");
    assert_ne!(after_profile, after_removal, "the profile changes the findings");

    // 4. The same decisions: two findings accepted together, one a false positive.
    let ids: Vec<&str> = after_profile.iter().map(|(id, _, _)| id.as_str()).take(3).collect();
    assert_eq!(ids.len(), 3, "{after_profile:?}");
    cli.json(&["decide", ids[0], ids[1], "--status", "accepted", "--note", "known list"]);
    cli.json(&["decide", ids[2], "--status", "false-positive", "--note", "test inbox"]);
    let accept = json!({"findingIds": [ids[0], ids[1]], "status": "accepted", "note": "known list", "by": null});
    invoke_with(&main, "decide_findings", accept).expect("decide");
    let reject = json!({"findingIds": [ids[2]], "status": "false-positive", "note": "test inbox", "by": null});
    invoke_with(&main, "decide_findings", reject).expect("decide");
    let decided = cli.findings();
    assert_eq!(decided.iter().filter(|(_, _, status)| status != "open").count(), 3, "{decided:?}");
    assert_eq!(app_findings(&main), decided, "after the decisions");
}
