//! Running features: which scenarios (paths, tags, a name filter, a partition), with which seeds, and what
//! came of each, as a `RunReport`. `cargo test` (the `features` test target) and `ksnsim run` both call
//! [`run_suite`]; `ksnsim replay` calls it for one scenario with its recorded seed.
//!
//! Each scenario's seed is derived from the base seed and the scenario's place (`features/x.feature:LINE`),
//! so adding a scenario never changes another's trace. After its last step, every invariant checker runs on
//! the scenario's trace; a violation fails the scenario with the requirement id and the first bad event.

use cucumber::{World as _, cli, event, gherkin};
use futures::FutureExt;
use ksnsim_harness::catalogue::catalogue;
use ksnsim_reports::{
    Failure, ItemReport, RequirementId, RunKind, RunReport, TraceEvent, Verdict, trace_digest,
};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::step_log::{StepLog, StepLogWriter, StepOutcome, StepRecord, hosts_named, step_error};
use crate::world::KsnWorld;

/// What to run.
#[derive(Debug, Clone)]
pub struct SuiteOptions {
    /// The folder of features (the suite root); scenario ids are relative to its parent.
    pub features_dir: PathBuf,
    /// Feature files (or folders) to run, anywhere (a field engineer's ticket folder too): a relative path is
    /// looked up under the suite root's parent first, then the current directory; empty: the whole suite.
    pub only: Vec<PathBuf>,
    /// A cucumber tag expression, e.g. `@PX-CACHE-1 or @EP-LIC-1`.
    pub tags: Option<String>,
    /// Substring of `id name`, or the exact test name with `exact`.
    pub name_filter: Option<String>,
    pub exact: bool,
    pub base_seed: u64,
    /// Replay: this scenario (`features/x.feature:LINE`) with exactly this seed.
    pub replay: Option<(String, u64)>,
    /// Run share `k` of `n` (1-based), by a stable hash of the scenario id (and seed index).
    pub partition: Option<(u64, u64)>,
    /// Run every scenario under this many seeds (at least 1): the first is the base seed's, the others are
    /// derived from it ([`derived_base`]); items of seed `i > 0` get the id `ID#i`.
    pub seeds: u64,
    pub concurrency: usize,
    /// Print a line per finished scenario on stderr.
    pub progress: bool,
    /// Keep every scenario's whole trace in the report (replay), not only the failing ones' tails.
    pub keep_traces: bool,
}

impl SuiteOptions {
    pub fn new(features_dir: impl Into<PathBuf>) -> Self {
        Self {
            features_dir: features_dir.into(),
            only: Vec::new(),
            tags: None,
            name_filter: None,
            exact: false,
            base_seed: 1,
            replay: None,
            partition: None,
            seeds: 1,
            concurrency: 8,
            progress: false,
            keep_traces: false,
        }
    }
}

/// The suite could not run (bad options or feature files); never a scenario's failure.
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    #[error("--tags {expr:?} is not a tag expression: {problem}")]
    Tags { expr: String, problem: String },
    #[error("{0} is not a feature file or folder")]
    NoFeatures(String),
    #[error("no scenario matched: {0}")]
    NothingMatched(String),
}

/// The seed of the scenario at `id` under `base`.
pub fn scenario_seed(base: u64, id: &str) -> u64 {
    let digest = Sha256::new()
        .chain_update(base.to_le_bytes())
        .chain_update(id.as_bytes())
        .finalize();
    u64::from_le_bytes(digest[..8].try_into().expect("a SHA-256 digest has 32 bytes")) >> 1
}

/// How scenarios are named: `features/x.feature:LINE` relative to the suite root's parent; a feature outside
/// it, relative to the current directory (`tickets/4711.feature:3`), or absolute when outside both. Ids are
/// places, so they (and the seeds derived from them) stay the same from run to run.
#[derive(Debug, Clone)]
pub struct ScenarioIds {
    root_parent: PathBuf,
    cwd: Option<PathBuf>,
}

impl ScenarioIds {
    fn new(root_parent: PathBuf) -> Self {
        let cwd = std::env::current_dir().ok().and_then(|d| d.canonicalize().ok());
        Self { root_parent, cwd }
    }

