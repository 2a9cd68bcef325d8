//! Signing packs (PAdES baseline B-B, DESIGN.md "PDF signing"): a detached CMS SignedData over
//! the file's byte ranges, with the signed attributes PAdES asks for (content type, message
//! digest, signing-certificate-v2) and no signing-time attribute (PAdES puts the claimed time in
//! the signature dictionary's `/M`, which is the pack's `generated_at`).
//!
//! Signatures are deterministic (RSA PKCS#1 v1.5, or ECDSA P-256 with RFC 6979 nonces), so a pack
//! stays byte-identical for the same data, profile, key and generation time.
//!
//! The key is the organisation's own (a PKCS#12 file, [`Signer::from_pkcs12`]) or, by default, a
//! P-256 key pair created once per database with a self-signed certificate naming the
//! organisation ([`Signer::for_database`]), kept in the database's `settings` table.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{ObjectIdentifier, OctetString, SetOfVec};
use der::{Any, Decode, Encode, Reader, Sequence};
use rusqlite::Connection;
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use x509_cert::attr::Attribute;
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::ext::pkix::{KeyUsage, KeyUsages};
use x509_cert::ext::{Extension, ToExtension};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};
use x509_cert::{Certificate, TbsCertificate};

use super::PackError;
use crate::store::{audit_log, key_values, profile_doc};

const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const ID_SIGNING_CERTIFICATE_V2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// The settings keys of the database's own signing key (PKCS#8, base64) and certificate (DER,
/// base64).
const KEY_SETTING: &str = "pack_signing_key_pkcs8";
const CERT_SETTING: &str = "pack_signing_certificate";

/// ESS `ESSCertIDv2` (RFC 5035) with the default hash algorithm (SHA-256) and no issuer/serial,
/// as CAdES baseline signatures write it.
#[derive(Clone, Debug, Sequence)]
struct EssCertIdV2 {
    cert_hash: OctetString,
}

/// ESS `SigningCertificateV2` without policies.
#[derive(Clone, Debug, Sequence)]
struct SigningCertificateV2 {
    certs: Vec<EssCertIdV2>,
}

fn sign_error(e: impl fmt::Display) -> PackError {
    PackError::Sign(e.to_string())
}

/// Who signed: the certificate's subject and the SHA-256 of its DER encoding (hex).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SignerIdentity {
    pub subject: String,
    pub sha256: String,
}

impl SignerIdentity {
    fn of(cert: &Certificate) -> Result<Self, PackError> {
        let der = cert.to_der().map_err(sign_error)?;
        Ok(SignerIdentity {
            subject: cert.tbs_certificate().subject().to_string(),
            sha256: hex::encode(Sha256::digest(&der)),
        })
    }
}

enum Key {
    Ecdsa(p256::ecdsa::SigningKey),
    Rsa(Box<rsa::pkcs1v15::SigningKey<rsa::sha2::Sha256>>),
}

impl Key {
    /// A PKCS#8 private key: ECDSA P-256 or RSA.
    fn from_pkcs8(der: &[u8]) -> Result<Key, PackError> {
        use p256::pkcs8::DecodePrivateKey as _;
        if let Ok(k) = p256::ecdsa::SigningKey::from_pkcs8_der(der) {
            return Ok(Key::Ecdsa(k));
        }
        if let Ok(k) = rsa::PrivateKey::from_pkcs8_der(der) {
            return Ok(Key::Rsa(Box::new(rsa::pkcs1v15::SigningKey::new(k))));
        }
        Err(PackError::Sign(
            "the private key is neither RSA nor ECDSA P-256, the two kinds packs can be signed with".into(),
        ))
    }

    /// The public key as a DER SubjectPublicKeyInfo.
    fn public_key_der(&self) -> Result<Vec<u8>, PackError> {
        match self {
            Key::Ecdsa(k) => {
                use p256::pkcs8::EncodePublicKey as _;
                Ok(k.verifying_key().to_public_key_der().map_err(sign_error)?.as_bytes().to_vec())
            }
            Key::Rsa(k) => {
                use rsa::pkcs8::EncodePublicKey as _;
                let private: &rsa::PrivateKey = (**k).as_ref();
                Ok(private.to_public_key().to_public_key_der().map_err(sign_error)?.as_bytes().to_vec())
            }
        }
    }

