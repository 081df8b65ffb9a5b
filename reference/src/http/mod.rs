//! HTTP/1.1 over the [`Net`](crate::net::Net) seam: a server loop and a one-request client, both optionally
//! TLS. hyper does the protocol; this module only wires it to `Net`, rustls and the answer shapes of the
//! contract.

mod accept_backoff;
mod answer;
mod body_budget;
mod client;
mod error_bodies;
mod pool;
mod server;
mod write_stall;

pub use answer::{Answer, error_answer, json_answer};
pub use client::{ClientError, HttpClient, OutgoingRequest, ServerUrl, UrlError};
pub use pool::PoolBounds;
pub use server::{Handler, IncomingRequest, ServerOptions, Shutdown, serve};
