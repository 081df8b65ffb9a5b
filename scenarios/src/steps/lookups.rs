//! Reputation lookups: single files and URLs, batches, and what they gave.

use cucumber::{then, when};
use ksnsim_harness::world::EndpointAction;

use crate::params;
use crate::world::KsnWorld;

#[when(regex = r#"^"([^"]+)" looks up the file "([^"]+)"(?: (\d+) times)?$"#)]
async fn looks_up_file(
    world: &mut KsnWorld,
    host: String,
    file: String,
    times: String,
) -> Result<(), String> {
    let times: usize = if times.is_empty() {
        1
    } else {
        times.parse().map_err(|_| "times must be a number")?
    };
    for _ in 0..times {
        world
            .act(&host, EndpointAction::Lookup(params::file(&file)))
            .await?;
    }
    Ok(())
}

#[when(regex = r#"^(.+) look up the file "([^"]+)" at the same time$"#)]
async fn look_up_together(world: &mut KsnWorld, hosts: String, file: String) -> Result<(), String> {
    let hosts = params::quoted_list(&hosts);
    let actions = hosts
        .iter()
        .map(|h| (h.clone(), EndpointAction::Lookup(params::file(&file))))
        .collect();
    let outcomes = world.with_world(move |w| w.act_together(actions)).await?;
    for (host, outcome) in hosts.into_iter().zip(outcomes) {
        world.last.insert(host, outcome);
    }
    Ok(())
}

#[when(regex = r#"^"([^"]+)" looks up the URL "([^"]+)"$"#)]
async fn looks_up_url(world: &mut KsnWorld, host: String, url: String) -> Result<(), String> {
    world
        .act(&host, EndpointAction::Lookup(params::url(&url)?))
        .await
        .map(|_| ())
}

#[when(regex = r#"^"([^"]+)" looks up the files (.+) in one batch$"#)]
async fn looks_up_batch(world: &mut KsnWorld, host: String, files: String) -> Result<(), String> {
    let objects = params::quoted_list(&files)
        .iter()
        .map(|f| params::file(f))
        .collect();
    world
        .act(&host, EndpointAction::LookupBatch(objects))
        .await
        .map(|_| ())
}

#[then(regex = r#"^"([^"]+)" gets the verdict "(trusted|riskware|untrusted|unknown)"( for each)?$"#)]
fn gets_verdict(world: &mut KsnWorld, host: String, verdict: String, _each: String) -> Result<(), String> {
    let outcome = world.last_of(&host)?;
    if let Some(error) = &outcome.error {
        return Err(format!("{host}'s last lookup failed: {error}"));
    }
    let verdicts: Vec<String> = outcome
        .reputations
        .iter()
        .map(|r| r.verdict.to_string())
        .collect();
    if !verdicts.is_empty() && verdicts.iter().all(|v| *v == verdict) {
        Ok(())
    } else {
        Err(format!("{host} got {verdicts:?}, expected {verdict:?}"))
    }
}

#[then(regex = r#"^"([^"]+)" gets an answer$"#)]
fn gets_answer(world: &mut KsnWorld, host: String) -> Result<(), String> {
    let outcome = world.last_of(&host)?;
    match (&outcome.error, outcome.reputations.is_empty()) {
        (None, false) => Ok(()),
        (Some(error), _) => Err(format!("{host}'s last lookup failed: {error}")),
        (None, true) => Err(format!("{host}'s last action gave no verdict")),
    }
}

#[then(regex = r#"^the lookup of "([^"]+)" fails with "([a-z_]+)"$"#)]
fn fails_with(world: &mut KsnWorld, host: String, code: String) -> Result<(), String> {
    let outcome = world.last_of(&host)?;
    match outcome.code {
        Some(got) if got.as_str() == code => Ok(()),
        _ => Err(format!(
            "{host}'s last lookup gave {:?}, expected the error {code}",
            outcome.summary()
        )),
    }
}

#[then(regex = r#"^the lookup of "([^"]+)" fails$"#)]
fn fails(world: &mut KsnWorld, host: String) -> Result<(), String> {
    let outcome = world.last_of(&host)?;
    if outcome.error.is_some() {
        Ok(())
    } else {
        Err(format!("{host}'s last lookup succeeded: {}", outcome.summary()))
    }
}

/// The last action of the endpoint (a lookup, a batch, an upload or a license check) was refused by the
/// agent's own rules, with nothing sent; with `, saying "..."`, the error a user reads says that.
#[then(
    regex = r#"^"([^"]+)" refuses the (?:lookup|batch|upload|license check) itself(?:, saying "([^"]+)")?$"#
)]
fn refused_locally(world: &mut KsnWorld, host: String, saying: String) -> Result<(), String> {
    let outcome = world.last_of(&host)?;
    let says = outcome.error.as_deref().unwrap_or_default();
    if outcome.refused_locally && says.contains(&saying) {
        Ok(())
    } else if outcome.refused_locally {
        Err(format!(
            "{host} refused by its own rules, but its error does not say {saying:?}: {says}"
        ))
    } else {
        Err(format!(
            "expected {host} to refuse by its own rules (nothing sent), but: {}",
            outcome.summary()
        ))
    }
}

#[when(
    regex = r#"^the Private KSN's (global|local) database rates the file "([^"]+)" (trusted|riskware|untrusted|unknown)$"#
)]
async fn rates(world: &mut KsnWorld, layer: String, file: String, verdict: String) -> Result<(), String> {
    let verdict: ksnsim_reference::protocol::Verdict = verdict.parse().map_err(|e| format!("{e}"))?;
    let entry = ksnsim_mocks::DbEntry {
        object: params::file(&file),
        verdict,
        ttl: None,
    };
    let layer = if layer == "local" {
        ksnsim_mocks::Layer::Local
    } else {
        ksnsim_mocks::Layer::Global
    };
    world
        .with_world(move |w| w.set_reputation(ksnsim_harness::topology::KsnKind::Private, layer, entry))
        .await
}
