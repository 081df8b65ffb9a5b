//! Merging the reports of a partitioned run (one per CI shard) into the report of the whole run.
//!
//! The shares must be of one run: same kind, name, implementation, seed and catalogue, and each item in
//! exactly one share. The result has its items sorted by id, so it equals the unpartitioned run's report
//! once that is normalized (`RunReport::normalize`), and every writer renders both the same, byte for byte.

use std::fmt::Debug;

use crate::error::ReportError;
use crate::model::{FORMAT_VERSION, RunReport};

/// Merges the shares of one partitioned run; share numbers in errors count from 1 in the order given.
pub fn merge_runs(runs: Vec<RunReport>) -> Result<RunReport, ReportError> {
    let mut shares = runs.into_iter();
    let mut merged = shares.next().ok_or(ReportError::NothingToMerge)?;
    merged.format_version = FORMAT_VERSION;
    for (index, share) in shares.enumerate() {
        check_same_run(&merged, &share, index + 2)?;
        merged.items.extend(share.items);
    }
    merged.normalize();
    if let Some(pair) = merged.items.windows(2).find(|pair| pair[0].id == pair[1].id) {
        return Err(ReportError::DuplicateItem {
            id: pair[0].id.clone(),
        });
    }
    Ok(merged)
}

fn check_same_run(first: &RunReport, share: &RunReport, number: usize) -> Result<(), ReportError> {
    if share.kind != first.kind {
        return Err(ReportError::MergeKinds {
            first: first.kind,
            other: share.kind,
            share: number,
        });
    }
    same("name", Some(&first.name), Some(&share.name), number)?;
    same(
        "implementation",
        first.implementation.as_ref(),
        share.implementation.as_ref(),
        number,
    )?;
    same("seed", first.seed.as_ref(), share.seed.as_ref(), number)?;
    check_catalogue(first, share, number)
}

fn same<T: PartialEq + Debug>(
    field: &'static str,
    first: Option<&T>,
    other: Option<&T>,
    share: usize,
) -> Result<(), ReportError> {
    if first == other {
        return Ok(());
    }
    let shown = |value: Option<&T>| value.map_or_else(|| "none".to_owned(), |value| format!("{value:?}"));
    Err(ReportError::MergeMismatch {
        field,
        share,
        first: shown(first),
        other: shown(other),
    })
}

/// Names the first catalogue entry that differs, so the person knows which catalogue file is stale.
fn check_catalogue(first: &RunReport, share: &RunReport, number: usize) -> Result<(), ReportError> {
    let pairs = first.catalogue.iter().zip(&share.catalogue);
    let detail = match pairs.enumerate().find(|(_, (a, b))| a != b) {
        Some((position, (a, b))) if a.id == b.id => format!("{} differs at entry {}", a.id, position + 1),
        Some((position, (a, b))) => format!(
            "entry {} is {} here but {} in the first",
            position + 1,
            b.id,
            a.id
        ),
        None if first.catalogue.len() == share.catalogue.len() => return Ok(()),
        None => format!(
            "{} entries here, {} in the first",
            share.catalogue.len(),
            first.catalogue.len()
        ),
    };
    Err(ReportError::MergeCatalogue {
        share: number,
        detail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{fixture, id};
    use crate::model::{Level, Requirement, RunKind};

    /// Splits the fixture round-robin into `n` shares, as a sharded CI run would.
    fn shares(n: usize) -> Vec<RunReport> {
        let whole = fixture();
        let mut shares: Vec<RunReport> = (0..n)
            .map(|_| RunReport {
                items: Vec::new(),
                ..whole.clone()
            })
            .collect();
        for (index, item) in whole.items.into_iter().enumerate().rev() {
            shares[index % n].items.push(item);
        }
        shares
    }

    #[test]
    fn merging_the_shares_gives_the_unpartitioned_report() {
        for n in 1..=4 {
            assert_eq!(merge_runs(shares(n)).unwrap(), fixture(), "{n} shares");
        }
    }

    #[test]
    fn nothing_to_merge_is_an_error() {
        assert!(matches!(merge_runs(Vec::new()), Err(ReportError::NothingToMerge)));
    }

    #[test]
    fn runs_of_different_kinds_do_not_merge() {
        let mut runs = shares(3);
        runs[2].kind = RunKind::Suite;
        let err = merge_runs(runs).unwrap_err();
        assert!(
            matches!(
                err,
                ReportError::MergeKinds {
                    share: 3,
                    other: RunKind::Suite,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .contains("cannot merge a suite run (report 3) into a conformance run"),
            "{err}"
        );
    }

    #[test]
    fn a_duplicate_item_is_named() {
        let mut runs = shares(2);
        let copy = runs[0].items[0].clone();
        runs[1].items.push(copy.clone());
        let err = merge_runs(runs).unwrap_err();
        assert!(
            matches!(&err, ReportError::DuplicateItem { id } if *id == copy.id),
            "{err:?}"
        );
    }

    #[test]
    fn names_implementations_and_seeds_must_agree() {
        let mut runs = shares(2);
        runs[1].seed = Some(2);
        let err = merge_runs(runs).unwrap_err();
        assert!(
            matches!(
                &err,
                ReportError::MergeMismatch {
                    field: "seed",
                    share: 2,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(
            err.to_string().contains("report 2 has seed 2, the first has 1"),
            "{err}"
        );
        let mut runs = shares(2);
        runs[1].implementation = None;
        let err = merge_runs(runs).unwrap_err();
        assert!(
            err.to_string()
                .contains(r#"implementation none, the first has "acme-proxy 2.1 \"beta\"""#),
            "{err}"
        );
    }

    #[test]
    fn catalogues_must_agree_and_the_difference_is_named() {
        let mut runs = shares(2);
        runs[1].catalogue[2].level = Level::Should;
        let err = merge_runs(runs).unwrap_err();
        assert!(err.to_string().contains("PX-CACHE-3 differs at entry 3"), "{err}");

        let mut runs = shares(2);
        runs[1].catalogue.push(Requirement {
            id: id("PX-NEW-1"),
            level: Level::May,
            text: String::new(),
        });
        let err = merge_runs(runs).unwrap_err();
        assert!(
            err.to_string().contains("8 entries here, 7 in the first"),
            "{err}"
        );
    }
}
