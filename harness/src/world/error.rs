//! What can go wrong in running a world. These are ksnsim's own failures or the user's input, never a
//! verdict on the implementation under test (that is what invariants and checks are for).

use crate::topology::TopologyError;

#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    #[error(transparent)]
    Topology(#[from] TopologyError),
    #[error("no host named {name:?} in this world; hosts are: {known}")]
    UnknownHost { name: String, known: String },
    #[error("{host} is not an endpoint, so it cannot {action}")]
    NotAnEndpoint { host: String, action: String },
    #[error("{host} did not finish {action} within {limit_s} s of simulated time")]
    ActionTimedOut {
        host: String,
        action: String,
        limit_s: u64,
    },
    #[error("the simulation failed: {0}")]
    Simulation(String),
    #[error("could not build the world: {0}")]
    Setup(String),
}

impl HarnessError {
    /// Bad input (a name, a file) as opposed to ksnsim breaking.
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            Self::Topology(_) | Self::UnknownHost { .. } | Self::NotAnEndpoint { .. }
        )
    }
}
