//! Participation modes, the KSN Usage task, policy locks and the proxy setting (EP-MODE-*, EP-POL-1,
//! EP-PROXY-1, EP-LIC-2).

use cucumber::when;
use ksnsim_harness::world::EndpointAction;
use ksnsim_reference::agent::{Lock, Policy};

use super::statement::expect_ok;
use crate::params;
use crate::world::KsnWorld;

#[when(regex = r#"^"([^"]+)" switches to (extended|basic|save-to-file|off) mode$"#)]
async fn switches(world: &mut KsnWorld, host: String, mode: String) -> Result<(), String> {
    expect_ok(
        world
            .act(
                &host,
                EndpointAction::SetParticipation(params::participation(&mode)?),
            )
            .await?,
    )
}

#[when(regex = r#"^a policy enforces (extended|basic|save-to-file|off) mode on "([^"]+)"$"#)]
async fn policy_enforces(world: &mut KsnWorld, mode: String, host: String) -> Result<(), String> {
    let policy = Policy {
        participation: Lock::Enforce(params::participation(&mode)?),
        ..Policy::default()
    };
    expect_ok(world.act(&host, EndpointAction::SetPolicy(policy)).await?)
}

#[when(regex = r#"^a policy leaves the mode of "([^"]+)" undefined$"#)]
async fn policy_undefined(world: &mut KsnWorld, host: String) -> Result<(), String> {
    expect_ok(
        world
            .act(&host, EndpointAction::SetPolicy(Policy::default()))
            .await?,
    )
}

#[when(regex = r#"^a policy (forbids|allows) public DNS on "([^"]+)"$"#)]
async fn policy_public_dns(world: &mut KsnWorld, verb: String, host: String) -> Result<(), String> {
    let policy = Policy {
        allow_public_dns: Lock::Enforce(verb == "allows"),
        ..Policy::default()
    };
    expect_ok(world.act(&host, EndpointAction::SetPolicy(policy)).await?)
}

#[when(regex = r#"^a policy (enforces|forbids) use of the KSN proxy on "([^"]+)"$"#)]
async fn policy_use_proxy(world: &mut KsnWorld, verb: String, host: String) -> Result<(), String> {
    let policy = Policy {
        use_proxy: Lock::Enforce(verb == "enforces"),
        ..Policy::default()
    };
    expect_ok(world.act(&host, EndpointAction::SetPolicy(policy)).await?)
}

#[when(regex = r#"^a policy (allows|forbids) "([^"]+)" to use KSN servers when the proxy is unavailable$"#)]
async fn policy_direct(world: &mut KsnWorld, verb: String, host: String) -> Result<(), String> {
    let policy = Policy {
        direct_when_proxy_unavailable: Lock::Enforce(verb == "allows"),
        ..Policy::default()
    };
    expect_ok(world.act(&host, EndpointAction::SetPolicy(policy)).await?)
}

#[when(regex = r#"^the KSN Usage task of "([^"]+)" is (started|stopped)$"#)]
async fn task(world: &mut KsnWorld, host: String, verb: String) -> Result<(), String> {
    let action = if verb == "started" {
        EndpointAction::StartTask
    } else {
        EndpointAction::StopTask
    };
    world.act(&host, action).await.map(|_| ())
}

#[when(regex = r#"^"([^"]+)" (stops|starts) using the KSN proxy$"#)]
async fn use_proxy(world: &mut KsnWorld, host: String, verb: String) -> Result<(), String> {
    expect_ok(
        world
            .act(&host, EndpointAction::UseProxy(verb == "starts"))
            .await?,
    )
}
