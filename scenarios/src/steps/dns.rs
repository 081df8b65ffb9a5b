//! DNS: the system DNS failing in its ways, public DNS servers, poisoned answers (EP-DNS-1, EP-DNS-2).

use cucumber::{then, when};
use ksnsim_harness::simulation::dns_mode_named;
use ksnsim_harness::trace::SimEventKind;
use ksnsim_harness::world::hostnames::{IMPOSTOR, ROGUE};
use ksnsim_harness::world::{DnsTarget, Fault};
use ksnsim_mocks::DnsMode;
use std::net::IpAddr;

use crate::world::KsnWorld;

#[when(
    regex = r"^the (system|public) DNS (stops answering|answers SERVFAIL|answers NXDOMAIN|points the KSN names elsewhere|recovers)$"
)]
async fn dns_fault(world: &mut KsnWorld, which: String, what: String) -> Result<(), String> {
    let mode = match what.as_str() {
        "stops answering" => "silent",
        "answers SERVFAIL" => "servfail",
        "answers NXDOMAIN" => "nxdomain",
        "points the KSN names elsewhere" => "wrong_address",
        _ => "answer",
    };
    let mode = dns_mode_named(mode).ok_or("unknown DNS mode")?;
    let target = if which == "system" {
        DnsTarget::System
    } else {
        DnsTarget::AllPublic
    };
    world.fault(Fault::Dns { target, mode }).await
}

/// The public DNS servers `host` asked, in order, from the trace.
async fn public_dns_asked(world: &mut KsnWorld, host: &str) -> Result<Vec<String>, String> {
    let host = host.to_owned();
    world
        .with_world(move |w| {
            let asked = w.events().into_iter().filter_map(|event| match event.what {
                SimEventKind::Dns {
                    host: h,
                    server,
                    public: true,
                    ..
                } if h == host => Some(server.split(':').next().unwrap_or_default().to_owned()),
                _ => None,
            });
            Ok(asked.collect())
        })
        .await
}

#[then(regex = r#"^"([^"]+)" asked the public DNS servers (.+) in that order$"#)]
async fn asked_in_order(world: &mut KsnWorld, host: String, servers: String) -> Result<(), String> {
    let expected: Vec<String> = servers.split(',').map(|s| s.trim().to_owned()).collect();
    let asked = public_dns_asked(world, &host).await?;
    if asked.len() >= expected.len() && asked[..expected.len()] == expected[..] {
        Ok(())
    } else {
        Err(format!(
            "{host} asked public DNS {asked:?}, expected to start with {expected:?}"
        ))
    }
}

#[then(regex = r#"^"([^"]+)" never asked a public DNS server$"#)]
async fn never_public(world: &mut KsnWorld, host: String) -> Result<(), String> {
    let asked = public_dns_asked(world, &host).await?;
    if asked.is_empty() {
        Ok(())
    } else {
        Err(format!("{host} asked public DNS {asked:?}"))
    }
}

/// The system DNS answers the KSN names with the impostor's address: a server whose certificate is from the
/// trusted CA, but for another name.
#[when(regex = r"^the system DNS points the KSN names at the impostor$")]
async fn dns_impostor(world: &mut KsnWorld) -> Result<(), String> {
    let Some(IpAddr::V4(address)) = world.with_world(|w| Ok(w.ip_of(IMPOSTOR))).await? else {
        return Err("the world has no IPv4 impostor host".into());
    };
    let mode = DnsMode::WrongAddress { address };
    world
        .fault(Fault::Dns {
            target: DnsTarget::System,
            mode,
        })
        .await
}

#[then(regex = r#"^the (rogue server|impostor) received no request$"#)]
async fn impersonator_nothing(world: &mut KsnWorld, which: String) -> Result<(), String> {
    let host = if which == "impostor" { IMPOSTOR } else { ROGUE };
    let received = world
        .with_world(move |w| {
            Ok(w.events()
                .iter()
                .filter(|e| matches!(&e.what, SimEventKind::ServerRequest { server, .. } if server == host))
                .count())
        })
        .await?;
    if received == 0 {
        Ok(())
    } else {
        Err(format!(
            "the {which} received {received} requests: data left the device"
        ))
    }
}
