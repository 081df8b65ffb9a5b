//! A mock DNS server for the system and public DNS of a simulated network (EP-DNS-1, EP-DNS-2): a zone of
//! names and IPv4 addresses, and switchable misbehaviour (silence, SERVFAIL, NXDOMAIN, a wrong address).
//!
//! Real DNS wire format (hickory-proto) over a [`Datagram`] from the `Net` seam, so it runs on loopback
//! and inside turmoil alike. Answers echo the query's id: nothing here draws random numbers.

use hickory_proto::op::{Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::rdata::A;
use hickory_proto::rr::{Name, RData, Record, RecordType};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};

use ksnsim_reference::http::Shutdown;
use ksnsim_reference::net::{Datagram, SharedNet};

use crate::running::Running;

/// How the server answers queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case", deny_unknown_fields)]
pub enum DnsMode {
    /// Names in the zone get their address; other names NXDOMAIN.
    Answer,
    /// No answer at all (a DNS server that is down or filtered).
    Silent,
    ServFail,
    /// NXDOMAIN for every name.
    NxDomain,
    /// Every A query gets `address` (a poisoned or stale answer, EP-DNS-2).
    WrongAddress {
        address: Ipv4Addr,
    },
}

/// One query received and what the server did with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsQueryLog {
    pub seq: u64,
    pub peer: SocketAddr,
    /// The query's message id (echoed in the answer).
    pub id: u16,
    /// The name asked for, lowercase, without the final dot.
    pub name: String,
    pub record_type: String,
    pub mode: DnsMode,
    /// `answered 10.0.0.1`, `NXDOMAIN`, `SERVFAIL`, `no data`, `silent`.
    pub outcome: String,
}

#[derive(Debug)]
struct DnsState {
    zone: BTreeMap<String, Ipv4Addr>,
    mode: DnsMode,
    ttl: u32,
    log: Vec<DnsQueryLog>,
    next_seq: u64,
}

/// A mock DNS server: a cloneable handle on its zone, mode and log.
#[derive(Debug, Clone)]
pub struct MockDns {
    state: Arc<Mutex<DnsState>>,
}

impl Default for MockDns {
    fn default() -> Self {
        Self::new()
    }
}

