//! The judges, one file per concern. Each names the clauses it decides (`Judge::clauses`).

mod endpoint_liveness;
mod endpoint_status;
mod endpoint_traffic;
mod name_resolution;
mod proxy_cache;
mod proxy_relay;
mod servers;

use super::Judge;

/// Every judge, in a fixed order.
pub fn all() -> Vec<Box<dyn Judge>> {
    vec![
        Box::new(endpoint_traffic::EndpointTraffic),
        Box::new(endpoint_liveness::EndpointLiveness),
        Box::new(endpoint_status::EndpointStatus),
        Box::new(name_resolution::NameResolution),
        Box::new(proxy_relay::ProxyRelay),
        Box::new(proxy_cache::ProxyCache),
        Box::new(servers::Servers),
    ]
}
