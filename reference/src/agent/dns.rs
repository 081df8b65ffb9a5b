//! The endpoint's DNS client for KSN server names (EP-DNS-1): the system DNS servers first; the public DNS
//! servers, in the product's order, only after the system DNS failed and only when that fallback is allowed.
//!
//! DNS wire format from hickory-proto, over UDP through the `Net` seam; message ids come from the injected
//! RNG. A poisoned or stale answer is not detected here: TLS verification of the KSN server catches it
//! (EP-DNS-2).

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use super::settings::DnsSettings;
use crate::net::SharedNet;
use crate::rng::SharedRng;

/// Why one DNS server gave no address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsFailure {
    /// Nothing came back in time.
    NoAnswer,
    ServFail,
    NxDomain,
    Refused,
    /// An answer without an A record.
    NoAddress,
    /// Could not send, or the answer was not DNS.
    Broken(String),
}

impl fmt::Display for DnsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoAnswer => f.write_str("no answer"),
            Self::ServFail => f.write_str("SERVFAIL"),
            Self::NxDomain => f.write_str("NXDOMAIN"),
            Self::Refused => f.write_str("REFUSED"),
            Self::NoAddress => f.write_str("no address in the answer"),
            Self::Broken(why) => write!(f, "{why}"),
        }
    }
}

/// One server asked, and what it said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsAttempt {
    pub server: SocketAddr,
    pub public: bool,
    pub outcome: Result<Vec<Ipv4Addr>, DnsFailure>,
}

/// A name resolved, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    pub addrs: Vec<IpAddr>,
    /// Every server asked, in order; the last one answered.
    pub attempts: Vec<DnsAttempt>,
}

impl Resolution {
    /// True when the address came from a public DNS server.
    pub fn via_public(&self) -> bool {
        self.attempts.last().is_some_and(|a| a.public)
    }
}

/// No server gave an address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("could not resolve {name}: {}{}", describe(.attempts), if *.public_allowed { "" } else { "; public DNS is not allowed" })]
pub struct ResolveError {
    pub name: String,
    pub attempts: Vec<DnsAttempt>,
    pub public_allowed: bool,
}

fn describe(attempts: &[DnsAttempt]) -> String {
    if attempts.is_empty() {
        return "no DNS server configured".into();
    }
    let parts: Vec<String> = attempts
        .iter()
        .map(|a| match &a.outcome {
            Ok(_) => format!("{} answered", a.server),
            Err(failure) => format!("{} {failure}", a.server),
        })
        .collect();
    parts.join(", ")
}

/// The servers to ask, in order, each with whether it is a public one. Pure: the fallback rule in one place.
pub fn servers_in_order(settings: &DnsSettings) -> Vec<(SocketAddr, bool)> {
    let system = settings.system.iter().map(|s| (*s, false));
    let public = settings
        .public
        .iter()
        .filter(|_| settings.allow_public)
        .map(|s| (*s, true));
    system.chain(public).collect()
}

/// Asks DNS servers for A records over UDP.
#[derive(Clone)]
pub struct DnsClient {
    net: SharedNet,
    rng: SharedRng,
    timeout: Duration,
}

impl DnsClient {
    pub fn new(net: SharedNet, rng: SharedRng, timeout: Duration) -> Self {
        Self { net, rng, timeout }
    }

    /// Resolves `name`, system DNS first, public DNS only after it failed and only when allowed.
    pub async fn resolve(&self, name: &str, settings: &DnsSettings) -> Result<Resolution, ResolveError> {
        if let Ok(ip) = name.parse::<IpAddr>() {
            return Ok(Resolution {
                addrs: vec![ip],
                attempts: Vec::new(),
            });
        }
        let mut attempts = Vec::new();
        for (server, public) in servers_in_order(settings) {
            let outcome = self.query_a(server, name).await;
            let addrs: Option<Vec<IpAddr>> = outcome
                .as_ref()
                .ok()
                .map(|a| a.iter().copied().map(IpAddr::V4).collect());
            attempts.push(DnsAttempt {
                server,
                public,
                outcome,
            });
            if let Some(addrs) = addrs {
                return Ok(Resolution { addrs, attempts });
            }
        }
        Err(ResolveError {
            name: name.to_owned(),
            attempts,
            public_allowed: settings.allow_public,
        })
    }

