//! Subject identifiers: e-mail, phone, and `system:kind:value` system identifiers.
//!
//! Normalisation is deliberately minimal (SPEC §2): e-mails are trimmed and lower-cased with no
//! provider-specific folding, phones become E.164 only when that is unambiguous. A wrong merge
//! puts one person's data in another's evidence pack, so nothing fuzzy happens here.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

/// One identifier of a data subject.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Identifier {
    /// `email`, `phone`, or a system identifier kind written `system:kind` (e.g. `salesforce:individual`).
    pub kind: String,
    /// The normalised value.
    pub value: String,
}

/// Why a text is not a usable identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentifierError {
    #[error("empty identifier")]
    Empty,
    #[error("'{0}' is not an e-mail address")]
    BadEmail(String),
    #[error("'{0}' is not a phone number")]
    BadPhone(String),
    #[error("'{0}' is not an identifier (expected an e-mail, a phone number, or system:kind:value)")]
    Unrecognised(String),
    /// The text (with the character shown as an escape, never raw) and what the character is.
    #[error("'{0}' contains {1}, which an identifier may not hold (it would make one person look like another, or hide text)")]
    HiddenCharacter(String, String),
}

/// What an invisible or text-direction character is, or None for an ordinary one.
fn hidden_kind(c: char) -> Option<&'static str> {
    match c {
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => Some("a bidirectional override"),
        '\u{200E}' | '\u{200F}' | '\u{061C}' => Some("a bidirectional mark"),
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' => Some("a zero-width character"),
        c if c.is_control() => Some("a control character"),
        _ => None,
    }
}

/// The identifier text in Unicode NFC (one name typed with a combined or a decomposed `ë` is
/// one identifier), refused when it holds control, bidirectional-override or zero-width
/// characters.
fn clean(raw: &str) -> Result<String, IdentifierError> {
    if let Some(c) = raw.chars().find(|c| hidden_kind(*c).is_some()) {
        let shown: String = raw
            .trim()
            .chars()
            .map(|c| if hidden_kind(c).is_some() { format!("\\u{{{:04X}}}", c as u32) } else { c.to_string() })
            .collect();
        let what = format!("{} (U+{:04X})", hidden_kind(c).unwrap_or("a hidden character"), c as u32);
        return Err(IdentifierError::HiddenCharacter(shown, what));
    }
    // Most identifiers (every ASCII one) are NFC already; the quick check says so without
    // decomposing and recomposing each character, which was a large share of an import's parsing.
    match unicode_normalization::is_nfc_quick(raw.chars()) {
        unicode_normalization::IsNormalized::Yes => Ok(raw.to_string()),
        _ => Ok(raw.nfc().collect()),
    }
}

impl Identifier {
    /// An e-mail identifier: trimmed and lower-cased.
    pub fn email(raw: &str) -> Result<Identifier, IdentifierError> {
        let raw = &clean(raw.trim())?;
        let value = raw.trim().to_lowercase();
        if value.is_empty() {
            return Err(IdentifierError::Empty);
        }
        let valid = match value.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.is_empty()
                    && !domain.contains('@')
                    && !value.chars().any(char::is_whitespace)
            }
            None => false,
        };
        if !valid {
            return Err(IdentifierError::BadEmail(raw.trim().to_string()));
        }
        Ok(Identifier { kind: "email".into(), value })
    }

    /// A phone identifier: E.164 (`+` and digits) when the text has an international prefix,
    /// otherwise the digits as written (a national number cannot be made E.164 without guessing
    /// the country).
    pub fn phone(raw: &str) -> Result<Identifier, IdentifierError> {
        let raw = &clean(raw.trim())?;
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(IdentifierError::Empty);
        }
        let allowed = |c: char| c.is_ascii_digit() || " -().+/".contains(c);
        if !trimmed.chars().all(allowed) {
            return Err(IdentifierError::BadPhone(trimmed.to_string()));
        }
        let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
        if digits.len() < 5 || digits.len() > 15 {
            return Err(IdentifierError::BadPhone(trimmed.to_string()));
        }
        let value = if let Some(rest) = trimmed.strip_prefix('+') {
            let _ = rest;
            format!("+{digits}")
        } else if let Some(rest) = digits.strip_prefix("00") {
            format!("+{rest}")
        } else {
            digits
        };
        Ok(Identifier { kind: "phone".into(), value })
    }

    /// A system identifier `system:kind:value`, e.g. `salesforce:individual:0PK…`. System and
    /// kind are lower-cased; the value keeps its case (Salesforce ids are case-sensitive).
    pub fn system(system: &str, kind: &str, value: &str) -> Result<Identifier, IdentifierError> {
        let value = &clean(value.trim())?;
        let value = value.trim();
        if value.is_empty() {
            return Err(IdentifierError::Empty);
        }
        Ok(Identifier {
            kind: format!("{}:{}", system.trim().to_lowercase(), kind.trim().to_lowercase()),
            value: value.to_string(),
        })
    }

    /// Parses an identifier as a user or a canonical file writes it: `email:…`, `phone:…`,
    /// `system:kind:value`, or a bare e-mail / international phone number.
    pub fn parse(text: &str) -> Result<Identifier, IdentifierError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(IdentifierError::Empty);
        }
        if let Some(rest) = t.strip_prefix("email:") {
            return Identifier::email(rest);
        }
        if let Some(rest) = t.strip_prefix("phone:") {
            return Identifier::phone(rest);
        }
        if !t.contains('@') {
            let mut parts = t.splitn(3, ':');
            if let (Some(s), Some(k), Some(v)) = (parts.next(), parts.next(), parts.next()) {
                if !s.is_empty() && !k.is_empty() && !v.is_empty() {
                    return Identifier::system(s, k, v);
                }
            }
        }
        if t.contains('@') {
            return Identifier::email(t);
        }
        if t.starts_with('+') {
            return Identifier::phone(t);
        }
        Err(IdentifierError::Unrecognised(t.to_string()))
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&Identifier::written(&self.kind, &self.value))
    }
}