    /// The id of `scenario` in `feature`.
    pub fn id(&self, feature: &gherkin::Feature, scenario: &gherkin::Scenario) -> String {
        let path = feature
            .path
            .as_deref()
            .map_or_else(|| PathBuf::from("?"), Path::to_path_buf);
        let relative = path
            .strip_prefix(&self.root_parent)
            .ok()
            .or_else(|| self.cwd.as_deref().and_then(|cwd| path.strip_prefix(cwd).ok()))
            .map(Path::to_path_buf)
            .unwrap_or(path);
        format!("{}:{}", relative.display(), scenario.position.line)
    }
}

/// The base seed of seed index `index` under `--seeds`: the base itself for index 0, so that `--seeds 1` is
/// the plain run; otherwise a seed derived from both.
pub fn derived_base(base: u64, index: u64) -> u64 {
    if index == 0 {
        base
    } else {
        scenario_seed(base, &format!("--seeds #{index}"))
    }
}

/// A seed pinned by a tag (`@seed-42`): the scenario always runs with exactly it (written by `explore`, and
/// by field engineers who need one world). Under `--seeds`, a pinned scenario runs once.
fn pinned_seed(feature: &gherkin::Feature, scenario: &gherkin::Scenario) -> Option<u64> {
    feature
        .tags
        .iter()
        .chain(&scenario.tags)
        .find_map(|tag| tag.trim_start_matches('@').strip_prefix("seed-")?.parse().ok())
}

/// A scenario's id under seed index `index`: `ID`, or `ID#index`.
pub(crate) fn seeded_id(id: &str, index: u64) -> String {
    if index == 0 {
        id.to_owned()
    } else {
        format!("{id}#{index}")
    }
}

/// The name of a scenario as a test: `feature file stem::scenario name`.
pub fn test_name(feature: &gherkin::Feature, scenario: &gherkin::Scenario) -> String {
    let stem = feature
        .path
        .as_deref()
        .and_then(Path::file_stem)
        .map_or("feature".into(), |s| s.to_string_lossy().into_owned());
    format!("{stem}::{}", scenario.name)
}

fn requirement_tags(feature: &gherkin::Feature, scenario: &gherkin::Scenario) -> Vec<RequirementId> {
    let ids: BTreeSet<RequirementId> = feature
        .tags
        .iter()
        .chain(&scenario.tags)
        .filter_map(|tag| tag.trim_start_matches('@').parse().ok())
        .collect();
    ids.into_iter().collect()
}

fn stable_share(id: &str, n: u64) -> u64 {
    scenario_seed(0, id) % n.max(1) + 1
}

/// The outcome of a suite run.
pub struct SuiteOutcome {
    pub report: RunReport,
    /// Every scenario's steps as they ran, by item id: the step-by-step account of a failure.
    pub steps: BTreeMap<String, Vec<StepRecord>>,
    /// The requirements whose invariants had something to judge in each item's trace, by item id.
    pub exercised: BTreeMap<String, Vec<String>>,
    /// The clauses of the executable specification that had something to judge in each item's trace.
    pub clauses: BTreeMap<String, Vec<String>>,
}

impl SuiteOutcome {
    /// The steps of one item (a scenario under one seed), in order; empty when it never ran a step.
    pub fn steps_of(&self, item_id: &str) -> &[StepRecord] {
        self.steps.get(item_id).map_or(&[], Vec::as_slice)
    }
}