    /// Signs `message` (deterministically) and names the algorithm for the CMS.
    fn sign(&self, message: &[u8]) -> Result<(AlgorithmIdentifierOwned, Vec<u8>), PackError> {
        use rsa::signature::{SignatureEncoding as _, Signer as _};
        match self {
            Key::Ecdsa(k) => {
                let signature: p256::ecdsa::Signature = k.try_sign(message).map_err(sign_error)?;
                let alg = AlgorithmIdentifierOwned { oid: ECDSA_WITH_SHA256, parameters: None };
                Ok((alg, signature.to_der().as_bytes().to_vec()))
            }
            Key::Rsa(k) => {
                let signature = k.try_sign(message).map_err(sign_error)?;
                let alg = AlgorithmIdentifierOwned { oid: SHA256_WITH_RSA, parameters: Some(Any::null()) };
                Ok((alg, signature.to_vec()))
            }
        }
    }
}

/// A key and its certificate (with any chain the PKCS#12 file carries).
pub struct Signer {
    key: Key,
    cert: Certificate,
    chain: Vec<Certificate>,
    identity: SignerIdentity,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the key.
        f.debug_struct("Signer").field("identity", &self.identity).finish_non_exhaustive()
    }
}

impl Signer {
    fn new(key: Key, cert: Certificate, chain: Vec<Certificate>) -> Result<Signer, PackError> {
        let identity = SignerIdentity::of(&cert)?;
        Ok(Signer { key, cert, chain, identity })
    }

    /// Who signs.
    pub fn identity(&self) -> &SignerIdentity {
        &self.identity
    }

    /// The organisation's key and certificate from a PKCS#12 (`.p12`/`.pfx`) file.
    pub fn from_pkcs12(data: &[u8], password: &str) -> Result<Signer, PackError> {
        let store = p12_keystore::KeyStore::from_pkcs12(data, password, p12_keystore::Pkcs12ImportPolicy::Strict)
            .map_err(|e| PackError::Sign(format!("the PKCS#12 file cannot be opened (wrong password?): {e}")))?;
        let (_, chain) = store
            .private_key_chain()
            .ok_or_else(|| PackError::Sign("the PKCS#12 file holds no private key with its certificate".into()))?;
        let key = Key::from_pkcs8(chain.key().as_der())?;
        let public = key.public_key_der()?;
        let mut certs = Vec::new();
        for c in chain.certs() {
            certs.push(Certificate::from_der(c.as_der()).map_err(sign_error)?);
        }
        let at = certs
            .iter()
            .position(|c| c.tbs_certificate().subject_public_key_info().to_der().ok().as_deref() == Some(&public[..]))
            .ok_or_else(|| PackError::Sign("no certificate in the PKCS#12 file is for its private key".into()))?;
        let cert = certs.remove(at);
        Signer::new(key, cert, certs)
    }

    /// This database's own key: created on first use, with a self-signed certificate naming the
    /// organisation, and recorded in the audit log (with the certificate's fingerprint).
    pub fn for_database(conn: &Connection) -> Result<Signer, PackError> {
        if let Some(signer) = stored(conn)? {
            return Ok(signer);
        }
        let organisation = profile_doc::load(conn)?.organisation.name;
        let (key_der, cert_der) = create(&organisation)?;
        let b64 = base64::engine::general_purpose::STANDARD;
        // Another process may have created one meanwhile: the first one written is kept.
        key_values::insert_pair_if_absent(
            conn,
            (KEY_SETTING, &b64.encode(&key_der)),
            (CERT_SETTING, &b64.encode(&cert_der)),
        )?;
        let signer = stored(conn)?.ok_or_else(|| PackError::Sign("the signing key was not stored".into()))?;
        if signer.cert.to_der().ok().as_deref() == Some(&cert_der[..]) {
            audit_log::record(
                conn,
                "signing-key",
                &serde_json::json!({
                    "created": true,
                    "subject": signer.identity.subject,
                    "certificate_sha256": signer.identity.sha256,
                }),
            )?;
        }
        Ok(signer)
    }

