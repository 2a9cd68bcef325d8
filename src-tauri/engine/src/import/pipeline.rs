//! The pipeline: files, folders and archives listed, detected and ordered, then each file read by
//! its importer in its own transaction, with the report of what it did.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use super::{
    derive, detect, importer_by_id,
    input::{self, Input},
    mapping, registry, tcf, FileCounts, FileImport, FileReport, ImportError, ImportReport, Importer, Issue, Progress,
    Sniff, REPORT_ISSUES,
};
use crate::model::DateOrder;
use crate::store::events::facts;
use crate::store::events::write::{self as event_store, EventWriter};
use crate::store::{self, bulk, identity, labels, sources, Store};

/// Settings for one import run (SPEC §9 `import` flags).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ImportOptions {
    /// Read every file as this system instead of detecting.
    pub system: Option<String>,
    /// Zone assumed for zone-less times, per importer id (`*` for all); overrides the profile.
    pub assume_tz: BTreeMap<String, String>,
    /// Order of day and month in slash dates.
    pub date_order: Option<DateOrder>,
    /// A column mapping document to use for files no importer recognises.
    pub mapping: Option<mapping::ColumnMapping>,
    /// Write every rejected row of every file (the report lists only the first
    /// [`REPORT_ISSUES`]) to this CSV file: `file,locator,field,message,raw`.
    #[serde(default)]
    pub rejections_file: Option<PathBuf>,
}

struct Planned {
    input: Input,
    fp: input::Fingerprint,
    sniff: Sniff,
    importer: &'static dyn Importer,
    mapping: Option<mapping::ColumnMapping>,
}

