//! The test PKI: a CA and server certificates for the mock KSN servers, plus the bad certificates that
//! PX-TLS-1 and EP-DNS-2 need (one from an untrusted CA, one for the wrong name).
//!
//! Deterministic: Ed25519 keys derived from a seed (a PKCS#8 v1 document built around a 32-byte secret),
//! explicit serial numbers of fixed length, and a validity window that the caller computes from its
//! injected clock. Same seed and window, same PEM bytes; Ed25519 signatures are deterministic too.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PKCS_ED25519, SanType, SerialNumber,
};
use rustls::pki_types::PrivatePkcs8KeyDer;
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::PkiError;

/// The PKCS#8 v1 prefix of an Ed25519 private key: SEQUENCE { version 0, AlgorithmIdentifier id-Ed25519,
/// OCTET STRING { OCTET STRING (32 bytes) } }; the 32-byte secret follows.
const ED25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// The name the wrong-name certificate is issued for; no test server is ever reached under it.
pub const WRONG_NAME: &str = "wrong-name.invalid";

/// When certificates are valid. Callers compute it from their injected clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    pub not_before: SystemTime,
    pub not_after: SystemTime,
}

impl Validity {
    /// From one day before `now` to `days` days after it (whole seconds).
    pub fn around(now: SystemTime, days: u64) -> Self {
        const DAY: Duration = Duration::from_secs(24 * 3600);
        let seconds = now.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let now = UNIX_EPOCH + Duration::from_secs(seconds);
        Self {
            not_before: now.checked_sub(DAY).unwrap_or(UNIX_EPOCH),
            not_after: now + DAY * u32::try_from(days).unwrap_or(u32::MAX),
        }
    }

    fn apply(&self, params: &mut CertificateParams) -> Result<(), PkiError> {
        params.not_before = offset(self.not_before)?;
        params.not_after = offset(self.not_after)?;
        Ok(())
    }
}

fn offset(at: SystemTime) -> Result<time::OffsetDateTime, PkiError> {
    let seconds = at.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let seconds = i64::try_from(seconds).map_err(|_| PkiError::Validity(at))?;
    time::OffsetDateTime::from_unix_timestamp(seconds).map_err(|_| PkiError::Validity(at))
}

/// An Ed25519 key pair from a 32-byte secret: the same secret always gives the same key.
pub fn ed25519_key_from_seed(secret: [u8; 32]) -> Result<KeyPair, PkiError> {
    let mut der = ED25519_PKCS8_PREFIX.to_vec();
    der.extend_from_slice(&secret);
    KeyPair::from_pkcs8_der_and_sign_algo(&PrivatePkcs8KeyDer::from(der), &PKCS_ED25519)
        .map_err(PkiError::Rcgen)
}

/// The 32-byte secret of the key called `label` under `seed`.
fn derive_secret(seed: u64, label: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"ksnsim-pki/");
    hasher.update(seed.to_le_bytes());
    hasher.update(label.as_bytes());
    hasher.finalize().into()
}

/// A serial number of fixed length (9 bytes, positive), so certificate sizes never vary with it.
fn serial(n: u64) -> SerialNumber {
    let mut bytes = vec![0x10];
    bytes.extend_from_slice(&n.to_be_bytes());
    SerialNumber::from_slice(&bytes)
}

/// A certificate authority that issues server certificates.
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    cert_pem: String,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa").finish_non_exhaustive()
    }
}

/// A server's certificate chain and private key, as PEM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerCert {
    /// The server certificate (the CA is the trust anchor and is not repeated).
    pub chain_pem: String,
    /// The PKCS#8 private key.
    pub key_pem: String,
}

impl TestCa {
    /// A self-signed CA called `common_name`, its key from `key_secret`.
    pub fn new(
        common_name: &str,
        key_secret: [u8; 32],
        serial_number: u64,
        validity: Validity,
    ) -> Result<Self, PkiError> {
        let key = ed25519_key_from_seed(key_secret)?;
        let mut params = CertificateParams::default();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, common_name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.serial_number = Some(serial(serial_number));
        validity.apply(&mut params)?;
        let cert = params.self_signed(&key).map_err(PkiError::Rcgen)?;
        Ok(Self {
            issuer: Issuer::new(params, key),
            cert_pem: cert.pem(),
        })
    }

    /// The CA certificate, for clients to trust.
    pub fn ca_pem(&self) -> &str {
        &self.cert_pem
    }

