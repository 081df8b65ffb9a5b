//! Checks on what reached the servers, what the proxies answered from cache, and what endpoints report.

use cucumber::then;
use ksnsim_harness::trace::SimEventKind;
use ksnsim_harness::world::EndpointAction;

use crate::params;
use crate::world::KsnWorld;

/// Requests the KSN server of `ksn` logged that satisfy `keep`.
async fn server_requests(
    world: &mut KsnWorld,
    ksn: &str,
    keep: impl Fn(&ksnsim_mocks::LoggedRequest) -> bool + Send + 'static,
) -> Result<Vec<ksnsim_mocks::LoggedRequest>, String> {
    let kind = params::ksn(ksn)?;
    world
        .with_world(move |w| {
            Ok(w.ksn(kind)
                .map(|k| k.log())
                .unwrap_or_default()
                .into_iter()
                .filter(|r| keep(r))
                .collect())
        })
        .await
}

fn count_is(what: String, got: usize, expected: usize) -> Result<(), String> {
    if got == expected {
        Ok(())
    } else {
        Err(format!("{what}: {got}, expected {expected}"))
    }
}

#[then(
    regex = r#"^the (Global|Private) KSN received (\d+) reputation requests?(?: for the file "([^"]+)")?$"#
)]
async fn reputation_requests(
    world: &mut KsnWorld,
    ksn: String,
    n: usize,
    file: String,
) -> Result<(), String> {
    let wanted = (!file.is_empty()).then(|| ksnsim_reference::protocol::lookup_path(&params::file(&file)));
    let requests = server_requests(world, &ksn, move |r| match &wanted {
        Some(path) => r.path == *path,
        None => r.path.starts_with("/v1/reputation"),
    })
    .await?;
    count_is(format!("reputation requests at the {ksn} KSN"), requests.len(), n)
}

#[then(regex = r#"^the (Global|Private) KSN received (\d+) batch requests? for (\d+) objects?$"#)]
async fn batch_requests(world: &mut KsnWorld, ksn: String, n: usize, objects: usize) -> Result<(), String> {
    let requests = server_requests(world, &ksn, |r| r.is("/v1/reputation/batch")).await?;
    count_is(format!("batch requests at the {ksn} KSN"), requests.len(), n)?;
    let asked: usize = requests.iter().map(|r| r.objects.unwrap_or(0)).sum();
    count_is(
        format!("objects asked in batches at the {ksn} KSN"),
        asked,
        objects,
    )
}

#[then(regex = r#"^the (Global|Private) KSN received nothing from "([^"]+)"$"#)]
async fn nothing_from(world: &mut KsnWorld, ksn: String, host: String) -> Result<(), String> {
    let client = host.clone();
    let requests = server_requests(world, &ksn, move |r| r.client.as_deref() == Some(&client)).await?;
    match requests.first() {
        None => Ok(()),
        Some(first) => Err(format!(
            "the {ksn} KSN received {} requests from {host}, the first {} {}",
            requests.len(),
            first.method,
            first.path
        )),
    }
}

#[then(regex = r#"^the (Global|Private) KSN received no statistics$"#)]
async fn no_statistics(world: &mut KsnWorld, ksn: String) -> Result<(), String> {
    let requests = server_requests(world, &ksn, |r| r.is("/v1/statistics")).await?;
    count_is(format!("statistics uploads at the {ksn} KSN"), requests.len(), 0)
}

#[then(regex = r#"^"([^"]+)" sent nothing at all$"#)]
async fn sent_nothing(world: &mut KsnWorld, host: String) -> Result<(), String> {
    let who = host.clone();
    let sent = world
        .with_world(move |w| {
            Ok(w.events()
                .into_iter()
                .filter(|e| matches!(&e.what, SimEventKind::ClientRequest { host, .. } if *host == who))
                .count())
        })
        .await?;
    count_is(format!("requests sent by {host}"), sent, 0)
}

/// How many 200 answers `proxy` gave `host` with `KSN-Cache: <cache>`.
async fn answers_marked(
    world: &mut KsnWorld,
    proxy: &str,
    host: &str,
    cache: &'static str,
) -> Result<usize, String> {
    let (p, h) = (proxy.to_owned(), host.to_owned());
    world
        .with_world(move |w| {
            let marked = w.events().into_iter().filter(|e| {
                matches!(&e.what,
                    SimEventKind::ServerAnswer { server, peer, cache: Some(c), status: 200, .. }
                        if *server == p && *peer == h && c == cache)
            });
            Ok(marked.count())
        })
        .await
}

#[then(regex = r#"^"([^"]+)" answered "([^"]+)" (from its cache|from upstream)(?: (\d+) times?)?$"#)]
async fn answered_from(
    world: &mut KsnWorld,
    proxy: String,
    host: String,
    how: String,
    times: String,
) -> Result<(), String> {
    let expected: usize = if times.is_empty() {
        1
    } else {
        times.parse().map_err(|_| "times must be a number")?
    };
    let want = if how == "from its cache" { "hit" } else { "miss" };
    let got = answers_marked(world, &proxy, &host, want).await?;
    count_is(format!("answers {how} by {proxy} to {host}"), got, expected)
}

