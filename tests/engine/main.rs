//! Engine integration tests: real SQLite files, real fixtures from `../shared/data` and the
//! export sets in `tests/fixtures`. One module per area.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod app_queries;
mod architecture;
mod audit_buckets;
mod audit_log;
mod audit_run;
mod bulk_facts;
mod consent_scopes;
mod csv_reader;
mod csv_reality;
mod dataloader_times;
mod date_order;
mod db_snapshot;
mod decisions;
mod export_sets;
mod findings_dates;
mod findings_export;
mod golden_all;
mod hostile_inputs;
mod import_integrity;
mod import_pipeline;
mod import_progress;
mod importers_dpv;
mod importers_hubspot;
mod importers_kantara;
mod importers_onetrust;
mod importers_segment;
mod importers_tcf;
mod migrations;
mod pack_fonts;
mod pack_signing;
mod packs;
mod profile_files;
mod reimport_and_removal;
mod rules;
mod rules_golden;
mod rules_properties;
mod sample_data;
mod store_memory;
mod subject_counts;
