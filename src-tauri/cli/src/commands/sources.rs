//! `consent-trail sources` and `remove-source`: the imported files.

use anyhow::anyhow;
use consenttrail_engine::ops;
use consenttrail_engine::store::{sources, Store};
use serde_json::json;

use crate::{out, output};

/// Every imported file.
pub fn list(store: &Store, json: bool) -> anyhow::Result<()> {
    let list = sources::list(store.conn())?;
    if json {
        output::json(&list)?;
    } else if list.is_empty() {
        out!("No sources imported yet.");
    } else {
        for s in list {
            out!(
                "{:>4}  {:<14} {:>8} rows  {:>5} rejected  {}  {}  sha256:{}",
                s.id,
                s.system,
                s.rows_imported,
                s.rows_rejected,
                s.imported_at,
                s.path,
                &s.sha256[..16]
            );
        }
    }
    Ok(())
}

/// Removes a source and what it brought; the removal and its audit-log entry are one
/// transaction, and the audit re-runs after it.
pub fn remove(store: &mut Store, json: bool, id: i64) -> anyhow::Result<()> {
    let info = sources::get(store.conn(), id)?.ok_or_else(|| anyhow!("no source with id {id}"))?;
    let removed = ops::remove_source(store, id)?;
    if json {
        output::json(&json!({"removed": id, "events_removed": removed.events_removed,
                "audit": {"findings": removed.audit.findings, "by_rule": removed.audit.by_rule}}))?;
    } else {
        out!(
            "Removed source {id} ({}) and {} event(s) it brought. Audit re-run: {} finding(s).",
            info.path,
            removed.events_removed,
            removed.audit.findings
        );
    }
    Ok(())
}
