//! Deliberate misbehaviour of the reference proxy, for the conformance suite's self-test only: each kind breaks
//! one requirement at its decision point, so that `ksnsim conformance` can be shown to catch it.
//!
//! Never for real use: [`ProxyConfig::misbehave`](super::ProxyConfig::misbehave) defaults to `None`, and
//! `ksn-proxy --misbehave KIND` is a hidden flag. Each kind is one `if` in the proxy:
//! - `cache-errors` keeps the upstream's error answers like verdicts (breaks PX-CACHE-3);
//! - `shared-cache` keys the cache without the tenant (breaks PX-CACHE-4);
//! - `early-ack` answers 202 to statistics before the upstream accepted them (breaks PX-STAT-1);
//! - `ignore-ttl` keeps every verdict for a day whatever its ttl (breaks PX-CACHE-2);
//! - `no-tls-verify` accepts any upstream certificate (breaks PX-TLS-1);
//! - `whole-batch` sends a batch upstream whole unless every object of it is cached (breaks PX-CACHE-5);
//! - `drop-idempotency-key` relays statistics without their `Idempotency-Key` (breaks PX-STAT-1, PX-AUTH-1
//!   and, through a chain, PX-CHAIN-1);
//! - `stale-for-answers` lets an expired verdict stand in for any error answer of the upstream, a 429 or a
//!   401 too, not only for an outage (breaks PX-STALE-1).

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use crate::http::Answer;
use crate::verdict_cache::CacheKey;

/// One way to break the contract on purpose (conformance self-test only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Misbehaviour {
    CacheErrors,
    SharedCache,
    EarlyAck,
    IgnoreTtl,
    NoTlsVerify,
    WholeBatch,
    DropIdempotencyKey,
    StaleForAnswers,
}

impl Misbehaviour {
    pub const ALL: [Self; 8] = [
        Self::CacheErrors,
        Self::SharedCache,
        Self::EarlyAck,
        Self::IgnoreTtl,
        Self::NoTlsVerify,
        Self::WholeBatch,
        Self::DropIdempotencyKey,
        Self::StaleForAnswers,
    ];

    /// The flag value: `cache-errors`, `shared-cache`, `early-ack`, `ignore-ttl`, `no-tls-verify`,
    /// `whole-batch`, `drop-idempotency-key`, `stale-for-answers`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CacheErrors => "cache-errors",
            Self::SharedCache => "shared-cache",
            Self::EarlyAck => "early-ack",
            Self::IgnoreTtl => "ignore-ttl",
            Self::NoTlsVerify => "no-tls-verify",
            Self::WholeBatch => "whole-batch",
            Self::DropIdempotencyKey => "drop-idempotency-key",
            Self::StaleForAnswers => "stale-for-answers",
        }
    }
}

impl fmt::Display for Misbehaviour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A misbehaviour name that is not one of [`Misbehaviour::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a misbehaviour: use cache-errors, shared-cache, early-ack, ignore-ttl, no-tls-verify, \
     whole-batch, drop-idempotency-key or stale-for-answers"
)]
pub struct UnknownMisbehaviour(String);

impl FromStr for Misbehaviour {
    type Err = UnknownMisbehaviour;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| UnknownMisbehaviour(text.to_owned()))
    }
}

/// `cache-errors`: error answers kept by key, never expiring.
#[derive(Debug, Default)]
pub(crate) struct ErrorCache(Mutex<HashMap<CacheKey, Answer>>);

impl ErrorCache {
    pub(crate) fn get(&self, key: &CacheKey) -> Option<Answer> {
        self.lock().get(key).cloned()
    }

    pub(crate) fn put(&self, key: CacheKey, answer: Answer) {
        self.lock().insert(key, answer);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<CacheKey, Answer>> {
        self.0
            .lock()
            .expect("error cache lock is never poisoned: no panics while held")
    }
}

/// `no-tls-verify`: a TLS 1.3 client configuration that takes any certificate for any name.
pub(crate) fn accept_any_certificate() -> Arc<ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(AcceptAnyCertificate(provider.clone()));
    let config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("the ring provider supports TLS 1.3")
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Arc::new(config)
}

/// Trusts every certificate; still checks handshake signatures, so that the connection works at all.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_typos_are_refused() {
        for kind in Misbehaviour::ALL {
            assert_eq!(kind.as_str().parse::<Misbehaviour>().unwrap(), kind);
        }
        let err = "cache-error".parse::<Misbehaviour>().unwrap_err();
        assert!(err.to_string().contains("cache-errors"), "{err}");
    }
}
