//! Printing: one JSON document with `--json`, text otherwise. Every line goes through [`line`]:
//! a reader that goes away (`consent-trail … | head`) ends the program quietly instead of a
//! panic on the broken pipe. The text forms that more than one command prints (a file's import
//! report, findings, the log, a pack, a verification) live here too.

use std::io::Write;
use std::path::Path;

use consenttrail_engine::import::FileReport;
use consenttrail_engine::pack::{PackOutput, VerifyReport};
use consenttrail_engine::reconcile::timeline::TimelineEvent;
use consenttrail_engine::rules::{decisions, Finding};
use consenttrail_engine::store::{audit_log::AuditLogView, Store};
use serde::Serialize;
use serde_json::json;

/// Prints a line on stdout (the `out!` macro); a closed pipe ends the program with exit 0.
pub fn line(args: std::fmt::Arguments<'_>) {
    let mut stdout = std::io::stdout().lock();
    let written = stdout.write_fmt(args).and_then(|()| stdout.write_all(b"\n"));
    if let Err(e) = written {
        stdout_failed(&e);
    }
}

/// Ends the program after a failed write to stdout: quietly (exit 0) when the reader went away,
/// with the reason and exit 1 otherwise (a full disk behind a redirection).
fn stdout_failed(e: &std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("consent-trail: cannot write the output: {e}");
    std::process::exit(1);
}

/// `println!` that ends quietly on a broken pipe (see [`line`]).
#[macro_export]
macro_rules! out {
    () => {
        $crate::output::line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::output::line(format_args!($($arg)*))
    };
}

/// Prints `value` as pretty JSON.
pub fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    line(format_args!("{}", serde_json::to_string_pretty(value)?));
    Ok(())
}

/// [`json`] written to stdout as it is serialised, never held as one text: for a document
/// that grows with the data (`audit --json` at 10M events lists over a million findings).
pub fn json_streamed<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if let Err(e) = serde_json::to_writer_pretty(&mut out, value) {
        // Either writing failed, or the value did while it was serialised (a database error
        // while the findings are read), which is the command's error to report.
        if e.io_error_kind().is_some() {
            stdout_failed(&std::io::Error::from(e));
        }
        return Err(e.into());
    }
    if let Err(e) = out.write_all(b"\n").and_then(|()| out.flush()) {
        stdout_failed(&e);
    }
    Ok(())
}

/// One line per entry (time, action, detail), then the chain check.
pub fn print_log(log: &AuditLogView) {
    if log.entries.is_empty() {
        out!("The audit log is empty.");
    }
    for e in &log.entries {
        out!("{:>5}  {}  {:<15} {}", e.id, e.at, e.action, e.detail);
    }
    match (&log.chain.broken, &log.chain.head) {
        (Some(b), _) => out!("Chain BROKEN at entry {}: {}", b.entry_id, b.reason),
        (None, head) => out!(
            "Chain intact: {} entr{}, head sha256:{}",
            log.chain.entries,
            if log.chain.entries == 1 { "y" } else { "ies" },
            head.as_deref().unwrap_or_default()
        ),
    }
}

/// One finding per entry, with the decision in force (`reopened` when a remediated finding
/// occurred again).
pub fn print_findings(store: &Store, list: &[Finding]) -> anyhow::Result<()> {
    for f in list {
        let decision = decisions::decision_with(store.conn(), &f.id, &f.occurrences)?
            .map(|d| format!(" [{}]", d.status))
            .unwrap_or_default();
        out!(
            "{} {:<4} {:<6} {} {}{}{}\n      {}",
            f.id,
            f.rule.as_str(),
            f.severity.as_str(),
            f.subject_key,
            f.purpose.as_deref().unwrap_or("-"),
            f.recipient.as_deref().map(|r| format!(" → {r}")).unwrap_or_default(),
            decision,
            f.explanation
        );
    }
    Ok(())
}

