//! Licenses and Private KSN: a license change, the provider registering keys, Private KSN switched off
//! under a running task (EP-LIC-1, EP-LIC-2, SRV-AUTH-1).

use cucumber::when;
use ksnsim_harness::world::{EndpointAction, Fault};

use super::statement::expect_ok;
use crate::world::KsnWorld;

#[when(regex = r#"^the license of "([^"]+)" changes to "([^"]+)"$"#)]
async fn license_changes(world: &mut KsnWorld, host: String, key: String) -> Result<(), String> {
    let key = key.parse().map_err(|e| format!("license {key:?}: {e}"))?;
    expect_ok(world.act(&host, EndpointAction::ChangeLicense(key)).await?)
}

#[when(regex = r#"^the provider (registers|removes) the license "([^"]+)"$"#)]
async fn provider(world: &mut KsnWorld, verb: String, key: String) -> Result<(), String> {
    world
        .fault(Fault::License {
            key,
            registered: verb == "registers",
        })
        .await
}

#[when(regex = r#"^Private KSN is disabled on "([^"]+)"$"#)]
async fn private_disabled(world: &mut KsnWorld, host: String) -> Result<(), String> {
    expect_ok(world.act(&host, EndpointAction::DisablePrivateKsn).await?)
}

#[when(regex = r#"^"([^"]+)" checks its license$"#)]
async fn checks_license(world: &mut KsnWorld, host: String) -> Result<(), String> {
    world.act(&host, EndpointAction::CheckLicense).await.map(|_| ())
}
