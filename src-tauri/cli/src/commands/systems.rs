//! `consent-trail systems`: every importer, with the export file it reads.

use consenttrail_engine::import;
use serde_json::json;

use crate::{out, output};

pub fn systems(json: bool) -> anyhow::Result<()> {
    let list: Vec<_> = import::registry()
        .into_iter()
        .map(|i| json!({"id": i.id(), "name": i.name(), "file": import::which_file::which_file(i.id())}))
        .collect();
    if json {
        output::json(&list)?;
    } else {
        for s in &list {
            out!(
                "{:<15} {:<30} {}",
                s["id"].as_str().unwrap_or(""),
                s["name"].as_str().unwrap_or(""),
                s["file"].as_str().unwrap_or("")
            );
        }
    }
    Ok(())
}
