//! The [`Importer`] trait every source system's reader implements, and the registry detection
//! picks from.

use super::{
    canonical, disclosure_log, dpv, hubspot, kantara, mailchimp, mapping, onetrust, salesforce, segment, tcf,
    FileImport, ImportError, Sniff,
};

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
