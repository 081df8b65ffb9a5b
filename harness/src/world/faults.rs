//! Faults a scenario applies to a running world, between steps: the network (partition, hold, latency,
//! loss), hosts (crash, restart), DNS servers, KSN servers, licenses, Statements, and the wall clock.

use ksnsim_mocks::{DnsMode, Fault as MockFault};
use std::time::Duration;

use crate::topology::KsnKind;

/// Which DNS servers a DNS fault applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsTarget {
    /// The system DNS server every endpoint is configured with.
    System,
    /// Every public DNS server.
    AllPublic,
}

#[derive(Debug, Clone)]
pub enum Fault {
    /// Cut the link between two hosts (both ways, or only `a` to `b`).
    Partition {
        a: String,
        b: String,
        oneway: bool,
    },
    Repair {
        a: String,
        b: String,
        oneway: bool,
    },
    /// Hold messages between two hosts until released.
    Hold {
        a: String,
        b: String,
    },
    Release {
        a: String,
        b: String,
    },
    Latency {
        a: String,
        b: String,
        latency: Duration,
    },
    Loss {
        a: String,
        b: String,
        rate: f64,
    },
    Crash(String),
    Restart(String),
    /// Switch DNS servers' behaviour; `WrongAddress` with 0.0.0.0 points at the rogue server.
    Dns {
        target: DnsTarget,
        mode: DnsMode,
    },
    /// Switch a KSN server's fault on (`Some`) or off.
    Ksn {
        kind: KsnKind,
        fault: Option<MockFault>,
    },
    /// The provider registers (or removes) a license key at the Private KSN.
    License {
        key: String,
        registered: bool,
    },
    /// A new Statement version is published; older ones stay honoured unless `retire_older`.
    PublishStatement {
        version: u32,
        retire_older: bool,
    },
    /// Wall time jumps forward (monotonic time does not).
    ClockJump(Duration),
}