    /// The detached CMS SignedData (DER) over content whose SHA-256 is `digest`.
    pub fn sign_digest(&self, digest: &[u8]) -> Result<Vec<u8>, PackError> {
        let cert_der = self.cert.to_der().map_err(sign_error)?;
        let ess = SigningCertificateV2 {
            certs: vec![EssCertIdV2 {
                cert_hash: OctetString::new(Sha256::digest(&cert_der).to_vec()).map_err(sign_error)?,
            }],
        };
        let attribute = |oid, value: Any| -> Result<Attribute, PackError> {
            let mut values = SetOfVec::new();
            values.insert(value).map_err(sign_error)?;
            Ok(Attribute { oid, values })
        };
        let mut attrs = SetOfVec::new();
        for a in [
            attribute(ID_CONTENT_TYPE, Any::encode_from(&ID_DATA).map_err(sign_error)?)?,
            attribute(
                ID_MESSAGE_DIGEST,
                Any::encode_from(&OctetString::new(digest.to_vec()).map_err(sign_error)?).map_err(sign_error)?,
            )?,
            attribute(ID_SIGNING_CERTIFICATE_V2, Any::encode_from(&ess).map_err(sign_error)?)?,
        ] {
            attrs.insert(a).map_err(sign_error)?;
        }
        // The signature is over the DER of the attributes as a SET OF (RFC 5652 §5.4).
        let (signature_algorithm, signature) = self.key.sign(&attrs.to_der().map_err(sign_error)?)?;
        let tbs = self.cert.tbs_certificate();
        let sha256 = AlgorithmIdentifierOwned { oid: ID_SHA256, parameters: None };
        let info = SignerInfo {
            version: CmsVersion::V1,
            sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                issuer: tbs.issuer().clone(),
                serial_number: tbs.serial_number().clone(),
            }),
            digest_alg: sha256.clone(),
            signed_attrs: Some(attrs),
            signature_algorithm,
            signature: OctetString::new(signature).map_err(sign_error)?,
            unsigned_attrs: None,
        };
        let mut digest_algorithms = SetOfVec::new();
        digest_algorithms.insert(sha256).map_err(sign_error)?;
        let mut certs = vec![CertificateChoices::Certificate(self.cert.clone())];
        certs.extend(self.chain.iter().cloned().map(CertificateChoices::Certificate));
        let signed = SignedData {
            version: CmsVersion::V1,
            digest_algorithms,
            encap_content_info: EncapsulatedContentInfo { econtent_type: ID_DATA, econtent: None },
            certificates: Some(CertificateSet::try_from(certs).map_err(sign_error)?),
            crls: None,
            signer_infos: SignerInfos::try_from(vec![info]).map_err(sign_error)?,
        };
        let content =
            ContentInfo { content_type: ID_SIGNED_DATA, content: Any::encode_from(&signed).map_err(sign_error)? };
        content.to_der().map_err(sign_error)
    }

    /// How many bytes the CMS takes (ECDSA signatures vary by a byte or two; a margin covers it).
    pub fn reserve(&self) -> Result<usize, PackError> {
        Ok(self.sign_digest(&[0; 32])?.len() + 64)
    }
}

fn setting(conn: &Connection, key: &str) -> Result<Option<Vec<u8>>, PackError> {
    key_values::get(conn, key)?
        .map(|v| base64::engine::general_purpose::STANDARD.decode(v))
        .transpose()
        .map_err(|e| PackError::Sign(format!("the stored signing key is damaged: {e}")))
}

fn stored(conn: &Connection) -> Result<Option<Signer>, PackError> {
    key_values::ensure_table(conn)?;
    let (Some(key), Some(cert)) = (setting(conn, KEY_SETTING)?, setting(conn, CERT_SETTING)?) else {
        return Ok(None);
    };
    let key = Key::from_pkcs8(&key)?;
    let cert = Certificate::from_der(&cert).map_err(sign_error)?;
    Signer::new(key, cert, Vec::new()).map(Some)
}

/// The certificate of this database's own key, when it has one (never creates it).
pub fn database_identity(conn: &Connection) -> Result<Option<SignerIdentity>, PackError> {
    if !key_values::table_exists(conn)? {
        return Ok(None);
    }
    match setting(conn, CERT_SETTING)? {
        None => Ok(None),
        Some(der) => SignerIdentity::of(&Certificate::from_der(&der).map_err(sign_error)?).map(Some),
    }
}

/// A self-signed certificate for signing (not a CA).
struct SelfSigned {
    subject: Name,
}

