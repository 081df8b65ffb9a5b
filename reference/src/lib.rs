//! The reference implementation of ksnsim: the wire contract as types, the seams that let one implementation
//! run on real sockets and inside the simulation, the KSN proxy and the endpoint agent.
//!
//! - [`protocol`]: requests, answers and errors of the v1 contract, strictly parsed.
//! - [`net`], [`clock`], [`rng`]: the seams. Nothing here reaches for sockets, the wall clock or randomness
//!   except through them, and nothing here knows whether it runs simulated.
//! - [`tls`], [`http`]: TLS 1.3 configurations and HTTP/1.1 over `Net`.
//! - [`verdict_cache`]: the pure, ttl-aware LRU cache of verdicts that the proxy and the agent share.
//! - [`proxy`]: the KSN proxy (coalescing, relay, error mapping), also the `ksn-proxy` binary.
//! - [`agent`]: the endpoint's KSN usage (Statement, modes, license, DNS fallback, proxy use, statistics).
//! - [`process`]: runtime, exit codes and signals of the real binaries (never used by library code).
//! - [`observe`]: the hook through which a caller (the harness) sees what an agent sends and decides.
//!
//! ```text
//! endpoint ──HTTP──▶ proxy::service ──▶ verdict_cache (pure)     ──hit──▶ answer
//!                                   └─▶ proxy::upstream ─▶ http::HttpClient ─▶ Net ─▶ tokio | turmoil
//! ```

pub mod agent;
pub mod clock;
pub mod http;
pub mod net;
pub mod observe;
pub mod process;
pub mod protocol;
pub mod proxy;
pub mod rng;
pub mod tls;
pub mod verdict_cache;
