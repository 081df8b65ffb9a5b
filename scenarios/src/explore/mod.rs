//! `ksnsim explore`: search the fault space for a violation of a requirement, and hand it back as a minimal
//! scenario in the step library's own words.
//!
//! - [`world_shape`]: the generated world (KSN servers, proxies, endpoints) as Given steps;
//! - [`actions`]: what can happen next (users, administrators, the application, faults, time);
//! - [`model`]: the reference model that keeps only meaningful steps and writes each as a When step;
//! - [`around`]: a scenario to start from (`FEATURE:LINE`); [`from_topology`]: a topology file as the world;
//! - [`search`]: runs schedules under a budget, checks each run by every invariant, and shrinks the first
//!   violation (proptest's shrinking: fewer steps, smaller values, fewer hosts) to one that still violates
//!   the same requirement;
//! - [`feature_text`]: schedules as Gherkin; [`coverage`]: requirement x fault coverage; [`report`]: the summary.
//!
//! Generation and shrinking are plain proptest strategies over (world, actions), rather than
//! proptest-state-machine's `ReferenceStateMachine`: its strategies are built from `fn` pointers, which cannot
//! carry the scenario `explore FEATURE:LINE` starts from, and it couples the shrinking of the world to that of
//! the actions. Here the world and the actions shrink independently (actions name hosts by index), and the
//! model applies its preconditions when a schedule is written down, so every shrunk schedule is still valid.

pub mod actions;
pub mod around;
pub mod coverage;
pub mod feature_text;
pub mod from_topology;
pub mod model;
pub mod report;
pub mod search;
pub mod world_shape;

use std::path::PathBuf;
use std::time::Duration;

pub use around::{AroundError, StartingScenario, parse_place, read_scenario};
pub use coverage::Coverage;
pub use from_topology::starting_world;
pub use search::explore;

/// What `ksnsim explore` searches, and for how long.
#[derive(Debug, Clone)]
pub struct ExploreOptions {
    /// The suite root (scenario ids are relative to its parent).
    pub features_dir: PathBuf,
    /// Generated worlds, or around a scenario.
    pub start: Start,
    /// Stop searching after this long (checked between batches)...
    pub budget: Option<Duration>,
    /// ... or after this many runs, whichever comes first.
    pub max_runs: Option<u64>,
    /// The search's seed: the same seed gives the same schedules, in the same order, and the same finding.
    pub seed: u64,
    /// At most this many generated actions per schedule.
    pub max_steps: usize,
    /// At most this many endpoints in a generated world.
    pub max_endpoints: usize,
    /// Schedules run together in one suite run (on the runtime's threads).
    pub batch: usize,
    /// Shrinking stops after this many runs, or this long, keeping the smallest failure so far.
    pub shrink_runs: u64,
    pub shrink_time: Duration,
    /// Where the feature file of a violation (and the summary) is written.
    pub out_dir: PathBuf,
    /// The command line, for the feature file's provenance comment.
    pub command: String,
}

impl ExploreOptions {
    pub fn new(features_dir: impl Into<PathBuf>, out_dir: impl Into<PathBuf>) -> Self {
        Self {
            features_dir: features_dir.into(),
            start: Start::Generated,
            budget: Some(Duration::from_secs(60)),
            max_runs: None,
            seed: 1,
            max_steps: 16,
            max_endpoints: 3,
            batch: 8,
            shrink_runs: 400,
            shrink_time: Duration::from_secs(120),
            out_dir: out_dir.into(),
            command: "ksnsim explore".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub enum Start {
    /// Worlds generated from the whole vocabulary.
    Generated,
    /// The scenario's world and When steps first, generated actions and faults interleaved.
    Around(StartingScenario),
}

/// Where a search stands, for a progress line.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub runs: u64,
    pub elapsed: Duration,
    pub requirements_exercised: usize,
    /// Runs a step of which the world refused (a gap in the model, never a finding).
    pub refused: u64,
    pub errors: u64,
    /// The best failure so far: `REQ: N steps`.
    pub best: Option<String>,
}

impl Progress {
    pub fn runs_per_second(&self) -> f64 {
        self.runs as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// A violation found, shrunk and written down.
#[derive(Debug, Clone)]
pub struct Finding {
    pub requirement: String,
    pub invariant: String,
    pub message: String,
    /// The run (0-based) of the search that found it, and how long the search had run by then.
    pub run: u64,
    pub time_to_find: Duration,
    pub steps_before: usize,
    pub steps_after: usize,
    pub shrink_runs: u64,
    pub shrink_time: Duration,
    pub seed: u64,
    pub digest: String,
    /// The written feature file.
    pub feature: PathBuf,
    /// What `ksnsim run` on the written file gave: its requirement and trace digest.
    pub replayed: Option<(String, String)>,
}

impl Finding {
    /// The written file fails under `ksnsim run` with the same requirement and the same trace digest.
    pub fn replays_the_same(&self) -> bool {
        self.replayed
            .as_ref()
            .is_some_and(|(requirement, digest)| *requirement == self.requirement && *digest == self.digest)
    }

    // One account of a finding, for the terminal and for summary.md alike.

    /// `EP-DNS-1 (public DNS only ...) at run 46 after 5.3 s`
    pub fn violated(&self) -> String {
        format!(
            "{} ({}) at run {} after {:.1} s",
            self.requirement,
            self.invariant,
            self.run,
            self.time_to_find.as_secs_f64()
        )
    }

    /// `shrunk from 15 steps to 6 in 24 runs (0.2 s)`
    pub fn shrunk(&self) -> String {
        format!(
            "shrunk from {} steps to {} in {} runs ({:.1} s)",
            self.steps_before,
            self.steps_after,
            self.shrink_runs,
            self.shrink_time.as_secs_f64()
        )
    }

    /// What `ksnsim run` on the written file gave, against what the search saw.
    pub fn replay(&self) -> String {
        if self.replays_the_same() {
            format!(
                "it fails under ksnsim run with {} and trace digest {}",
                self.requirement, self.digest
            )
        } else {
            format!(
                "it DOES NOT replay the same under ksnsim run: it gave {:?}, not {} with digest {}",
                self.replayed, self.requirement, self.digest
            )
        }
    }
}

/// What a search did and found.
#[derive(Debug, Clone, Default)]
pub struct ExploreOutcome {
    pub progress: Progress,
    /// Distinct schedules run (as written: two generated schedules the model writes alike count once).
    pub distinct: u64,
    pub coverage: Coverage,
    pub finding: Option<Finding>,
    /// Every requirement an invariant guards, exercised or not.
    pub guarded: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ExploreError {
    #[error(transparent)]
    Suite(#[from] crate::SuiteError),
    #[error(transparent)]
    Around(#[from] AroundError),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("could not generate a schedule: {0}")]
    Generate(String),
    #[error("every run of the first batch stopped at a step, so the world itself cannot run: {0}")]
    WorldRefused(String),
    #[error("the suite ran but gave no result for {0}")]
    NoResult(String),
}
