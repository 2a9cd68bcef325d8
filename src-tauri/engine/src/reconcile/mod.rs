//! Reconciliation: a subject's events from every system as one timeline, with identical facts
//! from different systems marked as corroborating each other and undirected negative signals
//! read as withdrawals or refusals (SPEC §2, §4.1).

pub mod state;
pub mod subjects;
pub mod timeline;
