//! Tests of the real `consent-trail` binary: the SPEC §9 contract (JSON shapes, exit codes,
//! one-line errors), crash safety (SIGKILL mid-import) and hostile inputs with the child's peak
//! memory measured.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod audit_log;
mod contract;
mod crash;
mod date_order;
mod decide;
mod findings_dates;
mod findings_export;
mod hostile;
mod pack_signing;
mod packs;
mod sample;
