//! How an endpoint agent is set up: its identity, settings and policy, and the timing of its retries.

use std::path::PathBuf;
use std::time::Duration;

use super::policy::Policy;
use super::settings::AgentSettings;

/// Everything an agent is started with (its persisted state comes from its store).
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// Sent as `KSN-Client`.
    pub id: String,
    /// The device's own settings; the policy is applied over them (EP-POL-1).
    pub settings: AgentSettings,
    pub policy: Policy,
    /// Most statistics records held while they cannot be sent (EP-STAT-1).
    pub queue_capacity: usize,
    /// Most records per upload.
    pub upload_batch: usize,
    /// How often queued statistics are sent when all is well.
    pub upload_interval: Duration,
    /// First and largest wait between failed uploads; doubled each time, with jitter from the RNG.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// How often the license is checked again in "authentication error" (EP-LIC-1).
    pub license_retry: Duration,
    /// Bound on one HTTP exchange.
    pub request_timeout: Duration,
    /// Bound on one DNS query.
    pub dns_timeout: Duration,
    /// Where "save statistics to file" writes (EP-MODE-2).
    pub statistics_dir: PathBuf,
    /// Verdicts kept locally.
    pub verdict_cache_capacity: usize,
}

impl AgentConfig {
    pub fn new(id: impl Into<String>, settings: AgentSettings, statistics_dir: impl Into<PathBuf>) -> Self {
        Self {
            id: id.into(),
            settings,
            policy: Policy::default(),
            queue_capacity: 10_000,
            upload_batch: 100,
            upload_interval: Duration::from_secs(60),
            backoff_base: Duration::from_secs(5),
            backoff_max: Duration::from_secs(300),
            license_retry: Duration::from_secs(300),
            request_timeout: Duration::from_secs(10),
            dns_timeout: Duration::from_secs(2),
            statistics_dir: statistics_dir.into(),
            verdict_cache_capacity: 10_000,
        }
    }
}