/// Every request the endpoint sent (at least one) went to the proxy `proxy`, none elsewhere (EP-PROXY-1).
/// Counts are not asserted: the background uploader may add a request at any seed.
#[then(regex = r#"^every request "([^"]+)" sent went to "([^"]+)"$"#)]
async fn all_to(world: &mut KsnWorld, host: String, proxy: String) -> Result<(), String> {
    let who = host.clone();
    let targets: Vec<String> = world
        .with_world(move |w| {
            Ok(w.events()
                .into_iter()
                .filter_map(|e| match e.what {
                    SimEventKind::ClientRequest { host, to, .. } if host == who => Some(to),
                    _ => None,
                })
                .collect())
        })
        .await?;
    let through = |to: &String| {
        to.split("//")
            .nth(1)
            .is_some_and(|rest| rest.starts_with(&format!("{proxy}:")))
    };
    match (targets.is_empty(), targets.iter().find(|to| !through(to))) {
        (true, _) => Err(format!("{host} sent nothing")),
        (false, Some(elsewhere)) => Err(format!(
            "{host} sent a request to {elsewhere}, not through {proxy}"
        )),
        (false, None) => Ok(()),
    }
}

#[then(regex = r#"^"([^"]+)" received (\d+) requests? from "([^"]+)"$"#)]
async fn proxy_received(world: &mut KsnWorld, server: String, n: usize, peer: String) -> Result<(), String> {
    let (s, p) = (server.clone(), peer.clone());
    let got = world
        .with_world(move |w| {
            Ok(w.events().into_iter().filter(|e| matches!(&e.what, SimEventKind::ServerRequest { server, peer, .. } if *server == s && *peer == p)).count())
        })
        .await?;
    count_is(format!("requests from {peer} at {server}"), got, n)
}

#[then(regex = r#"^"([^"]+)" reports "([^"]+)"$"#)]
async fn reports(world: &mut KsnWorld, host: String, expected: String) -> Result<(), String> {
    let status = world
        .act(&host, EndpointAction::Status)
        .await?
        .status
        .ok_or("no status")?;
    if status.summary == expected {
        Ok(())
    } else {
        Err(format!(
            "{host} reports {:?} (task {}, consent {}), expected {expected:?}",
            status.summary, status.task, status.consent
        ))
    }
}

#[then(regex = r#"^the KSN Usage task of "([^"]+)" is "([^"]+)"$"#)]
async fn task_is(world: &mut KsnWorld, host: String, expected: String) -> Result<(), String> {
    let status = world
        .act(&host, EndpointAction::Status)
        .await?
        .status
        .ok_or("no status")?;
    if status.task == expected {
        Ok(())
    } else {
        Err(format!(
            "the task of {host} is {:?}, expected {expected:?}",
            status.task
        ))
    }
}

#[then(regex = r"^every invariant holds$")]
async fn invariants_hold(world: &mut KsnWorld) -> Result<(), String> {
    let results = world.with_world(|w| w.check_invariants()).await?;
    match results.into_iter().find(|r| r.violation.is_some()) {
        None => Ok(()),
        Some(result) => {
            let violation = result.violation.expect("found by is_some");
            Err(format!("{} violated: {}", result.requirement, violation.message))
        }
    }
}

#[then(regex = r#"^"([^"]+)" answered "([^"]+)" with a stale verdict$"#)]
async fn answered_stale(world: &mut KsnWorld, proxy: String, host: String) -> Result<(), String> {
    let got = answers_marked(world, &proxy, &host, "stale").await?;
    if got > 0 {
        Ok(())
    } else {
        Err(format!("{proxy} gave {host} no answer marked stale"))
    }
}

#[then(
    regex = r#"^every request the (Global|Private) KSN received from "([^"]+)" carried "([^"]+)" and its KSN headers$"#
)]
async fn carried_headers(
    world: &mut KsnWorld,
    ksn: String,
    host: String,
    authorization: String,
) -> Result<(), String> {
    let client = host.clone();
    let requests = server_requests(world, &ksn, move |r| r.client.as_deref() == Some(&client)).await?;
    if requests.is_empty() {
        return Err(format!("the {ksn} KSN received nothing from {host}"));
    }
    for r in &requests {
        let whole =
            r.authorization.as_deref() == Some(&authorization) && r.mode.is_some() && r.statement.is_some();
        if !whole {
            return Err(format!(
                "{} {} reached the {ksn} KSN with authorization {:?}, mode {:?}, statement {:?}",
                r.method, r.path, r.authorization, r.mode, r.statement
            ));
        }
    }
    Ok(())
}
