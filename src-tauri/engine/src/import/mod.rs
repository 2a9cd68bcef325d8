//! Importers: one module per source system behind the [`Importer`] trait, detection by content,
//! and the pipeline that runs each file in its own transaction.

pub mod canonical;
pub mod context;
pub mod csv_table;
pub mod derive;
pub mod detect;
pub mod disclosure_log;
pub mod dpv;
mod error;
pub mod hubspot;
pub mod input;
pub mod json_records;
pub mod kantara;
pub mod mailchimp;
pub mod mapping;
pub mod onetrust;
pub mod preview;
pub mod salesforce;
pub mod segment;
pub mod tcf;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use rusqlite::params;

pub use context::{EventDraft, FileCounts, FileImport, RowId};
pub use detect::Sniff;
pub use error::ImportError;
use input::Input;

use crate::model::DateOrder;
use crate::store::{self, identity, Store};

/// One source system's reader.
pub trait Importer: Sync {
    /// The importer id (`mailchimp`, `salesforce` …): the key of profile aliases and of
    /// `--system` / `--assume-tz`.
    fn id(&self) -> &'static str;

    /// A human name for reports.
    fn name(&self) -> &'static str;

    /// How well this importer recognises the file's content (header / JSON shape); 0 = not at
    /// all. The highest score wins.
    fn detect(&self, sniff: &Sniff) -> u8;

    /// Files that others depend on (lookups, identity links) import first when several files
    /// arrive together: lower runs earlier.
    fn order(&self, _sniff: &Sniff) -> u8 {
        50
    }

    /// Reads the file and maps it through `file`.
    fn import(&self, file: &mut FileImport<'_>) -> Result<(), ImportError>;
}

/// Every importer, in detection-tie order.
pub fn registry() -> Vec<&'static dyn Importer> {
    vec![
        &canonical::Canonical,
        &canonical::Crosswalk,
        &mailchimp::Mailchimp,
        &salesforce::Salesforce,
        &hubspot::HubSpot,
        &onetrust::OneTrust,
        &segment::Segment,
        &tcf::gvl_import::GvlImport,
        &tcf::log::TcfLog,
        &kantara::Kantara,
        &dpv::Dpv,
        &disclosure_log::DisclosureLog,
        &mapping::Mapped,
    ]
}

/// Finds an importer by id.
pub fn importer_by_id(id: &str) -> Option<&'static dyn Importer> {
    registry().into_iter().find(|i| i.id() == id)
}

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
}

/// Progress of a long import, for the progress bar.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Progress {
    pub file: String,
    pub rows: u64,
    pub bytes_done: u64,
    pub bytes_total: u64,
}

/// What happened to one file (SPEC §9 `import --json` `files[]`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct FileReport {
    pub path: String,
    pub system: Option<String>,
    pub sha256: Option<String>,
    /// `imported`, `already-imported` or `failed`.
    pub status: String,
    pub rows_imported: u64,
    pub rows_rejected: u64,
    pub rows_warned: u64,
    pub events: u64,
    pub duplicate_events: u64,
    pub source_id: Option<i64>,
    pub encoding: Option<String>,
    pub warnings: Vec<Issue>,
    pub rejections: Vec<Issue>,
    pub error: Option<String>,
}

/// One warning or rejection in a report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Issue {
    pub locator: String,
    pub field: Option<String>,
    pub message: String,
}

impl FileReport {
    fn failed(path: String, sha256: Option<String>, system: Option<String>, error: &ImportError) -> FileReport {
        FileReport {
            path,
            system,
            sha256,
            status: "failed".into(),
            rows_imported: 0,
            rows_rejected: 0,
            rows_warned: 0,
            events: 0,
            duplicate_events: 0,
            source_id: None,
            encoding: None,
            warnings: Vec::new(),
            rejections: Vec::new(),
            error: Some(error.to_string()),
        }
    }
}

/// The whole run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportReport {
    pub files: Vec<FileReport>,
}

