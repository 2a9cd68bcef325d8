//! `consent-trail import`: files, folders and archives in, then the audit re-run (as in the app).

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;

use anyhow::{anyhow, bail, Context};
use consenttrail_engine::import::{self, mapping::ColumnMapping, ImportOptions};
use consenttrail_engine::ops;
use consenttrail_engine::profile::ProfileFile;
use consenttrail_engine::store::Store;
use serde_json::json;

use crate::{out, output, ImportArgs};

pub fn import(store: &mut Store, json: bool, args: &ImportArgs) -> anyhow::Result<()> {
    // Every option is checked before anything is written, the profile included.
    let options = options(args)?;
    if let Some(file) = &args.profile {
        // Saved before the files are read; the import's own audit follows.
        let profile = ProfileFile::read(file)?.profile;
        import::derive::apply_profile(store, &profile, json!({"path": file}))?;
    }
    let cancel = AtomicBool::new(false);
    // As in the app: the audit re-runs after an import that brought data, so `findings`
    // and `decide` never work on findings older than the data.
    let imported = ops::import_then_audit(store, &args.paths, &options, &mut |_| {}, &mut |_, _| {}, &cancel)?;
    let report = imported.report;
    if json {
        let audit = imported.audit.as_ref().map(|a| json!({"findings": a.findings, "by_rule": a.by_rule}));
        output::json(&json!({ "files": report.files, "audit": audit }))?;
    } else {
        for f in &report.files {
            output::print_file_report(f);
        }
        if let Some(summary) = &imported.audit {
            out!("Audit re-run: {} finding(s) over {} subject(s).", summary.findings, summary.subjects);
        }
    }
    if report.any_failed() {
        let failed: Vec<String> = report
            .files
            .iter()
            .filter(|f| f.status == "failed")
            .map(|f| f.error.clone().unwrap_or_else(|| f.path.clone()))
            .collect();
        bail!("{} file(s) failed: {}", failed.len(), failed.join("; "));
    }
    Ok(())
}

/// The import options from `--system`, `--rejections`, `--assume-tz`, `--date-format` and
/// `--mapping`, each checked before anything is read.
fn options(args: &ImportArgs) -> anyhow::Result<ImportOptions> {
    let mut options =
        ImportOptions { system: args.system.clone(), rejections_file: args.rejections.clone(), ..Default::default() };
    let mut zones = BTreeMap::new();
    for pair in &args.assume_tz {
        let (system, zone) = pair
            .split_once('=')
            .ok_or_else(|| anyhow!("--assume-tz takes SYSTEM=ZONE, e.g. hubspot=Europe/London (got '{pair}')"))?;
        zone.parse::<chrono_tz::Tz>().map_err(|_| anyhow!("--assume-tz {pair}: '{zone}' is not an IANA time zone"))?;
        zones.insert(system.trim().to_string(), zone.trim().to_string());
    }
    options.assume_tz = zones;
    if let Some(order) = &args.date_format {
        options.date_order = Some(order.parse().map_err(|e: String| anyhow!("--date-format: {e}"))?);
    }
    if let Some(file) = &args.mapping {
        let text = std::fs::read_to_string(file).with_context(|| format!("{}", file.display()))?;
        options.mapping = Some(ColumnMapping::from_json(&text).map_err(|e| anyhow!("{}: {e}", file.display()))?);
    }
    Ok(options)
}