impl Identifier {
    /// How an identifier of `kind` with `value` is written (its `Display`), from borrowed text:
    /// the audit writes one per event it reads, straight from SQLite's row.
    pub fn written(kind: &str, value: &str) -> String {
        match kind {
            "email" | "phone" => value.to_string(),
            kind => {
                let mut text = String::with_capacity(kind.len() + 1 + value.len());
                text.push_str(kind);
                text.push(':');
                text.push_str(value);
                text
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lowercased_only() {
        let id = Identifier::email("  Anna.Kowalska+News@GMail.com ").unwrap();
        assert_eq!(id.value, "anna.kowalska+news@gmail.com");
        assert!(Identifier::email("no-at-sign").is_err());
        assert!(Identifier::email("a@b@c").is_err());
        assert_eq!(Identifier::email("ΑΝΝΑ@example.gr").unwrap().value, "αννα@example.gr");
    }

    #[test]
    fn phones_become_e164_only_with_a_prefix() {
        assert_eq!(Identifier::phone("+44 (0)20-7946 0958").unwrap().value, "+440207946 0958".replace(' ', ""));
        assert_eq!(Identifier::phone("0044 20 7946 0958").unwrap().value, "+442079460958");
        assert_eq!(Identifier::phone("020 7946 0958").unwrap().value, "02079460958");
        assert!(Identifier::phone("call me").is_err());
    }

    #[test]
    fn parses_every_written_form() {
        assert_eq!(
            Identifier::parse("salesforce:Individual:0PK5g000000XyZ1").unwrap().to_string(),
            "salesforce:individual:0PK5g000000XyZ1"
        );
        assert_eq!(Identifier::parse("email:X@Y.org").unwrap().value, "x@y.org");
        assert_eq!(Identifier::parse("X@Y.org").unwrap().kind, "email");
        assert_eq!(Identifier::parse("+33 1 23 45 67 89").unwrap().value, "+33123456789");
        assert!(Identifier::parse("hello").is_err());
    }

    #[test]
    fn identifiers_are_nfc_and_refuse_hidden_characters() {
        // "zoë" typed with a combining diaeresis and with the precomposed letter: one identifier.
        let decomposed = Identifier::email("zoe\u{0308}@example.com").unwrap();
        assert_eq!(decomposed, Identifier::email("zo\u{00EB}@example.com").unwrap());
        assert_eq!(decomposed.value, "zo\u{00EB}@example.com");
        // Text the quick check cannot pass is normalised in full: a singleton (the Angstrom
        // sign), combining marks out of canonical order, Hangul written as jamo.
        assert_eq!(Identifier::email("\u{212B}ngstrom@example.org").unwrap().value, "\u{00E5}ngstrom@example.org");
        assert_eq!(Identifier::email("q\u{0307}\u{0323}@example.org").unwrap().value, "q\u{0323}\u{0307}@example.org");
        assert_eq!(Identifier::email("\u{1100}\u{1161}@example.kr").unwrap().value, "\u{AC00}@example.kr");
        assert_eq!(Identifier::system("crm", "id", "Zoe\u{0308}").unwrap().value, "Zo\u{00EB}");
        for (text, what) in [
            ("anna\u{202E}moc.elpmaxe@x.org", "bidirectional override"),
            ("an\u{200B}na@example.org", "zero-width"),
            ("anna\u{0007}@example.org", "control character"),
        ] {
            let err = Identifier::email(text).unwrap_err().to_string();
            assert!(err.contains(what), "{err}");
            assert!(err.contains("\\u{"), "the character is shown escaped: {err}");
            assert!(!err.contains(|c: char| hidden_kind(c).is_some()), "never printed raw: {err:?}");
        }
        assert!(Identifier::system("crm", "id", "12\u{2066}34").is_err());
    }
}