/// A name as the zone keys it.
fn zone_key(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

impl MockDns {
    /// An empty zone, answering mode, records with a 60 s ttl.
    pub fn new() -> Self {
        Self {
            state: Arc::new(Mutex::new(DnsState {
                zone: BTreeMap::new(),
                mode: DnsMode::Answer,
                ttl: 60,
                log: Vec::new(),
                next_seq: 1,
            })),
        }
    }

    fn state(&self) -> MutexGuard<'_, DnsState> {
        self.state
            .lock()
            .expect("dns state lock is never poisoned: no code panics while holding it")
    }

    /// Puts `name -> address` into the zone (replacing an older address).
    pub fn set_address(&self, name: &str, address: Ipv4Addr) {
        self.state().zone.insert(zone_key(name), address);
    }

    /// Removes `name` from the zone; false if it was not there.
    pub fn remove(&self, name: &str) -> bool {
        self.state().zone.remove(&zone_key(name)).is_some()
    }

    pub fn set_mode(&self, mode: DnsMode) {
        self.state().mode = mode;
    }

    pub fn mode(&self) -> DnsMode {
        self.state().mode
    }

    /// The ttl of the A records answered.
    pub fn set_ttl(&self, seconds: u32) {
        self.state().ttl = seconds;
    }

    pub fn log(&self) -> Vec<DnsQueryLog> {
        self.state().log.clone()
    }

    /// Empties the log; returns how many entries it had.
    pub fn clear_log(&self) -> usize {
        std::mem::take(&mut self.state().log).len()
    }

    /// The answer to one datagram from `peer`, or `None` to stay silent (silent mode, or not a DNS query).
    pub fn respond(&self, datagram: &[u8], peer: SocketAddr) -> Option<Vec<u8>> {
        let query = Message::from_vec(datagram).ok()?;
        if query.metadata.message_type != MessageType::Query {
            return None;
        }
        let mut state = self.state();
        let (mode, ttl) = (state.mode, state.ttl);
        let mut response = Message::response(query.metadata.id, query.metadata.op_code);
        response.metadata.recursion_desired = query.metadata.recursion_desired;
        response.metadata.recursion_available = true;
        response.add_queries(query.queries.clone());
        let (name, record_type) = match query.queries.first() {
            Some(q) if query.metadata.op_code == OpCode::Query => (q.name().clone(), q.query_type()),
            _ => {
                response.metadata.response_code = ResponseCode::FormErr;
                return response.to_vec().ok();
            }
        };
        let key = zone_key(&name.to_ascii());
        let (code, address) = match mode {
            DnsMode::Silent => (None, None),
            DnsMode::ServFail => (Some(ResponseCode::ServFail), None),
            DnsMode::NxDomain => (Some(ResponseCode::NXDomain), None),
            DnsMode::WrongAddress { address } => (Some(ResponseCode::NoError), Some(address)),
            DnsMode::Answer => match state.zone.get(&key) {
                Some(address) => (Some(ResponseCode::NoError), Some(*address)),
                None => (Some(ResponseCode::NXDomain), None),
            },
        };
        let address = address.filter(|_| record_type == RecordType::A);
        let outcome = match (code, address) {
            (None, _) => "silent".to_owned(),
            (Some(_), Some(address)) => format!("answered {address}"),
            (Some(ResponseCode::NoError), None) => "no data".to_owned(),
            (Some(ResponseCode::ServFail), None) => "SERVFAIL".to_owned(),
            (Some(ResponseCode::NXDomain), None) => "NXDOMAIN".to_owned(),
            (Some(code), None) => format!("{code:?}"),
        };
        let seq = state.next_seq;
        state.next_seq += 1;
        state.log.push(DnsQueryLog {
            seq,
            peer,
            id: query.metadata.id,
            name: key,
            record_type: record_type.to_string(),
            mode,
            outcome,
        });
        drop(state);
        response.metadata.response_code = code?;
        if let Some(address) = address {
            response.metadata.authoritative = true;
            response.add_answer(Record::from_rdata(name, ttl, RData::A(A(address))));
        }
        response.to_vec().ok()
    }

    /// Answers queries on `socket` until `shutdown` fires.
    pub async fn serve(&self, socket: Box<dyn Datagram>, mut shutdown: Shutdown) -> io::Result<()> {
        let mut buf = vec![0u8; 4096];
        loop {
            let (len, peer) = tokio::select! {
                biased;
                () = shutdown.wait() => return Ok(()),
                received = socket.recv_from(&mut buf) => match received {
                    Ok(received) => received,
                    // A broken datagram (e.g. an ICMP error surfaced on recv) concerns one peer only.
                    Err(err) => {
                        tracing::debug!("dns recv failed: {err}");
                        continue;
                    }
                },
            };
            if let Some(answer) = self.respond(&buf[..len], peer)
                && let Err(err) = socket.send_to(&answer, peer).await
            {
                tracing::debug!("dns answer to {peer} failed: {err}");
            }
        }
    }

    /// Binds `addr` (UDP) through `net` and serves in a task of its own until the handle is stopped or dropped.
    pub async fn start(&self, net: &SharedNet, addr: SocketAddr) -> io::Result<Running> {
        let socket = net.bind_udp(addr).await?;
        let bound = socket.local_addr()?;
        let dns = self.clone();
        Ok(Running::spawn(bound, move |shutdown| async move {
            dns.serve(socket, shutdown).await
        }))
    }
}

