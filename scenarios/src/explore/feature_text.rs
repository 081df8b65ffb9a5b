//! Schedules as Gherkin: the scenarios `ksnsim explore` runs (many to a file, each with its seed pinned by
//! `@seed-N`), and the feature file it hands back for a violation, which reads like a hand-written one and
//! fails under `ksnsim run` the same way.

use super::model::WhenStep;

/// One generated scenario, ready to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedScenario {
    pub name: String,
    /// The world's seed (pinned by a tag, so that the trace does not depend on the file's name or place).
    pub seed: u64,
    pub given: Vec<String>,
    pub when: Vec<WhenStep>,
}

impl GeneratedScenario {
    /// The scenario's text, indented for a feature file; `tags` go on its tag line before the seed.
    pub fn text(&self, tags: &[String]) -> String {
        let mut tag_line: Vec<String> = tags.to_vec();
        tag_line.push(format!("@seed-{}", self.seed));
        let mut out = format!("  {}\n  Scenario: {}\n", tag_line.join(" "), self.name);
        let keyword = |first: &str, index: usize| {
            if index == 0 {
                first.to_owned()
            } else {
                "And".to_owned()
            }
        };
        for (i, step) in self.given.iter().enumerate() {
            out.push_str(&format!("    {} {step}\n", keyword("Given", i)));
        }
        for (i, step) in self.when.iter().enumerate() {
            out.push_str(&format!("    {} {}\n", keyword("When", i), step.text));
        }
        out.push_str("    Then every invariant holds\n");
        out
    }

    /// The steps that make the schedule (Given and When), for "shrunk from N steps".
    pub fn step_count(&self) -> usize {
        self.given.len() + self.when.len()
    }
}

/// A feature file of scenarios to run in one go.
pub fn batch_file(scenarios: &[GeneratedScenario]) -> String {
    let mut out = String::from(
        "# Written by ksnsim explore while it searches; overwritten by its next batch.\n@explore\nFeature: ksnsim explore batch\n",
    );
    for scenario in scenarios {
        out.push('\n');
        out.push_str(&scenario.text(&[]));
    }
    out
}

/// What a found violation's feature file says about where it came from.
#[derive(Debug, Clone)]
pub struct Provenance {
    pub requirement: String,
    pub invariant: String,
    pub message: String,
    /// The command line of the explore run that found it.
    pub command: String,
    pub run: u64,
    pub steps_before: usize,
    pub shrink_runs: u64,
    pub digest: String,
}

/// The feature file for a violation: tagged with its requirement, the seed in a comment, no other noise.
pub fn finding_file(scenario: &GeneratedScenario, provenance: &Provenance) -> String {
    let Provenance {
        requirement,
        invariant,
        message,
        command,
        run,
        steps_before,
        shrink_runs,
        digest,
    } = provenance;
    let mut out = format!(
        "# Found by `{command}`: run {run} violated {requirement}; shrunk from {steps_before} steps to {} in {shrink_runs} runs.\n\
         # It fails under `ksnsim run` with the same requirement and trace digest {digest}.\n\
         @explore @regression\n\
         Feature: {requirement} violated: {invariant}\n",
        scenario.step_count(),
    );
    for line in wrap(message, 100) {
        out.push_str(&format!("  {line}\n"));
    }
    out.push_str(&format!("\n  # seed: {} (explore run {run})\n", scenario.seed));
    out.push_str(&scenario.text(&[format!("@{requirement}")]));
    out
}

/// `text` in lines of at most `width` characters (words are never split).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scenario_reads_like_a_hand_written_one() {
        let scenario = GeneratedScenario {
            name: "explore run 3".into(),
            seed: 42,
            given: vec![
                "a Global KSN".into(),
                r#"an endpoint "ep1" in extended mode"#.into(),
            ],
            when: vec![
                WhenStep {
                    text: "the Global KSN answers garbage".into(),
                    fault: Some("KSN server fault"),
                },
                WhenStep {
                    text: r#""ep1" detects 2 threats"#.into(),
                    fault: None,
                },
            ],
        };
        let text = scenario.text(&["@EP-STAT-1".into()]);
        assert_eq!(
            text,
            "  @EP-STAT-1 @seed-42\n  Scenario: explore run 3\n    Given a Global KSN\n    And an endpoint \"ep1\" in extended mode\n    When the Global KSN answers garbage\n    And \"ep1\" detects 2 threats\n    Then every invariant holds\n"
        );
        assert_eq!(scenario.step_count(), 4);
    }

    #[test]
    fn long_messages_wrap_at_word_boundaries() {
        let lines = wrap("aaa bbb ccc ddd", 7);
        assert_eq!(lines, ["aaa bbb", "ccc ddd"]);
    }
}
