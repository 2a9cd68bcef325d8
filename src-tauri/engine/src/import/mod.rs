//! Importers: one module per source system behind the [`Importer`] trait (`importer`),
//! detection by content, and the pipeline that runs each file in its own transaction
//! (`pipeline`, with what it reports in `report`).

pub mod canonical;
pub mod column_mapping;
pub mod context;
pub mod csv_table;
pub mod derive;
pub mod detect;
pub mod disclosure_log;
pub mod dpv;
mod draft;
mod error;
pub mod hubspot;
mod importer;
pub mod input;
pub mod json_records;
pub mod kantara;
pub mod mailchimp;
pub mod mapping;
pub mod onetrust;
mod pipeline;
pub mod preview;
mod report;
pub mod salesforce;
pub mod segment;
pub mod tcf;
pub mod which_file;

pub use context::{EventDraft, FileCounts, FileImport, RowId};
pub use detect::Sniff;
pub use error::ImportError;
pub use importer::{importer_by_id, registry, Importer};
pub use pipeline::{import_paths, ImportOptions, BULK_IMPORT_BYTES};
pub use report::{FileReport, ImportReport, Issue, Progress, REPORT_ISSUES};