/// Runs the selected scenarios and folds their outcomes into a report.
pub async fn run_suite(options: &SuiteOptions) -> Result<SuiteOutcome, SuiteError> {
    let root = options
        .features_dir
        .canonicalize()
        .map_err(|_| SuiteError::NoFeatures(options.features_dir.display().to_string()))?;
    let root_parent = root
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| root.clone());
    let tags = match &options.tags {
        Some(expr) => {
            Some(
                expr.parse::<gherkin::tagexpr::TagOperation>()
                    .map_err(|err| SuiteError::Tags {
                        expr: expr.clone(),
                        problem: err.to_string(),
                    })?,
            )
        }
        None => None,
    };
    let inputs = inputs(&root, &root_parent, &options.only)?;
    let ids = ScenarioIds::new(root_parent);
    let results: Arc<Mutex<Vec<Concluded>>> = Arc::default();
    let log = StepLog::default();
    for index in 0..options.seeds.max(1) {
        for input in &inputs {
            let run = SeedRun {
                options,
                ids: &ids,
                tags: tags.clone(),
                index,
            };
            run.run(input, &results, &log).await;
        }
    }

    let mut steps = log.take();
    let mut report = RunReport::new(RunKind::Suite, "ksnsim scenario suite");
    report.seed = Some(options.base_seed);
    report.catalogue = catalogue();
    let concluded = std::mem::take(&mut *results.lock().expect("results lock is never poisoned"));
    let mut exercised: BTreeMap<String, Vec<String>> = concluded
        .iter()
        .map(|c| (c.item.id.clone(), c.exercised.clone()))
        .collect();
    let mut clauses: BTreeMap<String, Vec<String>> = concluded
        .iter()
        .map(|c| (c.item.id.clone(), c.clauses.clone()))
        .collect();
    report.items = concluded
        .into_iter()
        .map(|c| {
            let id = c.item.id.clone();
            c.explained(steps.get(&id).map_or(&[], Vec::as_slice))
        })
        .collect();
    report.normalize();
    if report.items.is_empty() {
        return Err(SuiteError::NothingMatched(describe_selection(options)));
    }
    steps.retain(|id, _| report.items.iter().any(|item| item.id == *id));
    exercised.retain(|id, _| report.items.iter().any(|item| item.id == *id));
    clauses.retain(|id, _| report.items.iter().any(|item| item.id == *id));
    Ok(SuiteOutcome {
        report,
        steps,
        exercised,
        clauses,
    })
}

/// What cucumber is given to parse: the whole suite, or each selected path (a path inside another selected
/// one is dropped, so no scenario runs twice).
fn inputs(root: &Path, root_parent: &Path, only: &[PathBuf]) -> Result<Vec<PathBuf>, SuiteError> {
    if only.is_empty() {
        return Ok(vec![root.to_path_buf()]);
    }
    let mut found = Vec::new();
    for path in only {
        let candidates = if path.is_absolute() {
            vec![path.clone()]
        } else {
            vec![root_parent.join(path), path.clone()]
        };
        let resolved = candidates
            .iter()
            .find_map(|candidate| candidate.canonicalize().ok())
            .ok_or_else(|| SuiteError::NoFeatures(path.display().to_string()))?;
        let is_feature = resolved.is_dir() || resolved.extension().is_some_and(|e| e == "feature");
        if !is_feature {
            return Err(SuiteError::NoFeatures(path.display().to_string()));
        }
        found.push(resolved);
    }
    found.sort();
    found.dedup();
    let outermost = found
        .iter()
        .filter(|p| !found.iter().any(|other| other != *p && p.starts_with(other)))
        .cloned()
        .collect();
    Ok(outermost)
}

/// One pass of cucumber over one input under one seed index.
struct SeedRun<'a> {
    options: &'a SuiteOptions,
    ids: &'a ScenarioIds,
    tags: Option<gherkin::tagexpr::TagOperation>,
    index: u64,
}

