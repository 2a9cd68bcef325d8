//! `consent-trail`: the headless command-line tool over the ConsentTrail engine (SPEC §9).
//! Human output by default; `--json` prints one JSON document on stdout. Exit 0 on success,
//! 1 on a user error (one line on stderr), 2 on usage errors.

mod commands;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// mimalloc instead of the system allocator: an import parses records on one thread and frees
/// them on another, which glibc's allocator serves slowly (arena locks, consolidation).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// ConsentTrail: prove consent under the GDPR from the logs you already have.
#[derive(Parser)]
#[command(name = "consent-trail", version, about, propagate_version = true)]
pub struct Cli {
    /// The database file (default: $CONSENTTRAIL_DB, else the app's setting, else the app's own database).
    #[arg(long, global = true, value_name = "PATH")]
    db: Option<PathBuf>,
    /// Print one JSON document on stdout instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Import files, folders and ZIP archives (one transaction per file).
    Import(ImportArgs),
    /// Load the fictional demo export set shipped with ConsentTrail into a NEW database (--db is
    /// required and must hold no imports), then audit it: a way to try every screen and command.
    Sample {
        /// Where to write the demo export files (default: `sample-exports` next to the database).
        #[arg(long, value_name = "DIR")]
        exports: Option<PathBuf>,
    },
    /// The systems whose exports ConsentTrail reads, and which file each export is.
    Systems,
    /// List imported files.
    Sources,
    /// Remove an imported file and everything derived from it.
    #[command(name = "remove-source")]
    RemoveSource { id: i64 },
    /// List subjects, optionally those with an identifier containing TEXT.
    Subjects {
        #[arg(long)]
        search: Option<String>,
        /// Most rows to list (when more match, a note on stderr says how to get the rest).
        #[arg(long, default_value_t = 1000)]
        limit: i64,
        #[arg(long, default_value_t = 0)]
        offset: i64,
    },
    /// Every event of the subject an identifier belongs to, in time order.
    Timeline { identifier: String },
    /// The consent state of every purpose for a subject, now or at an instant.
    State {
        identifier: String,
        /// RFC 3339 instant (default: now).
        #[arg(long)]
        at: Option<String>,
    },
    /// Run every rule over the database and report the findings.
    Audit,
    /// List findings of the latest audit.
    Findings(FindingsArgs),
    /// Record an auditor's decision on one finding, or the same decision and note on several
    /// (all of them or, when one cannot be decided, none).
    Decide {
        #[arg(required = true, value_name = "FINDING_ID")]
        finding_ids: Vec<String>,
        #[arg(long, value_parser = ["accepted", "false-positive", "remediated"])]
        status: String,
        #[arg(long)]
        note: String,
        #[arg(long)]
        by: Option<String>,
    },
    /// The audit log of your own actions, oldest first, and whether its hash chain holds.
    Log {
        /// Exit 1 when the chain is broken (the first broken link on stderr).
        #[arg(long)]
        verify: bool,
    },
    /// Write a PDF/A evidence pack for one subject or for the whole organisation.
    Pack {
        #[command(subcommand)]
        kind: PackKind,
    },
    /// Check an evidence pack: its PDF signature, against itself and against the current database.
    Verify {
        file: PathBuf,
        /// Check the file alone (signature and its own digests), without opening any database;
        /// the output says what that leaves unchecked.
        #[arg(long = "without-db")]
        without_db: bool,
    },
    /// The organisation profile: import a file, or export the one in force.
    Profile {
        #[command(subcommand)]
        action: ProfileAction,
    },
}

