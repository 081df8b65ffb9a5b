//! The ksnsim harness: the simulated world that runs the reference implementation unchanged, and the
//! real-socket conformance driver for third-party proxies.
//!
//! - [`sim`]: `Net` on turmoil and the simulated wall clock: the only place that names turmoil's network.
//! - [`topology`]: what a world is made of (TOML).
//! - [`invariants`]: checkers over a trace, each named by its requirement id.
//! - [`world`]: a topology running on turmoil, driven by actions and faults; [`simulation`]: `ksnsim sim`.
//! - [`trace`]: structured events recorded by every host, stamped with simulated time.
//! - [`conformance`]: `ksnsim conformance`, third-party proxies checked over real loopback sockets.
//!
//! ```text
//! topology ─▶ world (turmoil Sim on its own thread) ─▶ hosts: reference agent/proxy, mocks, DNS
//!                 │ actions and faults in                       │ observations and server logs out
//!                 ▼                                             ▼
//!           invariant checkers ◀──────────── trace (SimEvent) ──▶ reports::TraceEvent ─▶ digest, writers
//! ```

pub mod bench;
pub mod catalogue;
pub mod conformance;
pub mod duration;
pub mod invariants;
pub mod sim;
pub mod simulation;
pub mod spec;
pub mod topology;
pub mod trace;
pub mod world;
