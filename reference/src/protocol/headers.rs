//! The request headers of the contract, and the values they carry (mode, license key, tenant).

use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

use super::ProtocolError;

/// Header names, lowercase as HTTP/1.1 libraries compare them.
pub mod header {
    pub const KSN_CLIENT: &str = "ksn-client";
    pub const KSN_MODE: &str = "ksn-mode";
    pub const KSN_STATEMENT: &str = "ksn-statement";
    pub const AUTHORIZATION: &str = "authorization";
    pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
    pub const RETRY_AFTER: &str = "retry-after";
    pub const CACHE_CONTROL: &str = "cache-control";
    /// Set by the proxy on every answer: `hit`, `miss` or `stale`.
    pub const KSN_CACHE: &str = "ksn-cache";
    /// The request headers a proxy passes upstream unchanged (PX-AUTH-1).
    pub const RELAYED: [&str; 5] = [
        KSN_CLIENT,
        KSN_MODE,
        KSN_STATEMENT,
        AUTHORIZATION,
        IDEMPOTENCY_KEY,
    ];
}

/// `KSN-Mode`: statistics are allowed only in extended mode (EP-MODE-1, SRV-STAT-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KsnMode {
    Extended,
    Basic,
}

impl KsnMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Extended => "extended",
            Self::Basic => "basic",
        }
    }
}

impl FromStr for KsnMode {
    type Err = ProtocolError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim() {
            "extended" => Ok(Self::Extended),
            "basic" => Ok(Self::Basic),
            other => Err(ProtocolError::bad(format!(
                "KSN-Mode {other:?} is not extended or basic"
            ))),
        }
    }
}

impl fmt::Display for KsnMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A license key, which authenticates a tenant to a Private KSN. Never printed in full: `Display` and
/// `Debug` show only its tenant id, so keys do not end up in logs, traces or reports.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LicenseKey(String);

impl LicenseKey {
    /// The key itself, for the `Authorization` header and the server's registry.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `Authorization: License <key>`.
    pub fn authorization(&self) -> String {
        format!("License {}", self.0)
    }

    /// Parses an `Authorization` header value.
    pub fn from_authorization(value: &str) -> Result<Self, ProtocolError> {
        match value.strip_prefix("License ") {
            Some(key) => key.parse(),
            None => Err(ProtocolError::bad("Authorization must be `License <key>`")),
        }
    }

    /// The tenant this key authenticates.
    pub fn tenant(&self) -> TenantId {
        let digest = Sha256::digest(self.0.as_bytes());
        TenantId(digest.iter().take(8).map(|b| format!("{b:02x}")).collect())
    }
}

impl FromStr for LicenseKey {
    type Err = ProtocolError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let ok = !text.is_empty() && text.len() <= 128 && text.bytes().all(|b| b.is_ascii_graphic());
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(ProtocolError::bad(
                "license key must be 1 to 128 printable ASCII characters without spaces",
            ))
        }
    }
}

impl fmt::Debug for LicenseKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LicenseKey(tenant {})", self.tenant())
    }
}

impl fmt::Display for LicenseKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "license of tenant {}", self.tenant())
    }
}

/// A tenant of a Private KSN: the first 8 bytes of the SHA-256 of its license key, in hex. The proxy keys its
/// cache by it (PX-CACHE-4) without keeping the key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TenantId(String);

impl TenantId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn license_key_round_trips_through_authorization_and_hides_itself() {
        let key: LicenseKey = "AAAA-BBBB-CCCC".parse().unwrap();
        let back = LicenseKey::from_authorization(&key.authorization()).unwrap();
        assert_eq!(back, key);
        assert!(!format!("{key} {key:?}").contains("AAAA"));
        assert!(LicenseKey::from_authorization("Bearer x").is_err());
        assert!(LicenseKey::from_authorization("License ").is_err());
    }

    #[test]
    fn tenants_differ_by_key() {
        let a: LicenseKey = "key-a".parse().unwrap();
        let b: LicenseKey = "key-b".parse().unwrap();
        assert_ne!(a.tenant(), b.tenant());
        assert_eq!(a.tenant(), a.clone().tenant());
        assert_eq!(a.tenant().as_str().len(), 16);
    }

    #[test]
    fn mode_parses_only_the_two_modes() {
        assert_eq!("extended".parse::<KsnMode>().unwrap(), KsnMode::Extended);
        assert!("EXTENDED".parse::<KsnMode>().is_err());
    }
}
