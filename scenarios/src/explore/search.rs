//! The search: generate schedules under the explore seed, run them in batches through the suite runner (the
//! same code path as `ksnsim run`, so a written scenario replays exactly), judge each run by every invariant,
//! and shrink the first violation to a minimal schedule that still violates the same requirement.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ksnsim_reports::Verdict;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use sha2::{Digest, Sha256};

use super::actions::Action;
use super::feature_text::{GeneratedScenario, Provenance, batch_file, finding_file};
use super::model::{Planned, when_steps};
use super::world_shape::{Hosts, WorldShape};
use super::{ExploreError, ExploreOptions, ExploreOutcome, Finding, Progress, Start};
use crate::suite::{SuiteOptions, run_suite, scenario_seed};

/// A schedule before the model writes it down: the world, and what happens in it.
#[derive(Debug, Clone)]
struct Case {
    world: CaseWorld,
    schedule: Vec<Planned>,
}

#[derive(Debug, Clone)]
enum CaseWorld {
    Generated(WorldShape),
    /// The Given steps of the scenario explored around, and the hosts they name.
    Written {
        given: Vec<String>,
        hosts: Hosts,
    },
}

impl Case {
    fn scenario(&self, name: String, seed: u64) -> GeneratedScenario {
        let (given, hosts) = match &self.world {
            CaseWorld::Generated(shape) => (shape.given_steps(), shape.hosts()),
            CaseWorld::Written { given, hosts } => (given.clone(), hosts.clone()),
        };
        GeneratedScenario {
            name,
            seed,
            when: when_steps(&hosts, &self.schedule),
            given,
        }
    }

    /// Smaller variants of it, each one change away, for the last pass of shrinking: a world without one
    /// endpoint (and that endpoint's actions), plainer settings, one step fewer.
    fn one_change_smaller(&self) -> Vec<Case> {
        let mut smaller = Vec::new();
        if let CaseWorld::Generated(shape) = &self.world {
            let count = shape.endpoints.len();
            for removed in (0..count).rev().filter(|_| count > 1) {
                let mut world = shape.clone();
                world.endpoints.remove(removed);
                let schedule = self
                    .schedule
                    .iter()
                    .filter_map(|planned| match planned {
                        Planned::Generated(action) => {
                            action.without_endpoint(removed, count).map(Planned::Generated)
                        }
                        written => Some(written.clone()),
                    })
                    .collect();
                smaller.push(Case {
                    world: CaseWorld::Generated(world),
                    schedule,
                });
            }
            smaller.extend(shape.plainer().into_iter().map(|world| Case {
                world: CaseWorld::Generated(world),
                schedule: self.schedule.clone(),
            }));
        }
        for index in (0..self.schedule.len()).rev() {
            let mut case = self.clone();
            case.schedule.remove(index);
            smaller.push(case);
        }
        smaller
    }
}

/// How one run was judged.
#[derive(Debug, Clone)]
struct Judged {
    /// The requirement an invariant found violated, the invariant's name and its message.
    violation: Option<(String, String, String)>,
    digest: String,
    exercised: Vec<String>,
    /// The clauses of the specification the run had something to judge for.
    clauses: Vec<String>,
    /// A step failed (the world refused what the model allowed): not a finding.
    refused: bool,
    /// What the failing step or the error said.
    said: Option<String>,
    error: bool,
}

impl Judged {
    fn violates(&self, requirement: &str) -> bool {
        self.violation.as_ref().is_some_and(|(r, _, _)| r == requirement)
    }
}

fn strategy(options: &ExploreOptions) -> BoxedStrategy<Case> {
    let steps = 1..=options.max_steps.max(1);
    match &options.start {
        Start::Generated => (
            WorldShape::strategy(options.max_endpoints),
            // At most three proxies: a distribution point, the Administration Server's, a Private one.
            Action::swarm_schedule(options.max_endpoints, 3, steps),
        )
            .prop_map(|(shape, actions)| Case {
                world: CaseWorld::Generated(shape),
                schedule: actions.into_iter().map(Planned::Generated).collect(),
            })
            .boxed(),
        Start::Around(start) => {
            let start = start.clone();
            let written = start.when.len();
            let actions = Action::strategy(start.hosts.endpoints.len(), start.hosts.proxies.len());
            vec((0..=written, actions), 0..=options.max_steps)
                .prop_map(move |generated| {
                    let mut schedule = Vec::new();
                    for place in 0..=written {
                        let here = generated.iter().filter(|(p, _)| *p == place);
                        schedule.extend(here.map(|(_, action)| Planned::Generated(action.clone())));
                        if let Some(step) = start.when.get(place) {
                            schedule.push(Planned::Written(step.clone()));
                        }
                    }
                    Case {
                        world: CaseWorld::Written {
                            given: start.given.clone(),
                            hosts: start.hosts.clone(),
                        },
                        schedule,
                    }
                })
                .boxed()
        }
    }
}

