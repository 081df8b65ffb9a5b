//! The KSN Statement: publishing, showing, accepting, declining and withdrawing (EP-STMT-1..3, SRV-STMT-1).

use cucumber::{then, when};
use ksnsim_harness::world::{EndpointAction, Fault};
use ksnsim_reference::agent::DataKinds;
use ksnsim_reference::protocol::StatementVersion;

use crate::world::KsnWorld;

#[when(regex = r"^KSN Statement version (\d+) is published( and older versions are retired)?$")]
async fn published(world: &mut KsnWorld, version: u32, retire: String) -> Result<(), String> {
    world
        .fault(Fault::PublishStatement {
            version,
            retire_older: !retire.is_empty(),
        })
        .await
}

#[when(regex = r#"^"([^"]+)" is shown KSN Statement version (\d+)$"#)]
async fn shown(world: &mut KsnWorld, host: String, version: u32) -> Result<(), String> {
    expect_ok(
        world
            .act(&host, EndpointAction::OfferStatement(StatementVersion(version)))
            .await?,
    )
}

#[when(regex = r#"^"([^"]+)" accepts KSN Statement version (\d+)$"#)]
async fn accepts(world: &mut KsnWorld, host: String, version: u32) -> Result<(), String> {
    expect_ok(
        world
            .act(&host, EndpointAction::AcceptStatement(StatementVersion(version)))
            .await?,
    )
}

#[when(regex = r#"^"([^"]+)" declines KSN Statement version (\d+)$"#)]
async fn declines(world: &mut KsnWorld, host: String, version: u32) -> Result<(), String> {
    expect_ok(
        world
            .act(&host, EndpointAction::DeclineStatement(StatementVersion(version)))
            .await?,
    )
}

/// The agent refuses a Statement decision that does not apply (an older version, or declining the one it
/// works under, showing a version not newer than it): the step passes only when the action fails and changes
/// nothing it can be asked about.
#[then(regex = r#"^"([^"]+)" cannot (accept|decline|be shown) KSN Statement version (\d+)$"#)]
async fn cannot(world: &mut KsnWorld, host: String, what: String, version: u32) -> Result<(), String> {
    let version = StatementVersion(version);
    let action = match what.as_str() {
        "accept" => EndpointAction::AcceptStatement(version),
        "decline" => EndpointAction::DeclineStatement(version),
        _ => EndpointAction::OfferStatement(version),
    };
    let outcome = world.act(&host, action).await?;
    match outcome.error {
        Some(_) => Ok(()),
        None => Err(format!(
            "{host} could {what} KSN Statement version {}: expected a refusal",
            version.0
        )),
    }
}

#[when(regex = r#"^"([^"]+)" withdraws acceptance of the KSN Statement( for statistics)?$"#)]
async fn withdraws(world: &mut KsnWorld, host: String, partial: String) -> Result<(), String> {
    let kinds = if partial.is_empty() {
        DataKinds::ALL
    } else {
        DataKinds::STATISTICS
    };
    expect_ok(world.act(&host, EndpointAction::Withdraw(kinds)).await?)
}

#[then(regex = r#"^"([^"]+)" works under KSN Statement version (\d+)$"#)]
async fn works_under(world: &mut KsnWorld, host: String, version: u32) -> Result<(), String> {
    let outcome = world.act(&host, EndpointAction::Status).await?;
    let status = outcome.status.ok_or("no status")?;
    if status.statement_version == Some(version) {
        Ok(())
    } else {
        Err(format!(
            "{host} works under Statement {:?}, expected {version}",
            status.statement_version
        ))
    }
}

pub(crate) fn expect_ok(outcome: ksnsim_harness::world::ActionOutcome) -> Result<(), String> {
    match outcome.error {
        None => Ok(()),
        Some(error) => Err(format!("the action failed: {error}")),
    }
}
