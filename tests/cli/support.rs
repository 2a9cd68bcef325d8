//! Running the binary and reading what it says.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The `consent-trail` binary cargo built for these tests.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_consent-trail"))
}

/// `tests/fixtures`.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures").canonicalize().unwrap()
}

/// What one run of the binary produced.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    /// Peak resident memory of the child in KiB, when measured.
    pub peak_rss_kib: Option<u64>,
}

impl Run {
    /// The stdout as one JSON document.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{}", self.stdout))
    }

    /// Asserts a user error: exit 1 and exactly one line on stderr, which is returned.
    pub fn user_error(&self) -> String {
        assert_eq!(self.code, 1, "expected exit 1: {self:#?}");
        let lines: Vec<&str> = self.stderr.trim_end().lines().collect();
        assert_eq!(lines.len(), 1, "expected one line on stderr: {self:#?}");
        lines[0].to_string()
    }

    pub fn ok(&self) -> &Self {
        assert_eq!(self.code, 0, "expected success: {self:#?}");
        self
    }
}

fn command(args: &[&str]) -> Command {
    let mut c = Command::new(bin());
    c.args(args).env_remove("CONSENTTRAIL_DB").stdin(Stdio::null());
    c
}

/// Runs the binary with `args`.
pub fn run(args: &[&str]) -> Run {
    let started = Instant::now();
    let out = command(args).output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: started.elapsed(),
        peak_rss_kib: None,
    }
}

/// Runs the binary with `args` and measures the child's peak resident memory: with GNU time
/// when installed, else by polling `VmHWM` in `/proc/<pid>/status` while it runs.
pub fn run_measured(args: &[&str]) -> Run {
    let time = Path::new("/usr/bin/time");
    let started = Instant::now();
    if time.exists() {
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("rss");
        let out = Command::new(time)
            .arg("-f")
            .arg("%M")
            .arg("-o")
            .arg(&report)
            .arg(bin())
            .args(args)
            .env_remove("CONSENTTRAIL_DB")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let text = std::fs::read_to_string(&report).unwrap();
        // GNU time writes "Command exited with non-zero status N" before the figure.
        let peak = text.lines().filter_map(|l| l.trim().parse::<u64>().ok()).next_back();
        return Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            elapsed: started.elapsed(),
            peak_rss_kib: Some(peak.expect("GNU time reported no figure")),
        };
    }
    let dir = tempfile::tempdir().unwrap();
    let (out_path, err_path) = (dir.path().join("out"), dir.path().join("err"));
    let mut child = command(args)
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_file) {
            if let Some(kib) = text
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse::<u64>().ok())
            {
                peak = peak.max(kib);
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: std::fs::read_to_string(out_path).unwrap(),
        stderr: std::fs::read_to_string(err_path).unwrap(),
        elapsed: started.elapsed(),
        peak_rss_kib: Some(peak),
    }
}

/// A temporary folder holding the database `ct.db`.
pub struct Db {
    pub dir: tempfile::TempDir,
}

impl Db {
    pub fn new() -> Db {
        Db { dir: tempfile::tempdir().unwrap() }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("ct.db")
    }

    pub fn arg(&self) -> String {
        self.path().display().to_string()
    }

    /// Runs the binary against this database: `--db PATH` then `args`.
    pub fn run(&self, args: &[&str]) -> Run {
        let db = self.arg();
        let mut all = vec!["--db", db.as_str()];
        all.extend_from_slice(args);
        run(&all)
    }

    /// A file in this database's folder.
    pub fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

/// The SHA-256 of a file, through coreutils.
pub fn sha256(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8(out.stdout).unwrap().split_whitespace().next().unwrap().to_string()
}

/// The keys of a JSON object, sorted.
pub fn keys(v: &serde_json::Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap_or_else(|| panic!("not an object: {v}")).keys().cloned().collect();
    k.sort();
    k
}

/// Asserts that a JSON object has at least these keys (fields may be added, never renamed).
pub fn assert_has_keys(v: &serde_json::Value, expected: &[&str], what: &str) {
    let present = keys(v);
    let missing: Vec<&&str> = expected.iter().filter(|k| !present.contains(&k.to_string())).collect();
    assert!(missing.is_empty(), "{what} lacks {missing:?} (has {present:?}): {v}");
}