/// A timeline event as `timeline --json` gives it (SPEC §9).
pub fn event_json(e: &TimelineEvent) -> serde_json::Value {
    json!({
        "id": e.id,
        "occurred_at": e.occurred_at(),
        "occurred_at_original": e.occurred_at_text,
        "zone_basis": e.zone_basis,
        "kind": e.kind.as_str(),
        "purpose": e.purpose,
        "purpose_label": e.purpose_label,
        "recipients": e.recipients.iter().map(|r| r.name().to_string()).collect::<Vec<_>>(),
        "system": e.system,
        "identifier": e.identifier,
        "method": e.method,
        "channel": e.channel,
        "capture_source": e.capture_source,
        "collected_by": e.collected_by,
        "notice_version": e.notice_version,
        "evidence": e.evidence(),
        "corroborated_by": e.corroborated_by,
        "source": e.source.as_ref().map(|s| json!({"id": s.id, "path": s.path, "sha256": s.sha256, "line": s.line, "locator": s.locator})),
    })
}

/// What one file's import did, with its rejected rows and warnings (the first of each).
pub fn print_file_report(f: &FileReport) {
    let system = f.system.clone().unwrap_or_else(|| "?".into());
    match f.status.as_str() {
        "imported" => out!(
            "imported          {} ({system}): {} rows, {} events, {} rejected, {} warning(s){}",
            f.path,
            f.rows_imported,
            f.events,
            f.rows_rejected,
            f.warnings.len() as u64 + f.warnings_omitted,
            if f.duplicate_events > 0 {
                format!(", {} already known from other files", f.duplicate_events)
            } else {
                String::new()
            }
        ),
        "already-imported" => out!("already-imported  {} ({system}): nothing changed", f.path),
        _ => out!("failed            {}: {}", f.path, f.error.clone().unwrap_or_default()),
    }
    for r in &f.rejections {
        out!(
            "  rejected  {} {}: {}",
            r.locator,
            r.field.as_deref().map(|x| format!("[{x}]")).unwrap_or_default(),
            r.message
        );
    }
    if f.rejections_omitted > 0 {
        out!(
            "  … and {} more rejected row(s) not listed here; write every one with --rejections FILE",
            f.rejections_omitted
        );
    }
    for w in &f.warnings {
        out!(
            "  warning   {} {}: {}",
            w.locator,
            w.field.as_deref().map(|x| format!("[{x}]")).unwrap_or_default(),
            w.message
        );
    }
    if f.warnings_omitted > 0 {
        out!("  … and {} more warning(s) not listed here", f.warnings_omitted);
    }
}

/// The pack written: where, its digests and who signed it.
pub fn print_pack(written: &PackOutput) {
    out!(
        "Wrote {} ({} pages, pack {}).\n  SHA-256 of the file:     {}\n  SHA-256 of the manifest: {}\n  Signed by:               {}\n  Certificate SHA-256:     {}",
        written.path,
        written.pages,
        written.pack_id,
        written.sha256,
        written.manifest_sha256,
        written.signed_by.subject,
        written.signed_by.sha256
    );
}

/// A verification: who signed, OK or the differences, and what was not checked.
pub fn print_verify_report(file: &Path, report: &VerifyReport) {
    if let Some(signer) = report.signature.as_ref().and_then(|s| s.signer.as_ref()) {
        out!("{}: signed by {} (certificate SHA-256 {})", file.display(), signer.subject, signer.sha256);
    }
    if report.ok && report.not_checked.is_empty() {
        out!("{}: OK — the signature is valid and the pack matches the current database.", file.display());
    } else if report.ok {
        out!("{}: OK as far as the file alone can tell.", file.display());
    } else {
        out!("{}: {} difference(s):", file.display(), report.differences.len());
        for d in &report.differences {
            out!("  [{} / {}] {}", d.against, d.item, d.detail);
        }
    }
    if !report.not_checked.is_empty() {
        out!("Not checked:");
        for n in &report.not_checked {
            out!("  - {n}");
        }
    }
}