/// Imports files, folders and ZIP archives. Each file is one transaction: a file that fails
/// leaves the database as it was before that file; the others still import.
pub fn import_paths(
    store: &mut Store,
    paths: &[PathBuf],
    options: &ImportOptions,
    progress: &mut dyn FnMut(Progress),
    cancel: &AtomicBool,
) -> Result<ImportReport, store::StoreError> {
    let profile = store::profile_doc::load(store.conn())?;
    let mut reports = Vec::new();
    let mut planned = Vec::new();
    let forced = match options.system.as_deref() {
        Some(id) => match importer_by_id(id) {
            Some(i) => Some(i),
            None => {
                let known: Vec<_> = registry().iter().map(|i| i.id()).collect();
                let e = ImportError::file("--system", format!("unknown system '{id}' (known: {})", known.join(", ")));
                for p in paths {
                    reports.push(FileReport::failed(p.display().to_string(), None, None, &e));
                }
                return Ok(ImportReport { files: reports });
            }
        },
        None => None,
    };
    for expanded in input::expand(paths) {
        let input = match expanded {
            Ok(i) => i,
            Err(e) => {
                reports.push(FileReport::failed(e.file.clone(), None, None, &e));
                continue;
            }
        };
        let fp = match input::inspect(&input) {
            Ok(fp) => fp,
            Err(e) => {
                reports.push(FileReport::failed(input.display(), None, None, &e));
                continue;
            }
        };
        let sniff = detect::sniff(&input, &fp);
        let importer = match forced {
            Some(i) => Some(i),
            None => detect::choose(&sniff),
        };
        // A layout no importer knows: a mapping saved for this header, else the one given.
        let mut chosen_mapping = None;
        let importer = match (importer, &sniff.header) {
            (Some(i), _) if i.id() != mapping::Mapped.id() => Some(i),
            (_, Some(header)) => {
                let saved = mapping::saved_for(store.conn(), header)?;
                chosen_mapping = saved.or_else(|| options.mapping.clone().filter(|m| m.fits(header)));
                chosen_mapping.as_ref().map(|_| &mapping::Mapped as &'static dyn Importer)
            }
            _ => None,
        };
        match importer {
            Some(importer) => planned.push(Planned { input, fp, sniff, importer, mapping: chosen_mapping }),
            None => {
                let e = ImportError::file(&input.display(), detect::unrecognised_reason(&sniff));
                let sha256 = fp.sha256.or_else(|| input::sha256_of(&input).ok());
                reports.push(FileReport::failed(input.display(), sha256, None, &e));
            }
        }
    }
    planned.sort_by_key(|p| p.importer.order(&p.sniff));
    let mut rejections = match options.rejections_file.as_deref().map(open_rejections).transpose() {
        Ok(writer) => writer,
        Err(e) => {
            for plan in planned {
                reports.push(FileReport::failed(plan.input.display(), None, None, &e));
            }
            return Ok(ImportReport { files: reports });
        }
    };
    let file_count = (reports.len() + planned.len()) as u64;
    for plan in planned {
        let file_number = reports.len() as u64 + 1;
        // Every message about this file says which of the run's files it is; the first one is
        // sent before reading, so a small file (fewer rows than a tick) still shows.
        let mut numbered = |each: Progress| progress(Progress { file_number, file_count, ..each });
        numbered(Progress { file: plan.input.display(), bytes_total: plan.fp.bytes, ..Progress::default() });
        let report = import_one(store, &plan, options, &profile, &mut numbered, cancel, &mut rejections)?;
        reports.push(report);
    }
    Ok(ImportReport { files: reports })
}

/// Imports one file with foreign-key checks off: every row it writes references rows the
/// same transaction wrote or verified, and a per-row parent lookup is a large share of a bulk
/// import's time. The checks (and their cascades, used when a source is removed) are on again
/// before this returns, whatever happened.
fn import_one(
    store: &mut Store,
    plan: &Planned,
    options: &ImportOptions,
    profile: &crate::profile::Profile,
    progress: &mut dyn FnMut(Progress),
    cancel: &AtomicBool,
    rejections: &mut Option<csv::Writer<std::fs::File>>,
) -> Result<FileReport, store::StoreError> {
    // A large file is written with a rollback journal instead of the WAL: appending to the
    // database needs almost no journal, while the WAL would hold (and every read would look up)
    // a copy of every page of the import until the checkpoint. Still one transaction, still
    // rolled back after a crash. When another connection has the database open (the app while
    // the CLI imports) the mode cannot change: the import then simply stays in WAL mode, without
    // waiting for the other connection.
    let bulk = plan.fp.bytes >= BULK_IMPORT_BYTES && bulk::try_journal_mode(store.conn(), "delete");
    // A file expected to add more events than are stored loads without the fact index, which is
    // built again before it commits (store::events::facts): one sort instead of an index
    // insert at a random place per event. Its sort runs in temporary files, not memory.
    let expected = plan.fp.bytes / BYTES_PER_EVENT_ESTIMATE;
    let defer_index_for = (bulk && expected >= facts::stored_bound(store.conn())?)
        .then_some(expected)
        .filter(|_| bulk::set_temp_store_in_files(store.conn(), true).is_ok());
    bulk::set_foreign_keys(store.conn(), false)?;
    let result = import_one_unchecked(store, plan, options, profile, progress, cancel, rejections, defer_index_for);
    // Whatever happened, foreign keys are on again before this returns.
    let restored = bulk::set_foreign_keys(store.conn(), true);
    if defer_index_for.is_some() {
        bulk::set_temp_store_in_files(store.conn(), false)?;
    }
    if bulk {
        // Failing to return to WAL (another connection arrived meanwhile) loses nothing: the
        // next open sets WAL again.
        bulk::try_journal_mode(store.conn(), "wal");
    }
    let report = result?;
    restored?;
    Ok(report)
}

/// Files at least this large are imported with a rollback journal (see [`import_one`]).
pub const BULK_IMPORT_BYTES: u64 = 16 << 20;

/// A guess of a file's events from its size (the benchmark's realistic rows average ~165 bytes;
/// exports with fewer columns have shorter rows): it sizes the fact table, which grows if the
/// guess was low.
const BYTES_PER_EVENT_ESTIMATE: u64 = 160;

// The run's settings and outputs as import_one received them, plus the bulk mode it chose.
#[allow(clippy::too_many_arguments)]
fn import_one_unchecked(
    store: &mut Store,
    plan: &Planned,
    options: &ImportOptions,
    profile: &crate::profile::Profile,
    progress: &mut dyn FnMut(Progress),
    cancel: &AtomicBool,
    rejections: &mut Option<csv::Writer<std::fs::File>>,
    defer_index_for: Option<u64>,
) -> Result<FileReport, store::StoreError> {
    let name = plan.input.display();
    let system = plan.importer.id();
    // The SHA-256 says whether this file was imported before. Only a file of a size already
    // seen can have been, so a file of a new size is hashed while it is read for the import.
    let mut known = plan.fp.sha256.clone();
    if known.is_none() && store::sources::any_with_bytes(store.conn(), plan.fp.bytes)? {
        match input::sha256_of(&plan.input) {
            Ok(sha256) => known = Some(sha256),
            Err(e) => return Ok(FileReport::failed(name, None, Some(system.to_string()), &e)),
        }
    }
    let existing = match &known {
        Some(sha256) => store::sources::by_sha256(store.conn(), sha256)?,
        None => None,
    };
    if let Some(existing) = existing {
        return Ok(FileReport {
            path: name,
            system: Some(existing.system.clone()),
            sha256: known,
            status: "already-imported".into(),
            rows_imported: 0,
            rows_rejected: 0,
            rows_warned: 0,
            events: 0,
            duplicate_events: 0,
            source_id: Some(existing.id),
            encoding: None,
            warnings: vec![Issue {
                locator: String::new(),
                field: None,
                message: format!(
                    "this file was already imported as source {} from {} on {}; nothing was changed",
                    existing.id, existing.path, existing.imported_at
                ),
            }],
            rejections: Vec::new(),
            warnings_omitted: 0,
            rejections_omitted: 0,
            error: None,
        });
    }
    let tx = store.conn_mut().transaction()?;
    let settings = serde_json::json!({
        "system": system,
        "detected": options.system.is_none(),
        "encoding": plan.fp.encoding.label(),
        "assume_tz": options.assume_tz,
        "date_order": options.date_order,
    });
    let source_id = sources::insert(
        &tx,
        &sources::NewSource {
            path: &name,
            file_name: &plan.input.file_name(),
            system,
            // Unique until the hash is known, which replaces it before the commit.
            sha256: &known
                .clone()
                .unwrap_or_else(|| format!("pending:{}:{}", std::process::id(), store::now_rfc3339())),
            bytes: plan.fp.bytes as i64,
            imported_at: &store::now_rfc3339(),
            settings: &settings.to_string(),
        },
    )?;
    let mut file = FileImport {
        tx: &tx,
        input: &plan.input,
        name: name.clone(),
        encoding: plan.fp.encoding,
        delimiter: plan.sniff.delimiter,
        json_shape: plan.sniff.json_shape,
        source_id,
        system,
        options,
        profile,
        identifiers: identity::IdentifierCache::default(),
        counts: FileCounts::default(),
        warned_rows: Default::default(),
        label_warnings: Default::default(),
        partial_records: Default::default(),
        column_orders: Default::default(),
        cancel,
        progress,
        bytes_total: plan.fp.bytes,
        rows_seen: 0,
        mapping: plan.mapping.as_ref(),
        derived_cache: Default::default(),
        writer: EventWriter::new(&tx, defer_index_for)?,
        attributes: identity::AttributeWriter::new(&tx)?,
        fatal: None,
        csv_rejected: Default::default(),
        reads: Default::default(),
    };
    if plan.fp.invalid_utf8 > 0 {
        file.warn(
            "",
            None,
            &format!(
                "the file is UTF-8 but holds {} invalid byte sequence(s); it was read as UTF-8 and the rows holding \
                 them were rejected (see the rejected rows)",
                plan.fp.invalid_utf8
            ),
        )
        .ok();
    }
    if plan.fp.encoding == input::TextEncoding::Windows1252 {
        file.warn(
            "",
            None,
            "the file is not valid UTF-8; it was read as Windows-1252 (Latin-1). Check names with accents.",
        )
        .ok();
    }
    let imported = plan.importer.import(&mut file);
    // A file-stopping problem wins over the "cancelled" the importer's loop saw because of it.
    let imported = match file.take_fatal() {
        Some(fatal) => Err(fatal),
        None => imported,
    };
    file.count_csv_rejections();
    let outcome = imported.and_then(|()| {
        if file.counts.rows_imported == 0 && file.counts.rows_rejected == 0 {
            // Not a failure (an export of an empty list is real), but never a silent one.
            file.warn("", None, "the file holds no rows (a header only?): nothing was imported from it")?;
        }
        let partial = file.partial_records.finish();
        if partial > 0 {
            file.warn(
                "",
                Some("purpose"),
                &format!(
                    "{partial} record(s) answered several source purposes that map to one profile purpose \
                     differently (e.g. TCF purposes 3, 4, 7 consented, 2 not): each is read as one grant for that \
                     purpose, marked partial on the timeline and in packs"
                ),
            )?;
        }
        let labels = std::mem::take(&mut file.label_warnings);
        for (label, count) in labels {
            let named = file.looked_up_purpose_name(&label)?.map(|n| format!(" ('{n}')")).unwrap_or_default();
            file.warn(
                "",
                Some("purpose"),
                &format!(
                    "purpose label '{label}'{named} ({count} event(s)) is not mapped to a profile purpose; \
                     add it as a '{system}' alias in the profile and the events will be re-mapped"
                ),
            )?;
        }
        Ok(())
    });
    let counts = file.counts.clone();
    let reads = file.reads.reads();
    drop(file);
    let hashed = imported_digest(&plan.input, &name, known.as_deref(), reads);
    let sha256 = hashed.as_ref().ok().map(|(sha256, _)| sha256.clone());
    // A file of which no row could be imported is not an import: it fails (and is rolled back)
    // with its rejected rows listed, so that a script sees exit 1, not "imported".
    let outcome = outcome.and_then(|()| {
        if counts.rows_imported == 0 && counts.rows_rejected > 0 {
            Err(ImportError::file(
                &name,
                format!(
                    "no row was imported: all {} row(s) were rejected (see the rejected rows for why)",
                    counts.rows_rejected
                ),
            ))
        } else {
            Ok(())
        }
    });
    // Read inside the transaction, so that a file rolled back still lists its rejected rows.
    let listed = listed_issues(&tx, source_id)?;
    if let Some(writer) = rejections.as_mut() {
        if let Err(e) = write_rejections(&tx, source_id, &name, writer) {
            return Err(store::StoreError::Invalid(format!("cannot write the rejected rows: {e}")));
        }
    }
    match outcome.and(hashed) {
        Ok((sha256, bytes)) => {
            facts::restore_index(&tx)?;
            sources::finish_import(
                &tx,
                source_id,
                &sources::ImportedCounts {
                    rows_imported: counts.rows_imported as i64,
                    rows_rejected: counts.rows_rejected as i64,
                    rows_warned: counts.rows_warned as i64,
                    sha256: &sha256,
                    bytes: bytes as i64,
                },
            )?;
            if labels::has_lookups(&tx, system)? {
                derive::rederive(&tx, profile, Some(system))?;
            } else if system == tcf::gvl_import::ID {
                // A Global Vendor List names the vendors of TC strings imported earlier.
                derive::rederive(&tx, profile, None)?;
            }
            identity::recompute_subjects(&tx)?;
            store::audit_log::record(
                &tx,
                "import",
                &serde_json::json!({
                    "source_id": source_id, "path": name, "system": system, "sha256": sha256,
                    "rows_imported": counts.rows_imported, "rows_rejected": counts.rows_rejected,
                }),
            )?;
            tx.commit()?;
            Ok(FileReport {
                path: name,
                system: Some(system.to_string()),
                sha256: Some(sha256),
                status: "imported".into(),
                rows_imported: counts.rows_imported,
                rows_rejected: counts.rows_rejected,
                rows_warned: counts.rows_warned,
                events: counts.events,
                duplicate_events: counts.duplicate_events,
                source_id: Some(source_id),
                encoding: Some(plan.fp.encoding.label().to_string()),
                warnings: listed.warnings,
                rejections: listed.rejections,
                warnings_omitted: listed.warnings_omitted,
                rejections_omitted: listed.rejections_omitted,
                error: None,
            })
        }
        Err(e) => {
            tx.rollback()?;
            let mut report = FileReport::failed(name, sha256, Some(system.to_string()), &e);
            report.rows_rejected = counts.rows_rejected;
            report.rejections = listed.rejections;
            report.rejections_omitted = listed.rejections_omitted;
            Ok(report)
        }
    }
}

/// A file's warnings and rejections as a report lists them: the first [`REPORT_ISSUES`] of
/// each, and how many more there are.
struct Listed {
    warnings: Vec<Issue>,
    rejections: Vec<Issue>,
    warnings_omitted: u64,
    rejections_omitted: u64,
}

fn listed_issues(conn: &rusqlite::Connection, source_id: i64) -> Result<Listed, store::StoreError> {
    let list = |severity: &str| -> Result<(Vec<Issue>, u64), store::StoreError> {
        let (issues, total) = event_store::issues_listed(conn, source_id, severity, REPORT_ISSUES as i64)?;
        let omitted = (total as u64).saturating_sub(issues.len() as u64);
        Ok((issues, omitted))
    };
    let (warnings, warnings_omitted) = list("warning")?;
    let (rejections, rejections_omitted) = list("rejected")?;
    Ok(Listed { warnings, rejections, warnings_omitted, rejections_omitted })
}

/// Appends every rejected row of a file to the rejections file, streamed from the database.
fn write_rejections(
    conn: &rusqlite::Connection,
    source_id: i64,
    file: &str,
    writer: &mut csv::Writer<std::fs::File>,
) -> Result<(), Box<dyn std::error::Error>> {
    event_store::for_each_rejection(conn, source_id, |locator, field, message, raw| {
        writer.write_record([file, locator, field.unwrap_or(""), message, raw.unwrap_or("")])?;
        Ok::<(), Box<dyn std::error::Error>>(())
    })?;
    writer.flush()?;
    Ok(())
}

/// Opens the rejections file and writes its header.
fn open_rejections(path: &std::path::Path) -> Result<csv::Writer<std::fs::File>, ImportError> {
    let shown = path.display().to_string();
    let mut writer = csv::Writer::from_path(path)
        .map_err(|e| ImportError::file(&shown, format!("cannot create the rejections file: {e}")))?;
    writer
        .write_record(["file", "locator", "field", "message", "raw"])
        .map_err(|e| ImportError::file(&shown, format!("cannot write the rejections file: {e}")))?;
    Ok(writer)
}

/// The SHA-256 and size stored for a source: those of the bytes the import read (every complete
/// read must agree, and agree with a hash taken before); a file that changed meanwhile fails.
fn imported_digest(
    input: &Input,
    name: &str,
    known: Option<&str>,
    reads: Vec<(String, u64)>,
) -> Result<(String, u64), ImportError> {
    let first = match reads.first() {
        Some(first) => first.clone(),
        // The importer stopped before the end of the file (nothing it read is kept then).
        None => input::digest_of(input)?,
    };
    let changed = reads.iter().any(|r| *r != first) || known.is_some_and(|k| k != first.0);
    if changed {
        return Err(ImportError::file(
            name,
            "the file changed while it was being imported (two reads of it differ); nothing was imported \
             — import it again once it is complete",
        ));
    }
    Ok(first)
}