    /// One A query to one server, within the timeout.
    pub async fn query_a(&self, server: SocketAddr, name: &str) -> Result<Vec<Ipv4Addr>, DnsFailure> {
        let broken = |what: &str, err: &dyn fmt::Display| DnsFailure::Broken(format!("{what}: {err}"));
        let id = (self.rng.next_u64() & 0xffff) as u16;
        let name = Name::from_ascii(name).map_err(|e| broken("bad name", &e))?;
        let mut query = Message::new(id, MessageType::Query, OpCode::Query);
        query.metadata.recursion_desired = true;
        query.add_query(Query::query(name, RecordType::A));
        let bytes = query.to_vec().map_err(|e| broken("cannot encode query", &e))?;
        let bind: SocketAddr = if server.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" }
            .parse()
            .expect("literal address");
        let socket = self
            .net
            .bind_udp(bind)
            .await
            .map_err(|e| broken("cannot open UDP socket", &e))?;
        socket
            .send_to(&bytes, server)
            .await
            .map_err(|e| broken("cannot send", &e))?;
        let wait = async {
            let mut buf = [0u8; 1500];
            // Datagrams from elsewhere, or with another id, are not the answer: keep waiting (bounded below).
            loop {
                let (n, from) = socket
                    .recv_from(&mut buf)
                    .await
                    .map_err(|e| broken("cannot receive", &e))?;
                match Message::from_vec(&buf[..n]) {
                    Ok(answer) if from == server && answer.metadata.id == id => return Ok(answer),
                    _ => continue,
                }
            }
        };
        let answer = tokio::time::timeout(self.timeout, wait)
            .await
            .map_err(|_| DnsFailure::NoAnswer)??;
        match answer.metadata.response_code {
            ResponseCode::NoError => {}
            ResponseCode::ServFail => return Err(DnsFailure::ServFail),
            ResponseCode::NXDomain => return Err(DnsFailure::NxDomain),
            ResponseCode::Refused => return Err(DnsFailure::Refused),
            other => return Err(DnsFailure::Broken(format!("response code {other}"))),
        }
        let addrs: Vec<Ipv4Addr> = answer
            .answers
            .iter()
            .filter_map(|record| match &record.data {
                RData::A(a) => Some(a.0),
                _ => None,
            })
            .collect();
        if addrs.is_empty() {
            Err(DnsFailure::NoAddress)
        } else {
            Ok(addrs)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::RealNet;
    use hickory_proto::rr::Record;
    use hickory_proto::rr::rdata::A;

    /// A UDP socket on a loopback port of its own, through the seam as the client's.
    async fn loopback_socket() -> Box<dyn crate::net::Datagram> {
        RealNet::shared()
            .bind_udp("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap()
    }

    /// An answer to `query` with message id `id` and one A record.
    fn answer(query: &Message, id: u16, address: Ipv4Addr) -> Vec<u8> {
        let mut response = Message::response(id, query.metadata.op_code);
        response.add_queries(query.queries.clone());
        let name = query.queries[0].name().clone();
        response.add_answer(Record::from_rdata(name, 60, RData::A(A(address))));
        response.to_vec().unwrap()
    }

    /// A client on loopback with a seeded id stream and a bound on every wait.
    fn loopback_client(seed: u64) -> DnsClient {
        DnsClient::new(RealNet::shared(), SharedRng::seeded(seed), Duration::from_secs(5))
    }

    #[tokio::test]
    async fn a_datagram_from_another_address_or_with_another_id_is_not_the_answer() {
        let server = loopback_socket().await;
        let spoofer = loopback_socket().await;
        let server_addr = server.local_addr().unwrap();
        let client = loopback_client(7);
        // The right id from another port, then the server's own address with another id, then the answer.
        let respond = async {
            let mut buf = [0u8; 1500];
            let (n, peer) = server.recv_from(&mut buf).await.unwrap();
            let query = Message::from_vec(&buf[..n]).unwrap();
            let id = query.metadata.id;
            let spoofed = answer(&query, id, Ipv4Addr::new(10, 6, 6, 6));
            spoofer.send_to(&spoofed, peer).await.unwrap();
            let stale = answer(&query, id.wrapping_add(1), Ipv4Addr::new(10, 7, 7, 7));
            server.send_to(&stale, peer).await.unwrap();
            let right = answer(&query, id, Ipv4Addr::new(10, 0, 0, 1));
            server.send_to(&right, peer).await.unwrap();
        };
        let both = async { tokio::join!(client.query_a(server_addr, "ksn.test"), respond).0 };
        let addrs = tokio::time::timeout(Duration::from_secs(10), both).await.unwrap();
        assert_eq!(addrs, Ok(vec![Ipv4Addr::new(10, 0, 0, 1)]));
    }

    #[tokio::test]
    async fn query_ids_differ_from_query_to_query() {
        let server = loopback_socket().await;
        let server_addr = server.local_addr().unwrap();
        let client = loopback_client(11);
        let mut ids = Vec::new();
        for _ in 0..8 {
            let respond = async {
                let mut buf = [0u8; 1500];
                let (n, peer) = server.recv_from(&mut buf).await.unwrap();
                let query = Message::from_vec(&buf[..n]).unwrap();
                let right = answer(&query, query.metadata.id, Ipv4Addr::new(10, 0, 0, 1));
                server.send_to(&right, peer).await.unwrap();
                query.metadata.id
            };
            let both = async { tokio::join!(client.query_a(server_addr, "ksn.test"), respond) };
            let (addrs, id) = tokio::time::timeout(Duration::from_secs(10), both).await.unwrap();
            assert_eq!(addrs, Ok(vec![Ipv4Addr::new(10, 0, 0, 1)]));
            ids.push(id);
        }
        ids.sort_unstable();
        ids.dedup();
        assert!(ids.len() >= 7, "8 queries drew only the ids {ids:?}");
    }

    #[test]
    fn an_address_is_via_public_dns_only_when_the_server_that_answered_is_public() {
        let attempt = |public, outcome| DnsAttempt {
            server: "10.0.0.53:53".parse().unwrap(),
            public,
            outcome,
        };
        let resolution = |attempts| Resolution {
            addrs: vec![IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))],
            attempts,
        };
        let answered = || Ok(vec![Ipv4Addr::new(10, 0, 0, 1)]);
        let system = resolution(vec![attempt(false, answered())]);
        assert!(!system.via_public());
        let fallback = resolution(vec![
            attempt(false, Err(DnsFailure::ServFail)),
            attempt(true, answered()),
        ]);
        assert!(fallback.via_public());
        assert!(
            !resolution(Vec::new()).via_public(),
            "an IP literal asks no server"
        );
    }

    #[test]
    fn ep_dns_1_public_servers_come_after_system_and_only_when_allowed() {
        let mut settings = DnsSettings::with_system(vec!["10.0.0.53:53".parse().unwrap()]);
        let order = servers_in_order(&settings);
        assert_eq!(order.len(), 6);
        assert_eq!(order[0], ("10.0.0.53:53".parse().unwrap(), false));
        assert_eq!(order[1], ("8.8.8.8:53".parse().unwrap(), true));
        assert_eq!(order[5], ("185.228.168.168:53".parse().unwrap(), true));
        settings.allow_public = false;
        assert_eq!(
            servers_in_order(&settings),
            vec![("10.0.0.53:53".parse().unwrap(), false)]
        );
    }

    #[test]
    fn resolve_error_says_what_each_server_said() {
        let err = ResolveError {
            name: "ksn.test".into(),
            attempts: vec![DnsAttempt {
                server: "10.0.0.53:53".parse().unwrap(),
                public: false,
                outcome: Err(DnsFailure::ServFail),
            }],
            public_allowed: false,
        };
        assert_eq!(
            err.to_string(),
            "could not resolve ksn.test: 10.0.0.53:53 SERVFAIL; public DNS is not allowed"
        );
    }
}