    /// A server certificate for `names` (DNS names or IP addresses), its key from `key_secret`.
    pub fn issue(
        &self,
        names: &[&str],
        key_secret: [u8; 32],
        serial_number: u64,
        validity: Validity,
    ) -> Result<ServerCert, PkiError> {
        let key = ed25519_key_from_seed(key_secret)?;
        let mut params = CertificateParams::default();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(
            DnType::CommonName,
            names.first().copied().unwrap_or("ksnsim server"),
        );
        params.subject_alt_names = names.iter().map(|name| san(name)).collect::<Result<_, _>>()?;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        params.serial_number = Some(serial(serial_number));
        validity.apply(&mut params)?;
        let cert = params.signed_by(&key, &self.issuer).map_err(PkiError::Rcgen)?;
        Ok(ServerCert {
            chain_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

fn san(name: &str) -> Result<SanType, PkiError> {
    match name.parse::<IpAddr>() {
        Ok(ip) => Ok(SanType::IpAddress(ip)),
        Err(_) => Ok(SanType::DnsName(
            name.try_into().map_err(|_| PkiError::Name(name.to_owned()))?,
        )),
    }
}

/// Everything the mocks and the conformance runner need: the trusted CA, a good server certificate, and the
/// two bad ones (PX-TLS-1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestPki {
    /// The CA that clients trust.
    pub ca_pem: String,
    /// Issued by the trusted CA for the requested names.
    pub server: ServerCert,
    /// Same names, issued by a different CA that nobody trusts.
    pub untrusted: ServerCert,
    /// Issued by the trusted CA, but only for [`WRONG_NAME`].
    pub wrong_name: ServerCert,
}

impl TestPki {
    /// Generates the whole PKI from `seed`: the same seed, names and validity give the same bytes.
    pub fn generate(seed: u64, names: &[&str], validity: Validity) -> Result<Self, PkiError> {
        let ca = TestCa::new("ksnsim test CA", derive_secret(seed, "ca"), 1, validity)?;
        let rogue = TestCa::new(
            "ksnsim untrusted CA",
            derive_secret(seed, "rogue-ca"),
            1,
            validity,
        )?;
        Ok(Self {
            ca_pem: ca.ca_pem().to_owned(),
            server: ca.issue(names, derive_secret(seed, "server"), 2, validity)?,
            untrusted: rogue.issue(names, derive_secret(seed, "untrusted"), 2, validity)?,
            wrong_name: ca.issue(&[WRONG_NAME], derive_secret(seed, "wrong-name"), 3, validity)?,
        })
    }

    /// Writes `DIR/ca.pem` (creating `DIR`), and returns its path.
    pub fn write_ca(&self, dir: &Path) -> Result<PathBuf, PkiError> {
        let write_error = |source| PkiError::Write {
            path: dir.display().to_string(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(write_error)?;
        let path = dir.join("ca.pem");
        std::fs::write(&path, &self.ca_pem).map_err(|source| PkiError::Write {
            path: path.display().to_string(),
            source,
        })?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ksnsim_reference::clock::ManualClock;
    use ksnsim_reference::tls;

    fn validity() -> Validity {
        Validity::around(UNIX_EPOCH + Duration::from_secs(1_800_000_000), 30)
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_keys() {
        let a = TestPki::generate(7, &["localhost", "127.0.0.1"], validity()).unwrap();
        let b = TestPki::generate(7, &["localhost", "127.0.0.1"], validity()).unwrap();
        let c = TestPki::generate(8, &["localhost", "127.0.0.1"], validity()).unwrap();
        assert_eq!(a, b);
        assert_ne!(a.server.key_pem, c.server.key_pem);
        assert_ne!(a.ca_pem, c.ca_pem);
        assert_eq!(a.ca_pem.len(), c.ca_pem.len(), "sizes do not depend on the seed");
        assert_eq!(a.server.chain_pem.len(), c.server.chain_pem.len());
    }

    #[test]
    fn key_from_seed_round_trips_through_pem() {
        let key = ed25519_key_from_seed([9; 32]).unwrap();
        let again = KeyPair::from_pem(&key.serialize_pem()).unwrap();
        assert_eq!(key.public_key_raw(), again.public_key_raw());
        assert_ne!(
            key.public_key_raw(),
            ed25519_key_from_seed([8; 32]).unwrap().public_key_raw()
        );
    }

    #[test]
    fn every_certificate_loads_into_rustls() {
        let pki = TestPki::generate(1, &["ksn.global.test", "127.0.0.1"], validity()).unwrap();
        let clock = ManualClock::at_unix(1_800_000_000);
        tls::client_config(&pki.ca_pem, std::sync::Arc::new(clock.clone())).unwrap();
        for cert in [&pki.server, &pki.untrusted, &pki.wrong_name] {
            tls::server_config(&cert.chain_pem, &cert.key_pem, std::sync::Arc::new(clock.clone())).unwrap();
        }
    }

    #[test]
    fn bad_names_are_reported() {
        let err = TestPki::generate(1, &["bad name\u{7f}é"], validity()).unwrap_err();
        assert!(err.to_string().contains("bad name"), "{err}");
    }

    #[test]
    fn ca_pem_is_written_into_the_directory() {
        let dir = std::env::temp_dir().join(format!("ksnsim-pki-test-{}", std::process::id()));
        let pki = TestPki::generate(1, &["localhost"], validity()).unwrap();
        let path = pki.write_ca(&dir).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), pki.ca_pem);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
