//! The step library, one file per domain concept. A step states (Given: the topology), acts (When: an
//! action of a person or the application, a fault, time passing) or checks (Then: the trace, the servers'
//! logs, an endpoint's status) — in a few lines each, through `KsnWorld` and the harness.

mod broken_client;
mod checks;
mod dns;
mod faults;
mod license;
mod lookups;
mod modes;
mod statement;
mod statistics;
mod topology;
