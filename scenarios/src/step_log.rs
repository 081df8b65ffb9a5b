//! What each scenario's steps did, as cucumber reported them: a cucumber writer that keeps, per scenario id,
//! every step's keyword, text, line and outcome. The runner uses it to say *which* step failed (its text is
//! its expectation) and to print one step-by-step account of a failed scenario, in place of cucumber's own
//! summary (which calls a scenario "passed" when its steps passed but an invariant then failed it).

use cucumber::{Event, cli, event, gherkin, parser, writer};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use crate::suite::{ScenarioIds, seeded_id};

/// How one step ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepOutcome {
    Passed,
    /// The step's own message: what it expected and what it saw.
    Failed(String),
    /// No step of the library matches its text.
    Undefined,
}

/// One step of a scenario, as it ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRecord {
    /// `Given`, `When`, `Then`, `And`, ...
    pub keyword: String,
    pub text: String,
    /// Its line in the feature file.
    pub line: usize,
    pub outcome: StepOutcome,
}

impl StepRecord {
    /// The step as written: `Then the Global KSN received 3 reputation requests`.
    pub fn written(&self) -> String {
        format!("{} {}", self.keyword.trim(), self.text)
    }
}

impl fmt::Display for StepRecord {
    /// `  ok    12  Given a Global KSN`, with a failure's message on the next lines.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mark = match self.outcome {
            StepOutcome::Passed => "ok  ",
            StepOutcome::Failed(_) => "FAIL",
            StepOutcome::Undefined => "??  ",
        };
        write!(f, "  {mark} {:>4}  {}", self.line, self.written())?;
        match &self.outcome {
            StepOutcome::Failed(message) => {
                write!(f, "\n              {}", message.replace('\n', "\n              "))
            }
            StepOutcome::Undefined => write!(f, "\n              no step of the library matches this text"),
            StepOutcome::Passed => Ok(()),
        }
    }
}

/// Every scenario's steps so far, by scenario id (`features/x.feature:LINE`), in the order they ran.
#[derive(Debug, Clone, Default)]
pub struct StepLog(Arc<Mutex<BTreeMap<String, Vec<StepRecord>>>>);

impl StepLog {
    /// The steps of every scenario, taken out of the log.
    pub fn take(&self) -> BTreeMap<String, Vec<StepRecord>> {
        std::mem::take(&mut *self.0.lock().expect("step log lock is never poisoned"))
    }

    fn record(&self, id: String, record: StepRecord) {
        self.0
            .lock()
            .expect("step log lock is never poisoned")
            .entry(id)
            .or_default()
            .push(record);
    }
}

/// The cucumber writer that fills a [`StepLog`].
pub struct StepLogWriter {
    log: StepLog,
    ids: ScenarioIds,
    /// The seed index of this pass (`--seeds`): records go under `ID#index`.
    index: u64,
}

impl StepLogWriter {
    pub fn new(log: StepLog, ids: ScenarioIds, index: u64) -> Self {
        Self { log, ids, index }
    }

    fn on_step<W>(
        &self,
        feature: &gherkin::Feature,
        scenario: &gherkin::Scenario,
        step: &gherkin::Step,
        ev: &event::Step<W>,
    ) {
        let outcome = match ev {
            event::Step::Started => return,
            event::Step::Passed(..) => StepOutcome::Passed,
            event::Step::Skipped => StepOutcome::Undefined,
            event::Step::Failed(_, _, _, err) => StepOutcome::Failed(step_error(err)),
        };
        let record = StepRecord {
            keyword: step.keyword.clone(),
            text: step.value.clone(),
            line: step.position.line,
            outcome,
        };
        self.log
            .record(seeded_id(&self.ids.id(feature, scenario), self.index), record);
    }
}

impl<W: 'static> cucumber::Writer<W> for StepLogWriter {
    type Cli = cli::Empty;

    async fn handle_event(&mut self, event: parser::Result<Event<event::Cucumber<W>>>, _: &Self::Cli) {
        let Ok(Event {
            value: event::Cucumber::Feature(feature, ev),
            ..
        }) = event
        else {
            return;
        };
        let (scenario, retryable) = match ev {
            event::Feature::Scenario(scenario, retryable) => (scenario, retryable),
            event::Feature::Rule(_, event::Rule::Scenario(scenario, retryable)) => (scenario, retryable),
            _ => return,
        };
        match &retryable.event {
            event::Scenario::Step(step, ev) | event::Scenario::Background(step, ev) => {
                self.on_step(&feature, &scenario, step, ev);
            }
            _ => {}
        }
    }
}

impl writer::Normalized for StepLogWriter {}

/// A step's failure as the step put it, without cucumber's framing.
pub fn step_error(err: &event::StepError) -> String {
    match err {
        event::StepError::Panic(payload) => payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "the step panicked".to_owned()),
        other => plain(&other.to_string()),
    }
}

/// cucumber's account of a failed step, without its framing.
pub fn plain(error: &str) -> String {
    error
        .trim()
        .trim_start_matches("Step panicked. Captured output:")
        .trim()
        .to_owned()
}

/// The hosts a step's text names: its quoted names (`"dp1"`) and the world's own servers by their phrases.
pub fn hosts_named(text: &str) -> Vec<String> {
    use ksnsim_harness::world::hostnames::{GLOBAL_KSN, PRIVATE_KSN, ROGUE, SYSTEM_DNS};
    let mut hosts: Vec<String> = text
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|name| !name.is_empty() && !name.contains('/') && !name.contains(' '))
        .map(str::to_owned)
        .collect();
    for (phrase, host) in [
        ("Global KSN", GLOBAL_KSN),
        ("Private KSN", PRIVATE_KSN),
        ("system DNS", SYSTEM_DNS),
        ("rogue server", ROGUE),
    ] {
        if text.contains(phrase) {
            hosts.push(host.to_owned());
        }
    }
    hosts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_names_its_quoted_hosts_and_the_servers_it_mentions() {
        assert_eq!(
            hosts_named(r#"the Global KSN received nothing from "bank""#),
            ["bank", "ksn-global"]
        );
        assert_eq!(
            hosts_named(r#""ep1" looks up the URL "https://a.test/x""#),
            ["ep1"]
        );
        assert!(hosts_named("16 minutes pass").is_empty());
    }

    #[test]
    fn a_failed_step_prints_its_line_text_and_message() {
        let record = StepRecord {
            keyword: "Then ".into(),
            text: "the Global KSN received 3 reputation requests".into(),
            line: 27,
            outcome: StepOutcome::Failed("reputation requests at the Global KSN: 1, expected 3".into()),
        };
        let shown = record.to_string();
        assert!(
            shown.contains("FAIL   27  Then the Global KSN received 3 reputation requests"),
            "{shown}"
        );
        assert!(shown.contains("1, expected 3"), "{shown}");
    }
}
