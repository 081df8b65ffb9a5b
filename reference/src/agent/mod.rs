//! The endpoint agent: the security application's use of KSN (seeds 001-004, requirements EP-*).
//!
//! Pure decisions, each in its own file and tested without I/O:
//! - `settings`, `policy`: what is configured and what is in effect (EP-POL-1, EP-LIC-3).
//! - `consent`: the Statement state machine (EP-STMT-1..3).
//! - `task`: the KSN Usage task state machine (EP-LIC-1, EP-LIC-2).
//! - `queue`: the persisted statistics queue with idempotent uploads (EP-STAT-1).
//! - `status`: what the application shows (EP-STATUS-1, EP-RATE-1).
//! - `dns`: the resolver order, system then public (EP-DNS-1), and the UDP client.
//!
//! The shell that feeds them: `endpoint` (state and actions), `exchange` (gates, routes, answers),
//! `uploader` (lookups, statistics, background loop), `statistics_files` (EP-MODE-2), `store`.
//!
//! ```text
//! user/admin action ─▶ endpoint ─▶ consent | task | policy        (pure)
//! lookup / upload   ─▶ exchange::admit (pure) ─▶ routes (pure) ─▶ proxy | dns ─▶ KSN server ─▶ judge
//! ```

mod config;
mod consent;
mod dns;
mod endpoint;
mod error;
mod exchange;
mod policy;
mod queue;
mod settings;
mod statistics_files;
mod status;
mod store;
mod task;
mod uploader;

pub use config::AgentConfig;
pub use consent::{Consent, DataKinds};
pub use dns::{DnsAttempt, DnsClient, DnsFailure, Resolution, ResolveError, servers_in_order};
pub use endpoint::{AgentDeps, EndpointAgent};
pub use error::AgentError;
pub use policy::{Lock, Policy};
pub use queue::StatisticsQueue;
pub use settings::{AgentSettings, DnsSettings, KsnChoice, KsnServers, PUBLIC_DNS, Participation, ProxyUse};
pub use statistics_files::{StatisticsFiles, day_of};
pub use status::{AVAILABILITY_WINDOW, Status};
pub use store::{FileStore, MemoryStore, StateStore};
pub use task::TaskState;