impl SeedRun<'_> {
    async fn run(self, input: &Path, results: &Arc<Mutex<Vec<Concluded>>>, log: &StepLog) {
        let Self {
            options,
            ids,
            tags,
            index,
        } = self;
        let base_seed = derived_base(options.base_seed, index);
        let replay = options.replay.clone();
        let (progress, keep_traces) = (options.progress, options.keep_traces);
        let filter = {
            let (ids, options) = (ids.clone(), options.clone());
            move |feature: &gherkin::Feature, _: Option<&gherkin::Rule>, scenario: &gherkin::Scenario| {
                let id = ids.id(feature, scenario);
                let tagged = tags.as_ref().is_none_or(|expr| {
                    use cucumber::tag::Ext as _;
                    expr.eval(feature.tags.iter().chain(&scenario.tags))
                });
                let named = match &options.name_filter {
                    None => true,
                    Some(f) if options.exact => test_name(feature, scenario) == *f || id == *f,
                    Some(f) => format!("{id} {}", test_name(feature, scenario)).contains(f.as_str()),
                };
                let replayed = options.replay.as_ref().is_none_or(|(target, _)| *target == id);
                let seeded =
                    index == 0 || (pinned_seed(feature, scenario).is_none() && options.replay.is_none());
                let shared = options
                    .partition
                    .is_none_or(|(k, n)| stable_share(&seeded_id(&id, index), n) == k);
                tagged && named && replayed && seeded && shared
            }
        };
        let (before_ids, after_ids) = (ids.clone(), ids.clone());
        let collected = results.clone();
        KsnWorld::cucumber()
            .max_concurrent_scenarios(options.concurrency.max(1))
            .fail_on_skipped()
            .with_writer(StepLogWriter::new(log.clone(), ids.clone(), index))
            .before(move |feature, _, scenario, world| {
                let id = before_ids.id(feature, scenario);
                world.seed = match (&replay, pinned_seed(feature, scenario)) {
                    (Some((_, seed)), _) => *seed,
                    (None, Some(pinned)) => pinned,
                    (None, None) => scenario_seed(base_seed, &id),
                };
                world.scenario_id = id;
                async {}.boxed_local()
            })
            .after(move |feature, _, scenario, finished, world| {
                let collected = collected.clone();
                let id = seeded_id(&after_ids.id(feature, scenario), index);
                let item = ItemReport::new(id, scenario.name.clone(), feature.name.clone(), Verdict::Pass);
                let requirements = requirement_tags(feature, scenario);
                async move {
                    let concluded = conclude(item, requirements, finished, world, keep_traces).await;
                    if progress {
                        let item = &concluded.item;
                        let mark = if item.verdict == Verdict::Pass {
                            "ok  "
                        } else {
                            "FAIL"
                        };
                        eprintln!(
                            "{mark} {} {} (seed {})",
                            item.id,
                            item.name,
                            item.seed.unwrap_or_default()
                        );
                    }
                    collected
                        .lock()
                        .expect("results lock is never poisoned")
                        .push(concluded);
                }
                .boxed_local()
            })
            // Last: the builder steps above reset it. Without it cucumber would parse this process's arguments.
            .with_cli(cli::Opts::<_, _, _, cli::Empty>::default())
            .filter_run(input, filter)
            .await;
    }
}

fn describe_selection(options: &SuiteOptions) -> String {
    let mut parts = vec![format!("features in {}", options.features_dir.display())];
    if let Some(tags) = &options.tags {
        parts.push(format!("tags {tags}"));
    }
    if let Some(name) = &options.name_filter {
        parts.push(format!("name {name:?}"));
    }
    if let Some((id, _)) = &options.replay {
        parts.push(format!("scenario {id}"));
    }
    parts.join(", ")
}

/// A scenario's verdict as the after-hook reached it, before its steps' account (which cucumber's writer
/// delivers separately) is joined in by [`Concluded::explained`].
struct Concluded {
    item: ItemReport,
    /// The verdict came from a failed or undefined step (not from an invariant).
    by_step: bool,
    /// Requirements whose invariants had something to judge in the trace.
    exercised: Vec<String>,
    /// Clauses of the specification that had something to judge in the trace.
    clauses: Vec<String>,
}

impl Concluded {
    /// The item, its failure told by the step that failed: its place, its text (the expectation) and its
    /// own message, and the last event about the hosts it names rather than the trace's last event.
    fn explained(self, steps: &[StepRecord]) -> ItemReport {
        let mut item = self.item;
        let failed = steps
            .iter()
            .find(|step| !matches!(step.outcome, StepOutcome::Passed));
        let (true, Some(step), Some(failure)) = (self.by_step, failed, item.failure.as_mut()) else {
            return item;
        };
        let place = format!("{}:{}", file_of(&item.id), step.line);
        let said = match &step.outcome {
            StepOutcome::Failed(message) => message.clone(),
            StepOutcome::Undefined => "no step of the library matches this text".to_owned(),
            StepOutcome::Passed => unreachable!("found as not passed"),
        };
        let ids: Vec<&str> = item.requirements.iter().map(|r| r.as_str()).collect();
        let scope = if ids.is_empty() {
            String::new()
        } else {
            format!("{}: ", ids.join(", "))
        };
        failure.message = format!("{scope}step failed at {place}: {}\n  {said}", step.written());
        let hosts = hosts_named(&step.text);
        if let Some(event) = item
            .trace
            .iter()
            .rev()
            .find(|e| hosts.iter().any(|h| *h == e.from || *h == e.to))
        {
            failure.event = Some(event.clone());
        }
        item
    }
}

/// `features/x.feature` of `features/x.feature:LINE` (or `...:LINE#i`).
fn file_of(id: &str) -> &str {
    id.rsplit_once(':').map_or(id, |(file, _)| file)
}

