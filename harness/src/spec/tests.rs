//! The clause table and its judges agree: every clause has exactly one judge, every judge decides only
//! clauses of the table, and the table covers every requirement of the catalogue.

use std::collections::BTreeSet;

use super::{INVARIANT_CLAUSES, all_clauses, judge_of, judges};

#[test]
fn every_clause_has_exactly_one_judge() {
    let mut gaps = Vec::new();
    for clause in all_clauses() {
        let by_judges = judges::all()
            .iter()
            .filter(|j| j.clauses().contains(&clause.id))
            .count();
        let by_invariants = INVARIANT_CLAUSES
            .iter()
            .filter(|(id, _)| *id == clause.id)
            .count();
        if by_judges + by_invariants != 1 {
            gaps.push(format!(
                "{} ({} judges, {} invariants)",
                clause.id, by_judges, by_invariants
            ));
        }
        assert!(judge_of(clause.id).is_some() || by_judges + by_invariants == 0);
    }
    assert!(gaps.is_empty(), "clauses without exactly one judge: {gaps:#?}");
}

#[test]
fn judges_decide_only_clauses_of_the_table() {
    let ids: BTreeSet<&str> = all_clauses().iter().map(|c| c.id).collect();
    for judge in judges::all() {
        for clause in judge.clauses() {
            assert!(
                ids.contains(clause),
                "judge {} names {clause}, which features/clauses.toml lacks",
                judge.name()
            );
        }
    }
    for (clause, _) in INVARIANT_CLAUSES {
        assert!(
            ids.contains(clause),
            "invariant clause {clause} is not in features/clauses.toml"
        );
    }
}

#[test]
fn every_requirement_of_the_catalogue_has_clauses_and_every_clause_a_requirement() {
    let ids: BTreeSet<String> = crate::catalogue::catalogue()
        .iter()
        .map(|r| r.id.to_string())
        .collect();
    let covered: BTreeSet<String> = all_clauses().iter().map(|c| c.requirement.to_owned()).collect();
    let missing: Vec<&String> = ids.difference(&covered).collect();
    let unknown: Vec<&String> = covered.difference(&ids).collect();
    assert!(missing.is_empty(), "requirements without clauses: {missing:?}");
    assert!(
        unknown.is_empty(),
        "clauses of requirements the catalogue lacks: {unknown:?}"
    );
    for clause in all_clauses() {
        assert!(
            !clause.seed.is_empty() && !clause.text.is_empty(),
            "{} needs a text and a seed",
            clause.id
        );
        if clause.kind == super::ClauseKind::Liveness {
            assert!(
                clause.bound.is_some(),
                "liveness clause {} states no bound",
                clause.id
            );
        }
    }
}
