//! Given steps that describe the world: KSN servers, proxies and how they chain, endpoints and settings.

use cucumber::given;

use crate::params;
use crate::world::KsnWorld;

#[given(regex = r"^a Global KSN$")]
fn global_ksn(world: &mut KsnWorld) -> Result<(), String> {
    world.topology_mut()?.servers.global = true;
    Ok(())
}

#[given(regex = r"^a Private KSN(?: with registered licenses? (.+))?$")]
fn private_ksn(world: &mut KsnWorld, licenses: String) -> Result<(), String> {
    let servers = &mut world.topology_mut()?.servers;
    servers.private = true;
    servers.licenses.extend(params::quoted_list(&licenses));
    Ok(())
}

#[given(regex = r"^the KSN servers give verdicts a ttl of (\d+) seconds$")]
fn ttl(world: &mut KsnWorld, seconds: u64) -> Result<(), String> {
    world.topology_mut()?.servers.ttl_seconds = seconds;
    Ok(())
}

#[given(regex = r"^the current KSN Statement is version (\d+)$")]
fn statement_version(world: &mut KsnWorld, version: u32) -> Result<(), String> {
    world.topology_mut()?.servers.statement = version;
    Ok(())
}

#[given(regex = r#"^an Administration Server proxy "([^"]+)" for the (Global|Private) KSN$"#)]
fn admin_server_proxy(world: &mut KsnWorld, name: String, ksn: String) -> Result<(), String> {
    world.add_proxy(&name, Some(params::ksn(&ksn)?), None)
}

#[given(regex = r#"^a distribution point "([^"]+)" with a KSN proxy for the (Global|Private) KSN$"#)]
fn distribution_point(world: &mut KsnWorld, name: String, ksn: String) -> Result<(), String> {
    world.add_proxy(&name, Some(params::ksn(&ksn)?), None)
}

#[given(regex = r#"^a distribution point "([^"]+)" with a KSN proxy chained to "([^"]+)"$"#)]
fn chained_distribution_point(world: &mut KsnWorld, name: String, upstream: String) -> Result<(), String> {
    world.add_proxy(&name, None, Some(&upstream))
}

#[given(regex = r#"^the KSN proxy "([^"]+)" waits at most (\d+) seconds for its upstream$"#)]
fn proxy_timeout(world: &mut KsnWorld, name: String, seconds: u64) -> Result<(), String> {
    world.proxy_mut(&name)?.upstream_timeout_ms = Some(seconds * 1000);
    Ok(())
}

#[given(regex = r#"^the KSN proxy "([^"]+)" keeps at most (\d+) verdicts$"#)]
fn proxy_capacity(world: &mut KsnWorld, name: String, entries: usize) -> Result<(), String> {
    world.proxy_mut(&name)?.cache_capacity = Some(entries);
    Ok(())
}

#[given(
    regex = r#"^an endpoint "([^"]+)" in (extended|basic|save-to-file|off) mode(?: behind "([^"]+)")?(?: using Private KSN with license "([^"]+)")?$"#
)]
fn endpoint(
    world: &mut KsnWorld,
    name: String,
    mode: String,
    behind: String,
    license: String,
) -> Result<(), String> {
    world.add_endpoint(&name, params::mode(&mode)?)?;
    let spec = world.endpoint_mut(&name)?;
    spec.behind = (!behind.is_empty()).then_some(behind);
    if !license.is_empty() {
        spec.ksn = ksnsim_harness::topology::KsnKind::Private;
        spec.license = Some(license);
    }
    Ok(())
}

#[given(regex = r#"^"([^"]+)" has accepted KSN Statement version (\d+)$"#)]
fn accepted(world: &mut KsnWorld, name: String, version: u32) -> Result<(), String> {
    world.endpoint_mut(&name)?.accepted_statement = Some(version);
    Ok(())
}

#[given(regex = r#"^"([^"]+)" has not accepted the KSN Statement$"#)]
fn not_accepted(world: &mut KsnWorld, name: String) -> Result<(), String> {
    world.endpoint_mut(&name)?.accepted_statement = None;
    Ok(())
}

#[given(regex = r#"^"([^"]+)" may use KSN servers when the proxy is unavailable$"#)]
fn direct_allowed(world: &mut KsnWorld, name: String) -> Result<(), String> {
    world.endpoint_mut(&name)?.direct_when_proxy_unavailable = true;
    Ok(())
}

#[given(regex = r#"^"([^"]+)" may not use public DNS servers$"#)]
fn no_public_dns(world: &mut KsnWorld, name: String) -> Result<(), String> {
    world.endpoint_mut(&name)?.allow_public_dns = false;
    Ok(())
}

#[given(regex = r#"^the KSN Usage task of "([^"]+)" is not started$"#)]
fn task_not_started(world: &mut KsnWorld, name: String) -> Result<(), String> {
    world.endpoint_mut(&name)?.task_running = false;
    Ok(())
}

/// The rogue server: the right name, from a CA nobody trusts. The impostor: the trusted CA, another name.
#[given(regex = r#"^the name of the Global KSN resolves to the (rogue server|impostor) for "([^"]+)"$"#)]
fn poisoned_proxy(world: &mut KsnWorld, server: String, name: String) -> Result<(), String> {
    let proxy = world.proxy_mut(&name)?;
    if server == "impostor" {
        proxy.impostor_upstream = true;
    } else {
        proxy.poisoned_upstream = true;
    }
    Ok(())
}

#[given(regex = r#"^the KSN proxy "([^"]+)" serves stale verdicts for (\d+) seconds$"#)]
fn stale_grace(world: &mut KsnWorld, name: String, seconds: u64) -> Result<(), String> {
    world.proxy_mut(&name)?.stale_grace_seconds = Some(seconds);
    Ok(())
}

#[given(regex = r#"^the statistics queue of "([^"]+)" holds at most (\d+) records$"#)]
fn queue_capacity(world: &mut KsnWorld, name: String, capacity: usize) -> Result<(), String> {
    world.endpoint_mut(&name)?.queue_capacity = Some(capacity);
    Ok(())
}

/// A proxy that breaks one requirement on purpose (the conformance self-test's misbehaviours, e.g.
/// `shared-cache`): for tests that show a scenario, an invariant or `ksnsim explore` catches it. Only test
/// builds have them; elsewhere the world refuses to start and says so.
#[given(regex = r#"^the KSN proxy "([^"]+)" misbehaves on purpose: "([a-z-]+)"$"#)]
fn misbehaves(world: &mut KsnWorld, name: String, kind: String) -> Result<(), String> {
    world.proxy_mut(&name)?.self_test_misbehaviour = Some(kind);
    Ok(())
}