impl BuilderProfile for SelfSigned {
    fn get_issuer(&self, subject: &Name) -> Name {
        subject.clone()
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        _spk: spki::SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: spki::SubjectPublicKeyInfoRef<'_>,
        tbs: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        let usage = KeyUsage(KeyUsages::DigitalSignature | KeyUsages::NonRepudiation);
        Ok(vec![usage.to_extension(tbs.subject(), &[])?])
    }
}

/// RFC 4514 escaping of an attribute value.
fn rdn_value(s: &str) -> String {
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if matches!(ch, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=') || (i == 0 && matches!(ch, '#' | ' ')) {
            out.push('\\');
        }
        out.push(ch);
    }
    if out.ends_with(' ') {
        out.pop();
        out.push_str("\\ ");
    }
    out
}

/// A new P-256 key (PKCS#8 DER) and its self-signed certificate (DER) naming `organisation`.
fn create(organisation: &str) -> Result<(Vec<u8>, Vec<u8>), PackError> {
    use p256::pkcs8::EncodePrivateKey as _;
    let mut secret = [0u8; 32];
    let key = loop {
        getrandom::fill(&mut secret).map_err(sign_error)?;
        if let Ok(k) = p256::ecdsa::SigningKey::from_slice(&secret) {
            break k;
        }
    };
    secret.fill(0);
    let organisation = if organisation.trim().is_empty() { "ConsentTrail user" } else { organisation.trim() };
    let value = rdn_value(organisation);
    let subject = Name::from_str(&format!("CN={value} (evidence packs),O={value}"))
        .or_else(|_| Name::from_str("CN=ConsentTrail evidence packs"))
        .map_err(sign_error)?;
    let mut serial = [0u8; 16];
    getrandom::fill(&mut serial).map_err(sign_error)?;
    serial[0] &= 0x7f;
    serial[0] |= 0x01;
    // Valid from 2000 (packs may carry an earlier `--generated-at` than the key's creation) and
    // without a well-defined end (RFC 5280 §4.1.2.5): the key signs evidence, not sessions.
    let validity = Validity::new(
        Time::from_str("2000-01-01T00:00:00Z").map_err(sign_error)?,
        Time::from_str("9999-12-31T23:59:59Z").map_err(sign_error)?,
    );
    let spki = spki::SubjectPublicKeyInfoOwned::from_key(key.verifying_key()).map_err(sign_error)?;
    let builder = CertificateBuilder::new(
        SelfSigned { subject },
        SerialNumber::new(&serial).map_err(sign_error)?,
        validity,
        spki,
    )
    .map_err(sign_error)?;
    let cert = builder.build::<_, p256::ecdsa::DerSignature>(&key).map_err(sign_error)?;
    let key_der = key.to_pkcs8_der().map_err(sign_error)?.as_bytes().to_vec();
    Ok((key_der, cert.to_der().map_err(sign_error)?))
}

/// What checking a signature found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SignatureCheck {
    /// The CMS verifies over the signed bytes with the certificate it names.
    pub valid: bool,
    /// Why not, when it does not.
    pub problem: Option<String>,
    /// The signing certificate, when one could be read.
    pub signer: Option<SignerIdentity>,
}

/// Checks a detached CMS SignedData (`contents`, the `/Contents` bytes with their zero padding)
/// over content whose SHA-256 is `digest`.
pub fn check(contents: &[u8], digest: &[u8]) -> SignatureCheck {
    let mut signer = None;
    let problem = check_inner(contents, digest, &mut signer).err();
    SignatureCheck { valid: problem.is_none(), problem, signer }
}

