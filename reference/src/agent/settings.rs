//! The endpoint's KSN settings, as the product's settings window and policy have them (seeds 001-004).

use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::http::ServerUrl;
use crate::protocol::{KsnMode, KsnType, LicenseKey};

/// How the endpoint takes part in KSN (seed 001's three ways, and not at all).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Participation {
    /// "KSN with statistics": lookups and statistics (EP-MODE-1).
    Extended,
    /// "KSN without statistics": lookups only (EP-MODE-1).
    Basic,
    /// "Save KSN statistics to file": no requests; statistics go to daily JSON files (EP-MODE-2).
    SaveToFile,
    /// "Do not participate": no KSN traffic (EP-MODE-3).
    Off,
}

impl Participation {
    /// The `KSN-Mode` sent with requests, when requests are sent at all.
    pub fn wire_mode(self) -> Option<KsnMode> {
        match self {
            Self::Extended => Some(KsnMode::Extended),
            Self::Basic => Some(KsnMode::Basic),
            Self::SaveToFile | Self::Off => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Extended => "extended",
            Self::Basic => "basic",
            Self::SaveToFile => "save to file",
            Self::Off => "off",
        }
    }
}

/// Global KSN, or Private KSN authenticated by the license key (seed 002).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum KsnChoice {
    Global,
    Private {
        #[serde(with = "license_text")]
        license: LicenseKey,
    },
}

impl KsnChoice {
    pub fn ksn_type(&self) -> KsnType {
        match self {
            Self::Global => KsnType::Global,
            Self::Private { .. } => KsnType::Private,
        }
    }

    pub fn license(&self) -> Option<&LicenseKey> {
        match self {
            Self::Global => None,
            Self::Private { license } => Some(license),
        }
    }
}

/// "Use KSN proxy" and "Use KSN servers when the proxy is unavailable" (seed 003, EP-PROXY-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProxyUse {
    pub enabled: bool,
    pub address: Option<ServerUrl>,
    pub direct_when_unavailable: bool,
}

/// System DNS servers, and whether public DNS may stand in when they fail (seed 000, EP-DNS-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsSettings {
    pub system: Vec<SocketAddr>,
    pub allow_public: bool,
    /// Tried in this order, only after the system DNS failed.
    pub public: Vec<SocketAddr>,
}

/// The public DNS servers of the product, in the order it tries them.
pub const PUBLIC_DNS: [Ipv4Addr; 5] = [
    Ipv4Addr::new(8, 8, 8, 8),
    Ipv4Addr::new(1, 1, 1, 1),
    Ipv4Addr::new(223, 6, 6, 6),
    Ipv4Addr::new(9, 9, 9, 9),
    Ipv4Addr::new(185, 228, 168, 168),
];

impl DnsSettings {
    /// The given system DNS servers, with the product's public fallback list (allowed).
    pub fn with_system(system: Vec<SocketAddr>) -> Self {
        let public = PUBLIC_DNS
            .iter()
            .map(|ip| SocketAddr::new(IpAddr::V4(*ip), 53))
            .collect();
        Self {
            system,
            allow_public: true,
            public,
        }
    }
}

/// Where the KSN servers are. Their host names are resolved through [`DnsSettings`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KsnServers {
    pub global: ServerUrl,
    pub private: ServerUrl,
}

/// Every setting of the endpoint's KSN usage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentSettings {
    pub participation: Participation,
    pub ksn: KsnChoice,
    pub proxy: ProxyUse,
    pub dns: DnsSettings,
    pub servers: KsnServers,
}

impl AgentSettings {
    /// What is in effect: with Private KSN accepted, the Global KSN settings are not (EP-LIC-3): accepting
    /// the Private KSN terms covers all data types, so a Global-only choice of fewer data does not apply.
    pub fn effective_participation(&self) -> Participation {
        match (&self.ksn, self.participation) {
            (KsnChoice::Private { .. }, Participation::Basic) => Participation::Extended,
            (_, participation) => participation,
        }
    }

    /// The KSN server this endpoint talks to: one only, never the other (PX-TYPE-1 from the endpoint side).
    pub fn server(&self) -> &ServerUrl {
        match self.ksn {
            KsnChoice::Global => &self.servers.global,
            KsnChoice::Private { .. } => &self.servers.private,
        }
    }
}

mod license_text {
    use crate::protocol::LicenseKey;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(key: &LicenseKey, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(key.expose())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<LicenseKey, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

impl Serialize for ServerUrl {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ServerUrl {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn settings() -> AgentSettings {
        AgentSettings {
            participation: Participation::Extended,
            ksn: KsnChoice::Global,
            proxy: ProxyUse {
                enabled: false,
                address: None,
                direct_when_unavailable: false,
            },
            dns: DnsSettings::with_system(vec!["10.0.0.53:53".parse().unwrap()]),
            servers: KsnServers {
                global: "https://ksn.global.test".parse().unwrap(),
                private: "https://ksn.private.test".parse().unwrap(),
            },
        }
    }

    #[test]
    fn ep_lic_3_private_ksn_overrides_the_global_choice_of_basic() {
        let mut s = settings();
        s.participation = Participation::Basic;
        assert_eq!(s.effective_participation(), Participation::Basic);
        s.ksn = KsnChoice::Private {
            license: "KEY-1".parse().unwrap(),
        };
        assert_eq!(s.effective_participation(), Participation::Extended);
        assert_eq!(s.server().host, "ksn.private.test");
    }

    #[test]
    fn public_dns_list_is_the_products_order() {
        let dns = DnsSettings::with_system(vec![]);
        let ips: Vec<String> = dns.public.iter().map(|a| a.ip().to_string()).collect();
        assert_eq!(
            ips,
            ["8.8.8.8", "1.1.1.1", "223.6.6.6", "9.9.9.9", "185.228.168.168"]
        );
    }
}
