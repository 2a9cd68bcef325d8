//! `consent-trail sample --db demo.sqlite`: the fictional demo set, only ever into a database
//! named on the command line that holds no imports yet, so it cannot mix with real records.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use anyhow::bail;
use consenttrail_engine::ops;
use consenttrail_engine::store::{sources, Store};
use serde_json::json;

use crate::{out, output};

pub fn sample(db: Option<&Path>, json: bool, exports: Option<&Path>) -> anyhow::Result<()> {
    let Some(db) = db else {
        bail!("sample needs --db FILE: the demo data goes into a separate database, never your own");
    };
    let mut store = Store::open(db)?;
    if !sources::list(store.conn())?.is_empty() {
        bail!("{} already holds imported files; the sample data goes only into a new, empty database", db.display());
    }
    let dir = match exports {
        Some(dir) => dir.to_path_buf(),
        None => db.parent().unwrap_or(Path::new(".")).join("sample-exports"),
    };
    let cancel = AtomicBool::new(false);
    let imported = ops::import_sample(&mut store, &dir, &mut |_| {}, &mut |_, _| {}, &cancel)?;
    let audit = imported.audit.as_ref().map(|a| json!({"findings": a.findings, "by_rule": a.by_rule}));
    if json {
        output::json(&json!({"database": db, "exports": dir, "files": imported.report.files, "audit": audit}))?;
    } else {
        out!(
            "Sample data (fictional: Alder & Finch Outdoor Ltd) written to {} and imported into {}:",
            dir.display(),
            db.display()
        );
        for f in &imported.report.files {
            output::print_file_report(f);
        }
        if let Some(summary) = &imported.audit {
            out!(
                "Audit: {} finding(s) over {} subject(s). Try: consent-trail --db {} findings",
                summary.findings,
                summary.subjects,
                db.display()
            );
        }
    }
    Ok(())
}
