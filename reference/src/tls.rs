//! TLS 1.3 with the ring provider: client configurations that trust a given CA, server configurations from
//! PEM, both reading validity time from the injected clock (certificate expiry follows simulated time).

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use std::sync::Arc;

use crate::clock::{SharedClock, TlsTimeProvider};

/// A TLS configuration could not be built; the message says which input was wrong.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("no certificate found in the {what} PEM: expected at least one `BEGIN CERTIFICATE` block")]
    NoCertificate { what: &'static str },
    #[error("no private key found in the key PEM: expected a `BEGIN PRIVATE KEY` block")]
    NoKey,
    #[error("the {what} PEM could not be read: {source}")]
    Pem {
        what: &'static str,
        source: std::io::Error,
    },
    #[error("TLS rejected the {what}: {source}")]
    Rustls {
        what: &'static str,
        source: rustls::Error,
    },
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Reads every certificate of a PEM document.
pub fn certificates_from_pem(
    pem: &str,
    what: &'static str,
) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let certs = rustls_pemfile::certs(&mut pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| TlsSetupError::Pem { what, source })?;
    if certs.is_empty() {
        return Err(TlsSetupError::NoCertificate { what });
    }
    Ok(certs)
}

/// A client configuration that trusts exactly the CAs in `ca_pem` (TLS 1.3 only).
pub fn client_config(ca_pem: &str, clock: SharedClock) -> Result<Arc<ClientConfig>, TlsSetupError> {
    let mut roots = RootCertStore::empty();
    for cert in certificates_from_pem(ca_pem, "CA")? {
        roots.add(cert).map_err(|source| TlsSetupError::Rustls {
            what: "CA certificate",
            source,
        })?;
    }
    let config = ClientConfig::builder_with_details(provider(), Arc::new(TlsTimeProvider(clock)))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|source| TlsSetupError::Rustls {
            what: "protocol versions",
            source,
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A server configuration from a certificate chain and its private key (TLS 1.3 only).
pub fn server_config(
    chain_pem: &str,
    key_pem: &str,
    clock: SharedClock,
) -> Result<Arc<ServerConfig>, TlsSetupError> {
    let chain = certificates_from_pem(chain_pem, "certificate chain")?;
    let key: PrivateKeyDer<'static> = rustls_pemfile::private_key(&mut key_pem.as_bytes())
        .map_err(|source| TlsSetupError::Pem {
            what: "private key",
            source,
        })?
        .ok_or(TlsSetupError::NoKey)?;
    let config = ServerConfig::builder_with_details(provider(), Arc::new(TlsTimeProvider(clock)))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|source| TlsSetupError::Rustls {
            what: "protocol versions",
            source,
        })?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|source| TlsSetupError::Rustls {
            what: "certificate and key",
            source,
        })?;
    Ok(Arc::new(config))
}
