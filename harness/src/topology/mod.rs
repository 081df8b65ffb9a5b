//! Topologies: the model a person writes in TOML, and its checks.

mod model;

pub use model::{EndpointSpec, KsnKind, Mode, ProxySpec, RESERVED, Servers, Topology, TopologyError};
