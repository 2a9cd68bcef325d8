//! One function per subcommand, one file per concern: arguments in, one engine call (an `ops`
//! use case wherever it writes, the same the desktop app calls), output out through
//! [`crate::output`].

mod decide;
mod findings;
mod import;
mod log;
mod pack;
mod profile;
mod sample;
mod sources;
mod subjects;
mod systems;
mod verify;

use anyhow::anyhow;
use consenttrail_engine::store::{self, identity, Store};

use crate::{Cli, Command};

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let json = cli.json;
    // These open no database, or (sample) only the one named with --db.
    match &cli.command {
        Command::Verify { file, without_db: true } => return verify::without_db(json, file),
        Command::Systems => return systems::systems(json),
        Command::Sample { exports } => return sample::sample(cli.db.as_deref(), json, exports.as_deref()),
        _ => {}
    }
    let mut store = open(&cli)?;
    match &cli.command {
        Command::Import(args) => import::import(&mut store, json, args),
        // Handled above, before the default database is opened.
        Command::Sample { .. } | Command::Systems => Ok(()),
        Command::Sources => sources::list(&store, json),
        Command::RemoveSource { id } => sources::remove(&mut store, json, *id),
        Command::Subjects { search, limit, offset } => subjects::list(&store, json, search.as_deref(), *limit, *offset),
        Command::Timeline { identifier } => subjects::timeline(&store, json, identifier),
        Command::State { identifier, at } => subjects::state(&store, json, identifier, at.as_deref()),
        Command::Audit => findings::audit(&mut store, json),
        Command::Findings(args) => match &args.export {
            Some(file) => findings::export(&store, json, args, file),
            None => findings::list(&store, json, args),
        },
        Command::Decide { finding_ids, status, note, by } => {
            decide::decide(&store, json, finding_ids, status, note, by.as_deref())
        }
        Command::Log { verify } => log::log(&store, json, *verify),
        Command::Pack { kind } => pack::pack(&mut store, json, kind),
        Command::Verify { file, .. } => verify::against_database(&store, json, file),
        Command::Profile { action } => profile::profile(&mut store, json, action),
    }
}

/// The database of `--db`, else the app's (its setting, else its own file).
fn open(cli: &Cli) -> anyhow::Result<Store> {
    let path = match &cli.db {
        Some(p) => p.clone(),
        None => store::settings::app_database_path().map_err(|e| anyhow!(e))?,
    };
    Ok(Store::open(&path)?)
}

/// The subject an identifier belongs to.
fn find_subject(store: &Store, identifier: &str) -> anyhow::Result<i64> {
    identity::subject_of(store.conn(), identifier)?
        .ok_or_else(|| anyhow!("no subject has the identifier '{identifier}'"))
}
