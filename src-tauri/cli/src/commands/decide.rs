//! `consent-trail decide`: an auditor's decision on one finding, or one decision on several.

use consenttrail_engine::ops;
use consenttrail_engine::rules::decisions::Decision;
use consenttrail_engine::store::Store;
use serde_json::json;

use crate::{out, output};

pub fn decide(
    store: &Store,
    json: bool,
    finding_ids: &[String],
    status: &str,
    note: &str,
    by: Option<&str>,
) -> anyhow::Result<()> {
    let decided = ops::decide_many(store, finding_ids, status, note, by)?;
    // `decide_many` decides a repeated id once: pair each decision with its first mention.
    let mut unique: Vec<&String> = Vec::with_capacity(decided.len());
    for id in finding_ids {
        if !unique.contains(&id) {
            unique.push(id);
        }
    }
    let as_json = |id: &String, d: &Decision| {
        json!({
            "finding": id, "status": d.status, "note": d.note, "by": d.by, "at": d.at,
            "occurrences_seen": d.occurrences_seen, "history": d.history,
        })
    };
    let pairs: Vec<_> = unique.into_iter().zip(&decided).collect();
    if json {
        // One finding: the object SPEC §9 gives; several: an array of them.
        match pairs.as_slice() {
            [(id, d)] => output::json(&as_json(id, d))?,
            _ => output::json(&pairs.iter().map(|(id, d)| as_json(id, d)).collect::<Vec<_>>())?,
        }
    } else {
        for (id, d) in &pairs {
            out!("Finding {id} marked {}.", d.status);
        }
    }
    Ok(())
}