// `consent-trail import`'s arguments (a struct of their own, so the command takes them whole).
#[derive(Args)]
pub struct ImportArgs {
    /// Use this organisation profile (it becomes the profile in force).
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,
    /// Zone for zone-less times of a system, e.g. hubspot=Europe/London (repeatable; * for all).
    #[arg(long = "assume-tz", value_name = "SYSTEM=ZONE")]
    pub assume_tz: Vec<String>,
    /// Read every file as this system instead of detecting it.
    #[arg(long, value_name = "ID")]
    pub system: Option<String>,
    /// Order of day and month in slash dates: dmy or mdy (required when a column is ambiguous).
    #[arg(long = "date-format", value_name = "dmy|mdy")]
    pub date_format: Option<String>,
    /// A column mapping (JSON) for CSV layouts no importer recognises; saved for next time.
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,
    /// Write every rejected row (file, line, reason, raw text) to this CSV file; the report
    /// lists the first 1,000 per file.
    #[arg(long, value_name = "FILE")]
    pub rejections: Option<PathBuf>,
    /// Files, folders or ZIP archives.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

// `consent-trail findings`' arguments (a struct of their own, so the command takes them whole).
#[derive(Args)]
pub struct FindingsArgs {
    /// Only this rule (R1 … R11 or its code).
    #[arg(long)]
    pub rule: Option<String>,
    /// Only the subject this identifier belongs to.
    #[arg(long)]
    pub subject: Option<String>,
    /// Write the (filtered) findings to this file instead, as CSV or XLSX by its extension,
    /// with rule names, explanations, legal references and decisions.
    #[arg(long, value_name = "FILE.csv|FILE.xlsx")]
    pub export: Option<PathBuf>,
    /// With --export: only this severity (high, medium, low).
    #[arg(long, requires = "export")]
    pub severity: Option<String>,
    /// With --export: only this purpose.
    #[arg(long, requires = "export")]
    pub purpose: Option<String>,
    /// With --export: only findings with an event from this system.
    #[arg(long, requires = "export")]
    pub system: Option<String>,
    /// With --export: only findings first occurring in this month (YYYY-MM, UTC).
    #[arg(long, requires = "export")]
    pub month: Option<String>,
    /// With --export: only this decision status (open, accepted, false-positive, remediated, reopened).
    #[arg(long, requires = "export")]
    pub status: Option<String>,
    /// Only findings with an occurrence on or after this day (YYYY-MM-DD, from 00:00 UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub from: Option<String>,
    /// Only findings with an occurrence on or before this day (YYYY-MM-DD, to 24:00 UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub to: Option<String>,
    /// With --from/--to: leave out findings with no time at all (kept by default, since a
    /// range cannot tell whether they belong to it).
    #[arg(long)]
    pub exclude_undated: bool,
}

#[derive(Subcommand)]
pub enum PackKind {
    /// The pack of the subject an identifier belongs to.
    Subject {
        identifier: String,
        /// The PDF file to write.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: PathBuf,
        /// A case reference printed on the cover (e.g. the request's ticket number).
        #[arg(long = "case", value_name = "REF")]
        case: Option<String>,
        /// RFC 3339 generation instant (default: now); fixing it makes the pack reproducible.
        #[arg(long = "generated-at", value_name = "INSTANT")]
        generated_at: Option<String>,
        /// Replace the output file if it exists (never the database, never a non-.pdf name).
        #[arg(long)]
        force: bool,
        /// Sign with the organisation's certificate and key from this PKCS#12 (.p12/.pfx) file
        /// (password from $CONSENTTRAIL_SIGN_PASSWORD, else asked on the terminal); default: the
        /// database's own key.
        #[arg(long = "sign-with", value_name = "FILE")]
        sign_with: Option<PathBuf>,
    },
    /// The audit of the whole programme.
    Organisation {
        /// The PDF file to write.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: PathBuf,
        /// RFC 3339 generation instant (default: now).
        #[arg(long = "generated-at", value_name = "INSTANT")]
        generated_at: Option<String>,
        /// Replace the output file if it exists (never the database, never a non-.pdf name).
        #[arg(long)]
        force: bool,
        /// Sign with the organisation's certificate and key from this PKCS#12 (.p12/.pfx) file
        /// (password from $CONSENTTRAIL_SIGN_PASSWORD, else asked on the terminal); default: the
        /// database's own key.
        #[arg(long = "sign-with", value_name = "FILE")]
        sign_with: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum ProfileAction {
    /// Validate and store a profile file as the profile in force.
    Import { file: PathBuf },
    /// Print the profile in force.
    Export,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let message = format!("{e:#}").replace('\n', " ");
            eprintln!("consent-trail: {message}");
            ExitCode::from(1)
        }
    }
}