impl ImportReport {
    /// True when any file failed.
    pub fn any_failed(&self) -> bool {
        self.files.iter().any(|f| f.status == "failed")
    }
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
    for plan in planned {
        let report = import_one(store, &plan, options, &profile, progress, cancel)?;
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
) -> Result<FileReport, store::StoreError> {
    store.conn().pragma_update(None, "foreign_keys", false)?;
    // A large file is written with a rollback journal instead of the WAL: appending to the
    // database needs almost no journal, while the WAL would hold (and every read would look up)
    // a copy of every page of the import until the checkpoint. Still one transaction, still
    // rolled back after a crash. When another connection has the database open the mode cannot
    // change and the import simply stays in WAL mode.
    let bulk = plan.fp.bytes >= BULK_IMPORT_BYTES;
    if bulk {
        let _: String = store.conn().query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))?;
    }
    let result = import_one_unchecked(store, plan, options, profile, progress, cancel);
    let restored = store.conn().pragma_update(None, "foreign_keys", true);
    let wal = if bulk {
        store.conn().query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0)).map(|_| ())
    } else {
        Ok(())
    };
    let report = result?;
    restored?;
    wal?;
    Ok(report)
}

/// Files at least this large are imported with a rollback journal (see [`import_one`]).
pub const BULK_IMPORT_BYTES: u64 = 16 << 20;

fn import_one_unchecked(
    store: &mut Store,
    plan: &Planned,
    options: &ImportOptions,
    profile: &crate::profile::Profile,
    progress: &mut dyn FnMut(Progress),
    cancel: &AtomicBool,
) -> Result<FileReport, store::StoreError> {
    let name = plan.input.display();
    let system = plan.importer.id();
    // The SHA-256 says whether this file was imported before. Only a file of a size already
    // seen can have been, so a file of a new size is hashed on another thread while it imports.
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
            error: None,
        });
    }
    let hashing = match &known {
        Some(_) => None,
        None => {
            let input = plan.input.clone();
            Some(std::thread::spawn(move || input::sha256_of(&input)))
        }
    };
    let tx = store.conn_mut().transaction()?;
    let settings = serde_json::json!({
        "system": system,
        "detected": options.system.is_none(),
        "encoding": plan.fp.encoding.label(),
        "assume_tz": options.assume_tz,
        "date_order": options.date_order,
    });
    tx.execute(
        "INSERT INTO sources (path, file_name, system, sha256, bytes, imported_at, settings)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            name,
            plan.input.file_name(),
            system,
            // Unique until the hash is known, which replaces it before the commit.
            known.clone().unwrap_or_else(|| format!("pending:{}:{}", std::process::id(), store::now_rfc3339())),
            plan.fp.bytes as i64,
            store::now_rfc3339(),
            settings.to_string()
        ],
    )?;
    let source_id = tx.last_insert_rowid();
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
        statements: context::HotStatements::prepare(&tx)?,
        fatal: None,
        truncated_csv: None,
    };
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
    let outcome = imported.and_then(|()| file.reject_truncated_csv()).and_then(|()| {
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
    drop(file);
    let hashed = match hashing {
        None => known.clone().ok_or_else(|| ImportError::file(&name, "no SHA-256")),
        Some(thread) => thread.join().unwrap_or_else(|_| Err(ImportError::file(&name, "hashing the file failed"))),
    };
    let sha256 = hashed.as_ref().ok().cloned();
    match outcome.and(hashed) {
        Ok(sha256) => {
            tx.execute(
                "UPDATE sources SET rows_imported = ?2, rows_rejected = ?3, rows_warned = ?4, sha256 = ?5 WHERE id = ?1",
                params![
                    source_id,
                    counts.rows_imported as i64,
                    counts.rows_rejected as i64,
                    counts.rows_warned as i64,
                    sha256
                ],
            )?;
            let has_lookups: bool =
                tx.query_row("SELECT EXISTS (SELECT 1 FROM label_lookups WHERE system = ?1)", params![system], |r| {
                    r.get(0)
                })?;
            if has_lookups {
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
            let issues = store::sources::issues(store.conn(), source_id)?;
            let to_issue = |i: &store::sources::ImportIssue| Issue {
                locator: i.locator.clone(),
                field: i.field.clone(),
                message: i.message.clone(),
            };
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
                warnings: issues.iter().filter(|i| i.severity == "warning").map(to_issue).collect(),
                rejections: issues.iter().filter(|i| i.severity == "rejected").map(to_issue).collect(),
                error: None,
            })
        }
        Err(e) => {
            tx.rollback()?;
            Ok(FileReport::failed(name, sha256, Some(system.to_string()), &e))
        }
    }
}
