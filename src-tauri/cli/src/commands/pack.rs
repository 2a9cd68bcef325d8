//! `consent-trail pack subject|organisation`: an evidence pack, made by the same use case the
//! app calls ([`ops::make_subject_pack`], [`ops::make_organisation_pack`]).

use anyhow::{anyhow, bail, Context};
use consenttrail_engine::ops::{self, PackSubject};
use consenttrail_engine::pack::{PackOptions, Signer};
use consenttrail_engine::store::Store;

use crate::{output, PackKind};

/// Where `pack --sign-with` reads the PKCS#12 password from when it is set.
const SIGN_PASSWORD_ENV: &str = "CONSENTTRAIL_SIGN_PASSWORD";

pub fn pack(store: &mut Store, json: bool, kind: &PackKind) -> anyhow::Result<()> {
    let written = match kind {
        PackKind::Subject { identifier, output, case, generated_at, force, sign_with } => {
            let options = PackOptions {
                case_reference: case.clone(),
                generated_at: parse_instant(generated_at.as_deref())?,
                overwrite: *force,
            };
            let signer = signer(sign_with.as_deref())?;
            ops::make_subject_pack(store, PackSubject::Identifier(identifier), output, &options, signer.as_ref())?
        }
        PackKind::Organisation { output, generated_at, force, sign_with } => {
            let options = PackOptions {
                case_reference: None,
                generated_at: parse_instant(generated_at.as_deref())?,
                overwrite: *force,
            };
            let signer = signer(sign_with.as_deref())?;
            ops::make_organisation_pack(store, output, &options, signer.as_ref(), &mut |_| {})?
        }
    };
    if json {
        output::json(&written)
    } else {
        output::print_pack(&written);
        Ok(())
    }
}

fn parse_instant(text: Option<&str>) -> anyhow::Result<Option<chrono::DateTime<chrono::Utc>>> {
    text.map(|t| {
        chrono::DateTime::parse_from_rfc3339(t)
            .map(|d| d.with_timezone(&chrono::Utc))
            .map_err(|e| anyhow!("--generated-at '{t}' is not an RFC 3339 instant: {e}"))
    })
    .transpose()
}

/// The organisation's key from `--sign-with`, its password from the environment or the terminal
/// (never stored); `None` signs with the database's own key.
fn signer(file: Option<&std::path::Path>) -> anyhow::Result<Option<Signer>> {
    let Some(file) = file else { return Ok(None) };
    let data = std::fs::read(file).with_context(|| format!("{}", file.display()))?;
    let password = match std::env::var(SIGN_PASSWORD_ENV) {
        Ok(p) => p,
        Err(_) if std::io::IsTerminal::is_terminal(&std::io::stdin()) => {
            rpassword::prompt_password(format!("Password for {}: ", file.display()))
                .with_context(|| "reading the password")?
        }
        Err(_) => bail!(
            "{}: set {SIGN_PASSWORD_ENV} to its password, or run on a terminal to be asked for it",
            file.display()
        ),
    };
    let signer = Signer::from_pkcs12(&data, &password).map_err(|e| anyhow!("{}: {e}", file.display()))?;
    Ok(Some(signer))
}
