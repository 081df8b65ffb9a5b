//! The requirement catalogue (`features/requirements.toml`), built into the binary: every report lists its
//! requirements in this order, and the scenario suite checks that each one is covered.

use ksnsim_reports::{Level, Requirement, RequirementId};
use serde::Deserialize;

const CATALOGUE: &str = include_str!("../../features/requirements.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    requirement: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    id: String,
    level: Level,
    text: String,
    #[expect(
        dead_code,
        reason = "the seed is for people reading the file; reports cite the id"
    )]
    seed: String,
}

/// Every requirement, in catalogue order.
pub fn catalogue() -> Vec<Requirement> {
    let file: File =
        toml::from_str(CATALOGUE).expect("the built-in catalogue is valid: a unit test reads it");
    file.requirement
        .into_iter()
        .map(|entry| Requirement {
            id: entry
                .id
                .parse::<RequirementId>()
                .expect("the built-in catalogue's ids are valid: a unit test reads them"),
            level: entry.level,
            text: entry.text,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_reads_and_ids_are_unique() {
        let requirements = catalogue();
        assert!(requirements.len() >= 36);
        let mut ids: Vec<&str> = requirements.iter().map(|r| r.id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), requirements.len());
    }
}