/// The verdict of one scenario: its steps' outcome, then every invariant over its trace.
async fn conclude(
    mut item: ItemReport,
    requirements: Vec<RequirementId>,
    finished: &event::ScenarioFinished,
    world: Option<&mut KsnWorld>,
    keep_traces: bool,
) -> Concluded {
    item.requirements = requirements;
    let Some(world) = world else {
        item.verdict = Verdict::Error;
        item.failure = Some(failure(
            "the scenario's world could not be created".into(),
            None,
            None,
        ));
        return Concluded {
            item,
            by_step: false,
            exercised: Vec::new(),
            clauses: Vec::new(),
        };
    };
    item.seed = Some(world.seed);
    let step_failure = match finished {
        event::ScenarioFinished::StepPassed => None,
        event::ScenarioFinished::StepSkipped => {
            Some("a step has no definition: no step of the library matches its text".to_owned())
        }
        event::ScenarioFinished::StepFailed(_, _, err) => Some(step_error(err)),
        event::ScenarioFinished::BeforeHookFailed(_) => Some("the scenario could not start".to_owned()),
    };
    let mut by_step = false;
    let mut exercised = Vec::new();
    let mut clauses = Vec::new();
    let checked = if world.is_running() {
        let invariants = world.with_world(|w| w.check_invariants()).await;
        let trace = world.with_world(|w| Ok(w.trace())).await.unwrap_or_default();
        Some((invariants, trace))
    } else {
        None
    };
    let first_requirement = item.requirements.first().cloned();
    if let Some((invariants, trace)) = checked {
        let digest = trace_digest(&trace);
        item.replay = Some(format!(
            "ksnsim replay {} --seed {} --digest {digest}",
            world.scenario_id, world.seed
        ));
        item.trace_digest = Some(digest);
        item.sim_time_ms = trace.last().map(|e| e.at_ms);
        if let Ok(results) = &invariants {
            exercised = results
                .iter()
                .filter(|r| r.exercised)
                .map(|r| r.requirement.to_owned())
                .collect();
            let mut reached: Vec<String> = results
                .iter()
                .filter(|r| r.exercised)
                .flat_map(ksnsim_harness::spec::clauses_of)
                .map(str::to_owned)
                .collect();
            reached.sort();
            reached.dedup();
            clauses = reached;
        }
        let violated = invariants
            .as_ref()
            .ok()
            .and_then(|results| results.iter().find(|r| r.violation.is_some()).cloned());
        match (&step_failure, violated, invariants) {
            // An invariant names the requirement and the first event that broke it: the best account.
            (_, Some(result), _) => {
                let violation = result.violation.expect("found by is_some");
                item.verdict = Verdict::Fail;
                let mut message = format!(
                    "{} violated ({}): {}",
                    result.requirement, result.name, violation.message
                );
                if let Some(step) = &step_failure {
                    message.push_str(&format!("; and a step failed: {step}"));
                }
                let event = violation.event.map(|e| e.to_trace_event());
                item.failure = Some(failure(message, result.requirement.parse().ok(), event));
            }
            (Some(step), None, _) => {
                item.verdict = Verdict::Fail;
                by_step = true;
                item.failure = Some(failure(step.clone(), first_requirement, trace.last().cloned()));
            }
            (None, None, Err(err)) => {
                item.verdict = Verdict::Error;
                item.failure = Some(failure(
                    format!("the invariants could not be checked: {err}"),
                    None,
                    None,
                ));
            }
            (None, None, Ok(_)) => {}
        }
        if keep_traces {
            item.trace = trace;
        } else if item.verdict != Verdict::Pass {
            item.trace = tail(&trace, 200);
        }
    } else if let Some(message) = step_failure {
        item.replay = Some(format!(
            "ksnsim replay {} --seed {}",
            world.scenario_id, world.seed
        ));
        item.verdict = Verdict::Fail;
        by_step = true;
        item.failure = Some(failure(message, first_requirement, None));
    }
    Concluded {
        item,
        by_step,
        exercised,
        clauses,
    }
}

fn failure(message: String, requirement: Option<RequirementId>, event: Option<TraceEvent>) -> Failure {
    Failure {
        message,
        requirement,
        event,
    }
}

fn tail(trace: &[TraceEvent], n: usize) -> Vec<TraceEvent> {
    trace[trace.len().saturating_sub(n)..].to_vec()
}
