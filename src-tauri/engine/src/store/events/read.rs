//! Reading events and their rows: timelines, the audit, packs.
