//! Statistics: detections recorded, uploads, what the KSN server counted, and the daily files and archives
//! of save-to-file mode (EP-MODE-1, EP-MODE-2, EP-STAT-1, SRV-STAT-1).

use cucumber::{then, when};
use ksnsim_harness::world::EndpointAction;
use ksnsim_reference::agent::{StatisticsFiles, day_of};
use std::time::Duration;

use crate::world::KsnWorld;

#[when(regex = r#"^"([^"]+)" detects (\d+) threats?$"#)]
async fn detects(world: &mut KsnWorld, host: String, n: usize) -> Result<(), String> {
    world
        .act(&host, EndpointAction::RecordDetections(n))
        .await
        .map(|_| ())
}

#[when(regex = r#"^"([^"]+)" sends its queued statistics$"#)]
async fn sends(world: &mut KsnWorld, host: String) -> Result<(), String> {
    world
        .act(&host, EndpointAction::UploadStatistics)
        .await
        .map(|_| ())
}

#[then(regex = r#"^the (Global|Private) KSN counted (\d+) statistics records? from "([^"]+)"$"#)]
async fn counted(world: &mut KsnWorld, ksn: String, n: usize, host: String) -> Result<(), String> {
    let kind = crate::params::ksn(&ksn)?;
    let client = host.clone();
    let counted = world
        .with_world(move |w| {
            let log = w.ksn(kind).map(|k| k.log()).unwrap_or_default();
            let mut keys = std::collections::BTreeSet::new();
            let total: usize = log
                .iter()
                .filter(|r| {
                    r.is("/v1/statistics") && r.status == Some(202) && r.client.as_deref() == Some(&client)
                })
                .filter(|r| r.idempotency_key.as_ref().is_none_or(|k| keys.insert(k.clone())))
                .map(|r| r.records.unwrap_or(0))
                .sum();
            Ok(total)
        })
        .await?;
    if counted == n {
        Ok(())
    } else {
        Err(format!(
            "the {ksn} KSN counted {counted} records from {host}, expected {n}"
        ))
    }
}

#[then(regex = r#"^"([^"]+)" has (\d+) statistics records? queued$"#)]
async fn queued(world: &mut KsnWorld, host: String, n: usize) -> Result<(), String> {
    let status = world
        .act(&host, EndpointAction::Status)
        .await?
        .status
        .ok_or("no status")?;
    if status.queued_statistics == n {
        Ok(())
    } else {
        Err(format!(
            "{host} has {} records queued, expected {n}",
            status.queued_statistics
        ))
    }
}

#[then(regex = r#"^"([^"]+)" reports (\d+) statistics records? (lost to overflow|deleted on withdrawal)$"#)]
async fn reported_loss(world: &mut KsnWorld, host: String, n: u64, why: String) -> Result<(), String> {
    let status = world
        .act(&host, EndpointAction::Status)
        .await?
        .status
        .ok_or("no status")?;
    let got = if why.starts_with("lost") {
        status.overflowed_statistics
    } else {
        status.deleted_statistics
    };
    if got == n {
        Ok(())
    } else {
        Err(format!("{host} reports {got} records {why}, expected {n}"))
    }
}

/// The statistics files of `host`, and the day `days_ago` before the world's current date.
async fn files_and_day(
    world: &mut KsnWorld,
    host: &str,
    days_ago: u64,
) -> Result<(StatisticsFiles, time::Date), String> {
    let host = host.to_owned();
    world
        .with_world(move |w| {
            let day = day_of(w.wall_now() - Duration::from_secs(days_ago * 86_400));
            Ok((StatisticsFiles::new(w.statistics_dir(&host)), day))
        })
        .await
}

#[then(regex = r#"^"([^"]+)" has a statistics file for (today|yesterday) with (\d+) records?$"#)]
async fn json_file(world: &mut KsnWorld, host: String, which: String, n: usize) -> Result<(), String> {
    let (files, day) = files_and_day(world, &host, u64::from(which == "yesterday")).await?;
    let records = files.read_day(day).map_err(|e| e.to_string())?;
    if records.len() == n {
        Ok(())
    } else {
        Err(format!(
            "{} holds {} records, expected {n}",
            files.day_file(day).display(),
            records.len()
        ))
    }
}

#[then(
    regex = r#"^"([^"]+)" has a TAR archive for (\d+) days? ago with (\d+) records? and no JSON file for that day$"#
)]
async fn archive(world: &mut KsnWorld, host: String, days_ago: u64, n: usize) -> Result<(), String> {
    let (files, day) = files_and_day(world, &host, days_ago).await?;
    if files.day_file(day).exists() {
        return Err(format!(
            "{} is still there after packing",
            files.day_file(day).display()
        ));
    }
    let path = files.archive(day);
    let file = std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut archive = tar::Archive::new(file);
    let mut entries = archive
        .entries()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let entry = entries
        .next()
        .ok_or_else(|| format!("{} is empty", path.display()))?
        .map_err(|e| e.to_string())?;
    let records: Vec<serde_json::Value> =
        serde_json::from_reader(entry).map_err(|e| format!("{}: {e}", path.display()))?;
    if records.len() == n {
        Ok(())
    } else {
        Err(format!(
            "{} holds {} records, expected {n}",
            path.display(),
            records.len()
        ))
    }
}
