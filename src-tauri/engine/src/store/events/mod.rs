//! The `events` table and the tables that hang off one event (`source_rows`,
//! `event_recipients`, `event_duplicates`, `import_issues`): the one home of their SQL.
//! Writes happen during an import (`write`); everything else reads (`read`).

pub mod by_subject;
pub mod facts;
pub mod read;
pub mod write;