fn check_inner(contents: &[u8], digest: &[u8], signer: &mut Option<SignerIdentity>) -> Result<(), String> {
    let mut reader = der::SliceReader::new(contents).map_err(|e| format!("the signature cannot be read: {e}"))?;
    let info = ContentInfo::decode(&mut reader).map_err(|e| format!("the signature is not a CMS message: {e}"))?;
    let rest = reader.read_slice(reader.remaining_len()).map_err(|e| e.to_string())?;
    if rest.iter().any(|&b| b != 0) {
        return Err("the signature field holds bytes after the CMS message".into());
    }
    if info.content_type != ID_SIGNED_DATA {
        return Err("the signature is not CMS SignedData".into());
    }
    let signed: SignedData = info.content.decode_as().map_err(|e| format!("the SignedData cannot be read: {e}"))?;
    let [si] = signed.signer_infos.0.as_slice() else {
        return Err("the signature does not have exactly one signer".into());
    };
    let SignerIdentifier::IssuerAndSerialNumber(sid) = &si.sid else {
        return Err("the signer is named by key identifier, which packs do not use".into());
    };
    let cert = signed
        .certificates
        .as_ref()
        .and_then(|set| {
            set.0.iter().find_map(|c| match c {
                CertificateChoices::Certificate(c)
                    if c.tbs_certificate().issuer() == &sid.issuer
                        && c.tbs_certificate().serial_number() == &sid.serial_number =>
                {
                    Some(c)
                }
                _ => None,
            })
        })
        .ok_or("the signing certificate is not in the signature")?;
    *signer = SignerIdentity::of(cert).ok();
    if si.digest_alg.oid != ID_SHA256 {
        return Err("the signature does not use SHA-256".into());
    }
    let attrs = si.signed_attrs.as_ref().ok_or("the signature has no signed attributes")?;
    let value = |oid: ObjectIdentifier| attrs.iter().find(|a| a.oid == oid).and_then(|a| a.values.iter().next());
    let md = value(ID_MESSAGE_DIGEST).ok_or("the signature has no message digest")?;
    let md = md.decode_as::<OctetString>().map_err(|e| format!("message digest: {e}"))?;
    if md.as_bytes() != digest {
        return Err("the signed bytes have changed since the pack was signed (message digest differs)".into());
    }
    let ct = value(ID_CONTENT_TYPE).ok_or("the signature has no content type")?;
    if ct.decode_as::<ObjectIdentifier>().ok() != Some(ID_DATA) {
        return Err("the signature's content type is not id-data".into());
    }
    let ess = value(ID_SIGNING_CERTIFICATE_V2).ok_or("the signature has no signing-certificate-v2 attribute")?;
    let ess = ess.decode_as::<SigningCertificateV2>().map_err(|e| format!("signing-certificate-v2: {e}"))?;
    let cert_der = cert.to_der().map_err(|e| e.to_string())?;
    if ess.certs.first().map(|c| c.cert_hash.as_bytes()) != Some(&Sha256::digest(&cert_der)[..]) {
        return Err("the signing-certificate-v2 attribute names another certificate".into());
    }
    let message = attrs.to_der().map_err(|e| e.to_string())?;
    let spki = cert.tbs_certificate().subject_public_key_info().to_der().map_err(|e| e.to_string())?;
    let signature = si.signature.as_bytes();
    let bad = || "the signature does not verify with its certificate".to_string();
    let alg = &si.signature_algorithm.oid;
    if *alg == ECDSA_WITH_SHA256 {
        use p256::ecdsa::signature::Verifier as _;
        use p256::pkcs8::DecodePublicKey as _;
        let key = p256::ecdsa::VerifyingKey::from_public_key_der(&spki).map_err(|e| format!("certificate key: {e}"))?;
        let sig = p256::ecdsa::DerSignature::try_from(signature).map_err(|_| bad())?;
        key.verify(&message, &sig).map_err(|_| bad())
    } else if *alg == SHA256_WITH_RSA || *alg == RSA_ENCRYPTION {
        use rsa::pkcs8::DecodePublicKey as _;
        use rsa::signature::Verifier as _;
        let key = rsa::PublicKey::from_public_key_der(&spki).map_err(|e| format!("certificate key: {e}"))?;
        let key = rsa::pkcs1v15::VerifyingKey::<rsa::sha2::Sha256>::new(key);
        let sig = rsa::pkcs1v15::Signature::try_from(signature).map_err(|_| bad())?;
        key.verify(&message, &sig).map_err(|_| bad())
    } else {
        Err(format!("the signature algorithm {alg} is not one packs are signed with"))
    }
}

/// How a pack is sealed: signed with a key, or (when `verify` re-renders a pack to compare its
/// pages) laid out for a known signer without signing.
pub(crate) enum Sealing<'a> {
    Sign(&'a Signer),
    Preview(&'a SignerIdentity),
}

impl Sealing<'_> {
    /// The signer printed on the integrity page.
    pub(crate) fn identity(&self) -> &SignerIdentity {
        match self {
            Sealing::Sign(s) => s.identity(),
            Sealing::Preview(i) => i,
        }
    }
}