/// The test runner whose random numbers make every schedule: seeded, so a search replays.
fn seeded_runner(seed: u64) -> TestRunner {
    let bytes: [u8; 32] = Sha256::new()
        .chain_update(b"ksnsim explore")
        .chain_update(seed.to_le_bytes())
        .finalize()
        .into();
    TestRunner::new_with_rng(
        Config {
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    )
}

/// Runs scenarios through the suite runner, in a scratch folder of their own.
struct Runner {
    features_dir: PathBuf,
    scratch: PathBuf,
    concurrency: usize,
}

impl Runner {
    async fn run(&self, scenarios: &[GeneratedScenario]) -> Result<Vec<Judged>, ExploreError> {
        let file = self.scratch.join("batch.feature");
        write(&file, &batch_file(scenarios))?;
        self.judge(&file, scenarios.iter().map(|s| s.name.as_str())).await
    }

    async fn judge<'a>(
        &self,
        file: &Path,
        names: impl Iterator<Item = &'a str>,
    ) -> Result<Vec<Judged>, ExploreError> {
        let mut options = SuiteOptions::new(&self.features_dir);
        options.only = vec![file.to_path_buf()];
        options.concurrency = self.concurrency;
        let outcome = run_suite(&options).await?;
        names
            .map(|name| {
                let item = outcome
                    .report
                    .items
                    .iter()
                    .find(|item| item.name == name)
                    .ok_or_else(|| ExploreError::NoResult(name.to_owned()))?;
                let failure = item.failure.as_ref();
                // An invariant's verdict reads "REQ violated (what it checks): message"; a step's does not.
                let violation = failure.and_then(|f| {
                    let requirement = f.requirement.as_ref()?.as_str().to_owned();
                    let rest = f.message.strip_prefix(&format!("{requirement} violated ("))?;
                    let (invariant, message) = rest.split_once("): ")?;
                    // "Then every invariant holds" fails too, saying the same again.
                    let message = message.split("; and a step failed: ").next().unwrap_or(message);
                    Some((requirement, invariant.to_owned(), message.to_owned()))
                });
                Ok(Judged {
                    said: failure.map(|f| f.message.clone()),
                    refused: item.verdict == Verdict::Fail && violation.is_none(),
                    error: item.verdict == Verdict::Error,
                    violation,
                    digest: item.trace_digest.clone().unwrap_or_default(),
                    exercised: outcome.exercised.get(&item.id).cloned().unwrap_or_default(),
                    clauses: outcome.clauses.get(&item.id).cloned().unwrap_or_default(),
                })
            })
            .collect()
    }
}

fn write(path: &Path, text: &str) -> Result<(), ExploreError> {
    std::fs::write(path, text).map_err(|source| ExploreError::Io {
        path: path.display().to_string(),
        source,
    })
}

fn run_name(run: u64) -> String {
    format!("explore run {run}")
}

/// Searches until the budget runs out or a violation is found; shrinks it, writes it to
/// `options.out_dir`, and checks that `ksnsim run` on the written file fails the same way.
/// `progress` is called after every batch and every shrinking step.
pub async fn explore(
    options: &ExploreOptions,
    mut progress: impl FnMut(&Progress),
) -> Result<ExploreOutcome, ExploreError> {
    // A folder per search: two searches in one process (tests, a library user) must not share a batch file.
    static SEARCHES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let search_number = SEARCHES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let scratch = std::env::temp_dir().join(format!("ksnsim-explore-{}-{search_number}", std::process::id()));
    std::fs::create_dir_all(&scratch).map_err(|source| ExploreError::Io {
        path: scratch.display().to_string(),
        source,
    })?;
    let runner = Runner {
        features_dir: options.features_dir.clone(),
        scratch: scratch.clone(),
        concurrency: options.batch.max(1),
    };
    let outcome = search(options, &runner, &mut progress).await;
    // The scratch folder holds only the last batch: nothing of value is lost with it.
    let _ = std::fs::remove_dir_all(&scratch);
    outcome
}

