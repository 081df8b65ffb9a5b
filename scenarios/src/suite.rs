//! Running features: which scenarios (paths, tags, a name filter, a partition), with which seeds, and what
//! came of each, as a `RunReport`. `cargo test` (the `features` test target) and `ksnsim run` both call
//! [`run_suite`]; `ksnsim replay` calls it for one scenario with its recorded seed.
//!
//! Each scenario's seed is derived from the base seed and the scenario's place (`features/x.feature:LINE`),
//! so adding a scenario never changes another's trace. After its last step, every invariant checker runs on
//! the scenario's trace; a violation fails the scenario with the requirement id and the first bad event.

use cucumber::{World as _, WriterExt as _, cli, event, gherkin, writer};
use futures::FutureExt;
use ksnsim_harness::catalogue::catalogue;
use ksnsim_reports::{
    Failure, ItemReport, RequirementId, RunKind, RunReport, TraceEvent, Verdict, trace_digest,
};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::world::KsnWorld;

/// What to run.
#[derive(Debug, Clone)]
pub struct SuiteOptions {
    /// The folder of features (the suite root); scenario ids are relative to its parent.
    pub features_dir: PathBuf,
    /// Feature files (or folders) to run, relative to the suite root's parent or absolute; empty: all.
    pub only: Vec<PathBuf>,
    /// A cucumber tag expression, e.g. `@PX-CACHE-1 or @EP-LIC-1`.
    pub tags: Option<String>,
    /// Substring of `id name`, or the exact test name with `exact`.
    pub name_filter: Option<String>,
    pub exact: bool,
    pub base_seed: u64,
    /// Replay: this scenario (`features/x.feature:LINE`) with exactly this seed.
    pub replay: Option<(String, u64)>,
    /// Run share `k` of `n` (1-based), by a stable hash of the scenario id.
    pub partition: Option<(u64, u64)>,
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

fn scenario_id(root_parent: &Path, feature: &gherkin::Feature, scenario: &gherkin::Scenario) -> String {
    let path = feature
        .path
        .as_deref()
        .map_or_else(|| PathBuf::from("?"), Path::to_path_buf);
    let relative = path
        .strip_prefix(root_parent)
        .map(Path::to_path_buf)
        .unwrap_or(path);
    format!("{}:{}", relative.display(), scenario.position.line)
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

/// A writer target that keeps cucumber's own report, printed only when something failed.
#[derive(Clone, Default)]
struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl io::Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| io::Error::other("buffer lock poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The outcome of a suite run.
pub struct SuiteOutcome {
    pub report: RunReport,
    /// cucumber's own step-by-step account, for the failures.
    pub details: String,
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
    let only: Vec<PathBuf> = options
        .only
        .iter()
        .map(|p| {
            let absolute = if p.is_absolute() {
                p.clone()
            } else {
                root_parent.join(p)
            };
            absolute
                .canonicalize()
                .map_err(|_| SuiteError::NoFeatures(p.display().to_string()))
        })
        .collect::<Result<_, _>>()?;

    let results: Arc<Mutex<Vec<ItemReport>>> = Arc::default();
    let buffer = SharedBuffer::default();
    let (before_root, after_root) = (root_parent.clone(), root_parent.clone());
    let (base_seed, replay) = (options.base_seed, options.replay.clone());
    let collected = results.clone();
    let (progress, keep_traces) = (options.progress, options.keep_traces);
    let filter = {
        let (root_parent, options) = (root_parent.clone(), options.clone());
        move |feature: &gherkin::Feature, _: Option<&gherkin::Rule>, scenario: &gherkin::Scenario| {
            let id = scenario_id(&root_parent, feature, scenario);
            let path = feature.path.clone().unwrap_or_default();
            let in_only = only.is_empty() || only.iter().any(|o| path.starts_with(o));
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
            let shared = options.partition.is_none_or(|(k, n)| stable_share(&id, n) == k);
            in_only && tagged && named && replayed && shared
        }
    };

    KsnWorld::cucumber()
        .max_concurrent_scenarios(options.concurrency.max(1))
        .fail_on_skipped()
        .with_writer(
            writer::Basic::new(
                buffer.clone(),
                writer::Coloring::Never,
                writer::Verbosity::Default,
            )
            .summarized(),
        )
        .before(move |feature, _, scenario, world| {
            let id = scenario_id(&before_root, feature, scenario);
            world.seed = match &replay {
                Some((_, seed)) => *seed,
                None => scenario_seed(base_seed, &id),
            };
            world.scenario_id = id;
            async {}.boxed_local()
        })
        .after(move |feature, _, scenario, finished, world| {
            let collected = collected.clone();
            let id = scenario_id(&after_root, feature, scenario);
            let item = ItemReport::new(id, scenario.name.clone(), feature.name.clone(), Verdict::Pass);
            let requirements = requirement_tags(feature, scenario);
            async move {
                let item = conclude(item, requirements, finished, world, keep_traces).await;
                if progress {
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
                    .push(item);
            }
            .boxed_local()
        })
        // Last: the builder steps above reset it. Without it cucumber would parse this process's arguments.
        .with_cli(cli::Opts::<_, _, _, cli::Empty>::default())
        .filter_run(&root, filter)
        .await;

    let mut report = RunReport::new(RunKind::Suite, "ksnsim scenario suite");
    report.seed = Some(options.base_seed);
    report.catalogue = catalogue();
    report.items = std::mem::take(&mut *results.lock().expect("results lock is never poisoned"));
    report.normalize();
    if report.items.is_empty() {
        return Err(SuiteError::NothingMatched(describe_selection(options)));
    }
    let details =
        String::from_utf8_lossy(&buffer.0.lock().expect("buffer lock is never poisoned")).into_owned();
    Ok(SuiteOutcome { report, details })
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

/// The verdict of one scenario: its steps' outcome, then every invariant over its trace.
async fn conclude(
    mut item: ItemReport,
    requirements: Vec<RequirementId>,
    finished: &event::ScenarioFinished,
    world: Option<&mut KsnWorld>,
    keep_traces: bool,
) -> ItemReport {
    item.requirements = requirements;
    let Some(world) = world else {
        item.verdict = Verdict::Error;
        item.failure = Some(failure(
            "the scenario's world could not be created".into(),
            None,
            None,
        ));
        return item;
    };
    item.seed = Some(world.seed);
    let step_failure = match finished {
        event::ScenarioFinished::StepPassed => None,
        event::ScenarioFinished::StepSkipped => {
            Some("a step has no definition: no step of the library matches its text".to_owned())
        }
        event::ScenarioFinished::StepFailed(_, _, err) => Some(plain(&err.to_string())),
        event::ScenarioFinished::BeforeHookFailed(_) => Some("the scenario could not start".to_owned()),
    };
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
            item.id, world.seed
        ));
        item.trace_digest = Some(digest);
        item.sim_time_ms = trace.last().map(|e| e.at_ms);
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
                let ids: Vec<&str> = item.requirements.iter().map(|r| r.as_str()).collect();
                let message = format!("{}: {step}", ids.join(", "));
                item.failure = Some(failure(message, first_requirement, trace.last().cloned()));
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
        item.replay = Some(format!("ksnsim replay {} --seed {}", item.id, world.seed));
        item.verdict = Verdict::Fail;
        item.failure = Some(failure(message, first_requirement, None));
    }
    item
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

/// cucumber's account of a failed step, without its framing.
fn plain(error: &str) -> String {
    error
        .trim()
        .trim_start_matches("Step panicked. Captured output:")
        .trim()
        .to_owned()
}
