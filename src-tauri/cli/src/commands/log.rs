//! `consent-trail log`: the audit log, oldest first, and whether its hash chain holds.

use anyhow::bail;
use consenttrail_engine::store::{audit_log, Store};

use crate::output;

/// With `verify`, a broken chain fails the command (after the log is printed).
pub fn log(store: &Store, json: bool, verify: bool) -> anyhow::Result<()> {
    let log = audit_log::view(store.conn())?;
    if json {
        output::json(&log)?;
    } else {
        output::print_log(&log);
    }
    if let (true, Some(b)) = (verify, &log.chain.broken) {
        bail!("the audit log's hash chain is broken at entry {}: {}", b.entry_id, b.reason);
    }
    Ok(())
}