async fn search(
    options: &ExploreOptions,
    runner: &Runner,
    progress: &mut impl FnMut(&Progress),
) -> Result<ExploreOutcome, ExploreError> {
    let strategy = strategy(options);
    let mut rng = seeded_runner(options.seed);
    let mut outcome = ExploreOutcome {
        guarded: guarded_requirements(),
        ..ExploreOutcome::default()
    };
    let mut distinct: HashSet<[u8; 32]> = HashSet::new();
    let started = Instant::now();
    let mut run = 0u64;
    loop {
        let remaining = options.max_runs.map_or(u64::MAX, |max| max.saturating_sub(run));
        let out_of_time = options.budget.is_some_and(|budget| started.elapsed() >= budget);
        if remaining == 0 || out_of_time {
            break;
        }
        let size = (options.batch.max(1) as u64).min(remaining);
        let mut trees = Vec::new();
        let mut scenarios = Vec::new();
        for k in 0..size {
            let tree = strategy
                .new_tree(&mut rng)
                .map_err(|reason| ExploreError::Generate(reason.to_string()))?;
            let seed = scenario_seed(options.seed, &run_name(run + k));
            let scenario = tree.current().scenario(run_name(run + k), seed);
            distinct.insert(schedule_digest(&scenario));
            scenarios.push(scenario);
            trees.push(tree);
        }
        let judged = runner.run(&scenarios).await?;
        if run == 0 && judged.iter().all(|j| j.refused || j.error) {
            let said = judged.iter().find_map(|j| j.said.clone()).unwrap_or_default();
            return Err(ExploreError::WorldRefused(said));
        }
        for (scenario, result) in scenarios.iter().zip(&judged) {
            outcome
                .coverage
                .add_run(&result.exercised, scenario.when.iter().filter_map(|s| s.fault));
            outcome.coverage.add_clauses(&result.clauses);
            outcome.progress.refused += u64::from(result.refused);
            outcome.progress.errors += u64::from(result.error);
        }
        outcome.progress.runs = run + size;
        outcome.progress.elapsed = started.elapsed();
        outcome.progress.requirements_exercised = outcome.coverage.requirements().len();
        outcome.distinct = distinct.len() as u64;
        let first = judged.iter().position(|j| j.violation.is_some());
        if let Some(k) = first {
            let found = Found {
                run: run + k as u64,
                time_to_find: started.elapsed(),
                scenario: scenarios[k].clone(),
                judged: judged[k].clone(),
            };
            let tree = trees.swap_remove(k);
            outcome.progress.best = Some(best_line(&found.judged, found.scenario.step_count()));
            progress(&outcome.progress);
            outcome.finding =
                Some(shrink_and_write(options, runner, tree, found, progress, &mut outcome.progress).await?);
            break;
        }
        progress(&outcome.progress);
        run += size;
    }
    Ok(outcome)
}

/// The first violation as the search met it.
struct Found {
    run: u64,
    time_to_find: Duration,
    scenario: GeneratedScenario,
    judged: Judged,
}

fn best_line(judged: &Judged, steps: usize) -> String {
    let requirement = judged.violation.as_ref().map_or("?", |(r, _, _)| r.as_str());
    format!("{requirement} in {steps} steps")
}

/// Shrinks a failing schedule to a minimal one that violates the same requirement: proptest's shrinking
/// first (fewer actions, smaller values, fewer hosts), then, around a written scenario, dropping its own
/// When steps one at a time. Bounded by `shrink_runs` and `shrink_time`; keeps the smallest failure.
async fn shrink_and_write(
    options: &ExploreOptions,
    runner: &Runner,
    mut tree: BoxedValueTree<Case>,
    found: Found,
    progress: &mut impl FnMut(&Progress),
    shown: &mut Progress,
) -> Result<Finding, ExploreError> {
    let (requirement, invariant, message) = found.judged.violation.clone().expect("a violation was found");
    let seed = found.scenario.seed;
    let started = Instant::now();
    // Each schedule as written, and whether it failed: the same text fails the same way (determinism).
    let mut tried: HashMap<String, Option<(GeneratedScenario, Judged)>> = HashMap::new();
    let mut shrink_runs = 0u64;
    let mut best_case = tree.current();
    let mut best = (found.scenario.clone(), found.judged.clone());
    let name = run_name(found.run);
    let within = |runs: u64| runs < options.shrink_runs && started.elapsed() < options.shrink_time;

    let mut try_case =
        async |case: &Case, runs: &mut u64| -> Result<Option<(GeneratedScenario, Judged)>, ExploreError> {
            let scenario = case.scenario(name.clone(), seed);
            let key = scenario.text(&[]);
            if let Some(known) = tried.get(&key) {
                return Ok(known.clone());
            }
            *runs += 1;
            let judged = runner.run(std::slice::from_ref(&scenario)).await?.remove(0);
            let failing = judged.violates(&requirement).then_some((scenario, judged));
            tried.insert(key, failing.clone());
            Ok(failing)
        };

    if tree.simplify() {
        while within(shrink_runs) {
            let case = tree.current();
            if let Some(failing) = try_case(&case, &mut shrink_runs).await? {
                best = failing;
                best_case = case;
                shown.best = Some(best_line(&best.1, best.0.step_count()));
                progress(shown);
                if !tree.simplify() {
                    break;
                }
            } else if !tree.complicate() {
                break;
            }
        }
    }
    // Then one change at a time, until none helps: an endpoint fewer (with its actions; proptest's index
    // shift would hand them to another), plainer settings, a step fewer (a scenario's own When steps too).
    'smaller: while within(shrink_runs) {
        for case in best_case.one_change_smaller() {
            if !within(shrink_runs) {
                break 'smaller;
            }
            if let Some(failing) = try_case(&case, &mut shrink_runs).await? {
                best = failing;
                best_case = case;
                shown.best = Some(best_line(&best.1, best.0.step_count()));
                progress(shown);
                continue 'smaller;
            }
        }
        break;
    }

    let (scenario, judged) = best;
    std::fs::create_dir_all(&options.out_dir).map_err(|source| ExploreError::Io {
        path: options.out_dir.display().to_string(),
        source,
    })?;
    let feature = options
        .out_dir
        .join(format!("{requirement}-seed-{}.feature", options.seed));
    let provenance = Provenance {
        requirement: requirement.clone(),
        invariant: invariant.clone(),
        message: judged
            .violation
            .as_ref()
            .map_or(message.clone(), |(_, _, m)| m.clone()),
        command: options.command.clone(),
        run: found.run,
        steps_before: found.scenario.step_count(),
        shrink_runs,
        digest: judged.digest.clone(),
    };
    write(&feature, &finding_file(&scenario, &provenance))?;
    // The proof: the written file, run as `ksnsim run` runs it.
    let replayed = runner
        .judge(&feature, std::iter::once(scenario.name.as_str()))
        .await?
        .pop()
        .and_then(|j| j.violation.map(|(r, _, _)| (r, j.digest)));
    Ok(Finding {
        requirement,
        invariant,
        message: provenance.message,
        run: found.run,
        time_to_find: found.time_to_find,
        steps_before: found.scenario.step_count(),
        steps_after: scenario.step_count(),
        shrink_runs,
        shrink_time: started.elapsed(),
        seed,
        digest: judged.digest,
        feature,
        replayed,
    })
}

