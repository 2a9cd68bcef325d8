//! Which file each source system's export is, in the words of that system's own menus: what the
//! empty Import screen (and `consent-trail systems`) tells a person who has never exported one.

/// The export file an importer reads, by importer id (`None` for an unknown id).
pub fn which_file(importer_id: &str) -> Option<&'static str> {
    Some(match importer_id {
        "consenttrail" => "ConsentTrail's own canonical CSV/JSON event file",
        "crosswalk" => "an identifier crosswalk CSV (two identifiers of one person per row)",
        "mailchimp" => "Audience → Export audience: the ZIP, or its subscribed/unsubscribed/cleaned members CSVs",
        "salesforce" => {
            "Data Loader export of Individual, ContactPointEmail, DataUsePurpose and ContactPointTypeConsent (CSV)"
        }
        "hubspot" => "Contacts → Export, all properties (CSV), including the legal-basis and opt-out columns",
        "onetrust" => "Consent → Data subjects export (JSON), with each subject's purposes and receipts",
        "segment" => "the event stream or archive (JSON Lines) with identify and consent-preference events",
        "tcf-gvl" => "the IAB Global Vendor List your CMP used (vendor-list.json)",
        "tcf" => "your CMP's consent log with TC strings (CSV)",
        "kantara" => "Kantara consent receipts (JSON)",
        "dpv" => "W3C DPV / ISO 27560 consent records (JSON or JSON-LD)",
        "disclosure-log" => "a send, sync or sharing log (CSV) — e.g. your CDP's activation log",
        "mapped" => "any other CSV: you map its columns once, and ConsentTrail remembers the mapping",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::which_file;

    #[test]
    fn every_importer_says_which_file_it_reads() {
        for importer in crate::import::registry() {
            assert!(which_file(importer.id()).is_some(), "no description for '{}'", importer.id());
        }
        assert_eq!(which_file("no-such-system"), None);
    }
}