/// A query for `name` (A record, recursion desired) with the given id, as a resolver would send it.
pub fn a_query(id: u16, name: &str) -> Result<Vec<u8>, hickory_proto::ProtoError> {
    let mut message = Message::new(id, MessageType::Query, OpCode::Query);
    message.metadata.recursion_desired = true;
    message.add_query(hickory_proto::op::Query::query(
        Name::from_ascii(name)?,
        RecordType::A,
    ));
    message.to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ksnsim_reference::net::RealNet;
    use std::time::Duration;

    const KSN: &str = "ksn.global.test";

    async fn ask(client: &dyn Datagram, server: SocketAddr, id: u16, name: &str) -> Option<Message> {
        client.send_to(&a_query(id, name).unwrap(), server).await.unwrap();
        let mut buf = vec![0u8; 4096];
        let received = tokio::time::timeout(Duration::from_millis(300), client.recv_from(&mut buf)).await;
        let (len, _) = received.ok()?.unwrap();
        Some(Message::from_vec(&buf[..len]).unwrap())
    }

    fn address(answer: &Message) -> Option<Ipv4Addr> {
        answer.answers.iter().find_map(|record| match record.data {
            RData::A(A(address)) => Some(address),
            _ => None,
        })
    }

    #[tokio::test]
    async fn every_mode_answers_as_documented_over_loopback_udp() {
        let net = RealNet::shared();
        let dns = MockDns::new();
        dns.set_address(KSN, Ipv4Addr::new(10, 0, 0, 1));
        let server = dns.start(&net, "127.0.0.1:0".parse().unwrap()).await.unwrap();
        let client = net.bind_udp("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let to = server.addr();

        let answer = ask(client.as_ref(), to, 4242, "KSN.Global.Test.").await.unwrap();
        assert_eq!(answer.metadata.id, 4242, "the query id is echoed");
        assert_eq!(answer.metadata.response_code, ResponseCode::NoError);
        assert_eq!(address(&answer), Some(Ipv4Addr::new(10, 0, 0, 1)));

        let unknown = ask(client.as_ref(), to, 2, "other.test").await.unwrap();
        assert_eq!(unknown.metadata.response_code, ResponseCode::NXDomain);

        dns.set_mode(DnsMode::ServFail);
        let failed = ask(client.as_ref(), to, 3, KSN).await.unwrap();
        assert_eq!(failed.metadata.response_code, ResponseCode::ServFail);

        dns.set_mode(DnsMode::NxDomain);
        let missing = ask(client.as_ref(), to, 4, KSN).await.unwrap();
        assert_eq!(missing.metadata.response_code, ResponseCode::NXDomain);

        let poisoned = Ipv4Addr::new(203, 0, 113, 9);
        dns.set_mode(DnsMode::WrongAddress { address: poisoned });
        let wrong = ask(client.as_ref(), to, 5, KSN).await.unwrap();
        assert_eq!(address(&wrong), Some(poisoned));

        dns.set_mode(DnsMode::Silent);
        assert!(
            ask(client.as_ref(), to, 6, KSN).await.is_none(),
            "silent mode answers nothing"
        );

        let outcomes: Vec<(u16, String)> = dns.log().into_iter().map(|q| (q.id, q.outcome)).collect();
        assert_eq!(
            outcomes,
            vec![
                (4242, "answered 10.0.0.1".to_owned()),
                (2, "NXDOMAIN".to_owned()),
                (3, "SERVFAIL".to_owned()),
                (4, "NXDOMAIN".to_owned()),
                (5, "answered 203.0.113.9".to_owned()),
                (6, "silent".to_owned()),
            ]
        );
        let names: Vec<String> = dns.log().into_iter().map(|q| q.name).collect();
        assert_eq!(names[..2], [KSN.to_owned(), "other.test".to_owned()]);
        assert!(dns.log().iter().all(|q| q.peer == client.local_addr().unwrap()));
        server.stop().await.unwrap();
    }

    #[test]
    fn non_queries_and_garbage_get_no_answer() {
        let dns = MockDns::new();
        let peer: SocketAddr = "127.0.0.1:5353".parse().unwrap();
        assert!(dns.respond(b"not dns", peer).is_none());
        let answer = Message::response(1, OpCode::Query).to_vec().unwrap();
        assert!(dns.respond(&answer, peer).is_none());
        assert!(dns.log().is_empty());
    }

    #[test]
    fn aaaa_query_for_a_known_name_gets_no_data() {
        let dns = MockDns::new();
        dns.set_address(KSN, Ipv4Addr::LOCALHOST);
        let mut message = Message::new(9, MessageType::Query, OpCode::Query);
        message.add_query(hickory_proto::op::Query::query(
            Name::from_ascii(KSN).unwrap(),
            RecordType::AAAA,
        ));
        let answer = dns
            .respond(&message.to_vec().unwrap(), "127.0.0.1:1".parse().unwrap())
            .unwrap();
        let answer = Message::from_vec(&answer).unwrap();
        assert_eq!(answer.metadata.response_code, ResponseCode::NoError);
        assert!(answer.answers.is_empty());
        assert_eq!(dns.log()[0].outcome, "no data");
    }
}
