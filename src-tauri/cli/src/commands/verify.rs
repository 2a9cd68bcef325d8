//! `consent-trail verify`: a pack checked by the same use case the app calls
//! ([`ops::verify_pack`]), with or without the database.

use std::path::Path;

use anyhow::bail;
use consenttrail_engine::ops;
use consenttrail_engine::pack::VerifyReport;
use consenttrail_engine::store::Store;

use crate::output;

/// `verify --without-db`: the signature and the file's own digests, no database opened.
pub fn without_db(json: bool, file: &Path) -> anyhow::Result<()> {
    report(json, file, ops::verify_pack(None, file, &mut |_| {})?)
}

/// The pack against itself and against the current database.
pub fn against_database(store: &Store, json: bool, file: &Path) -> anyhow::Result<()> {
    report(json, file, ops::verify_pack(Some(store), file, &mut |_| {})?)
}

/// Prints the report and fails when the pack does not verify.
fn report(json: bool, file: &Path, report: VerifyReport) -> anyhow::Result<()> {
    if json {
        output::json(&report)?;
    } else {
        output::print_verify_report(file, &report);
    }
    if !report.ok {
        bail!("{}: the pack does not verify ({} difference(s))", file.display(), report.differences.len());
    }
    Ok(())
}