/// What a schedule does, whatever its run's name and seed: two schedules the model writes alike are one.
fn schedule_digest(scenario: &GeneratedScenario) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for step in scenario.given.iter().chain(scenario.when.iter().map(|w| &w.text)) {
        hasher.update(step.as_bytes());
        hasher.update(b"\n");
    }
    hasher.finalize().into()
}

type BoxedValueTree<T> = Box<dyn ValueTree<Value = T>>;

/// Every requirement an invariant or a judge of the executable specification guards.
fn guarded_requirements() -> Vec<String> {
    let ids: BTreeSet<&str> = ksnsim_harness::invariants::all()
        .iter()
        .map(|i| i.requirement())
        .chain(ksnsim_harness::spec::all_clauses().iter().map(|c| c.requirement))
        .collect();
    ids.into_iter().map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_schedules(seed: u64, n: usize) -> Vec<String> {
        let options = ExploreOptions::new("features", "out");
        let strategy = strategy(&options);
        let mut rng = seeded_runner(seed);
        (0..n)
            .map(|i| {
                let case = strategy.new_tree(&mut rng).expect("a schedule").current();
                case.scenario(run_name(i as u64), 0).text(&[])
            })
            .collect()
    }

    #[test]
    fn the_same_seed_generates_the_same_schedules_and_another_seed_others() {
        let schedules = first_schedules(3, 16);
        assert_eq!(schedules, first_schedules(3, 16));
        assert_ne!(schedules, first_schedules(4, 16));
        assert!(
            schedules.iter().all(|s| s.contains("Given a Global KSN")),
            "{schedules:?}"
        );
    }

    #[test]
    fn one_change_smaller_drops_an_endpoint_with_its_actions() {
        let mut shape = WorldShape::strategy(3)
            .new_tree(&mut seeded_runner(1))
            .unwrap()
            .current();
        shape.endpoints.truncate(2);
        while shape.endpoints.len() < 2 {
            shape.endpoints.push(shape.endpoints[0].clone());
        }
        let case = Case {
            world: CaseWorld::Generated(shape),
            schedule: vec![
                Planned::Generated(Action::Detect {
                    endpoint: 0,
                    threats: 1,
                }),
                Planned::Generated(Action::Detect {
                    endpoint: 1,
                    threats: 2,
                }),
            ],
        };
        let smaller = case.one_change_smaller();
        let CaseWorld::Generated(first) = &smaller[0].world else {
            unreachable!()
        };
        assert_eq!(first.endpoints.len(), 1, "the last endpoint goes first");
        assert_eq!(
            smaller[0].schedule,
            [Planned::Generated(Action::Detect {
                endpoint: 0,
                threats: 1
            })],
            "its action went with it"
        );
    }
}
