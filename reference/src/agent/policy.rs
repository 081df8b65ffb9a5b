//! Policy locks (EP-POL-1): an administrator's policy enforces some settings and leaves the others
//! undefined; an enforced setting overrides the local one, an undefined one leaves the local value.

use serde::{Deserialize, Serialize};

use super::settings::{AgentSettings, Participation};

/// One setting in a policy: enforced with a value, or left to the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lock<T> {
    Enforce(T),
    #[default]
    Undefined,
}

impl<T: Copy> Lock<T> {
    /// The value in effect, given the device's own.
    pub fn over(self, local: T) -> T {
        match self {
            Self::Enforce(value) => value,
            Self::Undefined => local,
        }
    }
}

/// The KSN settings a policy can lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Policy {
    pub participation: Lock<Participation>,
    pub use_proxy: Lock<bool>,
    pub direct_when_proxy_unavailable: Lock<bool>,
    pub allow_public_dns: Lock<bool>,
}

impl Policy {
    /// The settings in effect: `local` with every enforced setting replaced.
    pub fn apply(&self, local: &AgentSettings) -> AgentSettings {
        let mut effective = local.clone();
        effective.participation = self.participation.over(local.participation);
        effective.proxy.enabled = self.use_proxy.over(local.proxy.enabled);
        effective.proxy.direct_when_unavailable = self
            .direct_when_proxy_unavailable
            .over(local.proxy.direct_when_unavailable);
        effective.dns.allow_public = self.allow_public_dns.over(local.dns.allow_public);
        effective
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::settings::tests::settings;

    #[test]
    fn ep_pol_1_enforced_overrides_undefined_keeps_local() {
        let mut local = settings();
        local.participation = Participation::Basic;
        local.dns.allow_public = true;
        let policy = Policy {
            participation: Lock::Enforce(Participation::Off),
            allow_public_dns: Lock::Undefined,
            ..Policy::default()
        };
        let effective = policy.apply(&local);
        assert_eq!(effective.participation, Participation::Off);
        assert!(effective.dns.allow_public, "undefined leaves the local value");
        assert_eq!(
            Policy::default().apply(&local),
            local,
            "an empty policy changes nothing"
        );
    }
}
