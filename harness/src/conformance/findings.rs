//! What a check found: evidence lines in the order they happened, the expectations that failed, and the
//! verdict they add up to. A check never decides its verdict any other way.

use ksnsim_reports::Verdict;

/// The end of one check: its verdict, a one-line reason, and the evidence behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub verdict: Verdict,
    pub reason: String,
    pub evidence: Vec<String>,
}

impl Outcome {
    pub(crate) fn new(verdict: Verdict, reason: impl Into<String>, evidence: Vec<String>) -> Self {
        Self {
            verdict,
            reason: reason.into(),
            evidence,
        }
    }

    /// Nothing ran, for `reason` (a missing flag, a filter, a proxy ksnsim cannot restart).
    pub(crate) fn not_tested(reason: impl Into<String>) -> Self {
        Self::new(Verdict::NotTested, reason, Vec::new())
    }

    /// ksnsim could not judge: its own part broke, or the proxy could not be started.
    pub(crate) fn error(reason: impl Into<String>, evidence: Vec<String>) -> Self {
        Self::new(Verdict::Error, reason, evidence)
    }
}

/// Evidence collected while a check runs, and the expectations that did not hold.
#[derive(Debug, Default)]
pub(crate) struct Findings {
    evidence: Vec<String>,
    failures: Vec<String>,
    broken: Option<String>,
    undecided: Option<String>,
}

impl Findings {
    /// Records a line of evidence (what was sent, what came back, what the upstream saw).
    pub(crate) fn note(&mut self, line: impl Into<String>) {
        self.evidence.push(line.into());
    }

    /// Records whether `what` held; a failed expectation fails the check. Returns `ok`.
    pub(crate) fn expect(&mut self, ok: bool, what: impl Into<String>) -> bool {
        let what = what.into();
        if ok {
            self.evidence.push(format!("ok: {what}"));
        } else {
            self.evidence.push(format!("FAILED: {what}"));
            self.failures.push(what);
        }
        ok
    }

    /// Like [`expect`](Self::expect), and when `ok` is false the evidence and the reason also say what was
    /// `seen` instead (a status, an error code, the first bytes of a body, what the upstream got).
    pub(crate) fn expect_seen(
        &mut self,
        ok: bool,
        what: impl Into<String>,
        seen: impl FnOnce() -> String,
    ) -> bool {
        if ok {
            return self.expect(true, what);
        }
        let what = format!("{}; seen: {}", what.into(), seen());
        self.expect(false, what)
    }

    /// Records that ksnsim's own side broke (a mock would not restart): the check errors, whatever else held.
    pub(crate) fn harness_broke(&mut self, what: impl Into<String>) {
        let what = what.into();
        self.evidence.push(format!("ERROR (ksnsim): {what}"));
        self.broken.get_or_insert(what);
    }

    /// Records that what was seen cannot decide the check (the proxy sent nothing that could be judged): the
    /// check errors unless an expectation failed, which stays a failure.
    pub(crate) fn undecided(&mut self, what: impl Into<String>) {
        let what = what.into();
        self.evidence.push(format!("UNDECIDED: {what}"));
        self.undecided.get_or_insert(what);
    }

    /// Pass with `summary` when every expectation held; else fail, naming the first that did not.
    pub(crate) fn conclude(self, summary: impl Into<String>) -> Outcome {
        if let Some(broken) = self.broken {
            return Outcome::error(format!("ksnsim could not judge: {broken}"), self.evidence);
        }
        if let (Some(undecided), []) = (&self.undecided, self.failures.as_slice()) {
            return Outcome::error(format!("ksnsim could not judge: {undecided}"), self.evidence);
        }
        match self.failures.as_slice() {
            [] => Outcome::new(Verdict::Pass, summary, self.evidence),
            [only] => Outcome::new(Verdict::Fail, format!("expected: {only}"), self.evidence),
            [first, rest @ ..] => Outcome::new(
                Verdict::Fail,
                format!("expected: {first} (and {} more)", rest.len()),
                self.evidence,
            ),
        }
    }

    /// For optional behaviour (MAY): pass with `summary` when every expectation held, else not applicable
    /// because of `absent` (what the proxy does instead). Never a failure.
    pub(crate) fn conclude_optional(self, summary: impl Into<String>, absent: impl Into<String>) -> Outcome {
        let outcome = self.conclude(summary);
        match outcome.verdict {
            Verdict::Fail => Outcome::new(Verdict::NotApplicable, absent, outcome.evidence),
            _ => outcome,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_failed_expectation_is_the_reason() {
        let mut findings = Findings::default();
        findings.note("sent x");
        assert!(findings.expect(true, "a"));
        assert!(!findings.expect(false, "b"));
        findings.expect(false, "c");
        let outcome = findings.conclude("all good");
        assert_eq!(outcome.verdict, Verdict::Fail);
        assert_eq!(outcome.reason, "expected: b (and 1 more)");
        assert_eq!(outcome.evidence, ["sent x", "ok: a", "FAILED: b", "FAILED: c"]);
    }

    #[test]
    fn a_failed_expectation_says_what_was_seen() {
        let mut findings = Findings::default();
        findings.expect_seen(true, "got 413", || unreachable!("only asked on failure"));
        findings.expect_seen(false, "got 400 bad_request", || {
            "413, body not JSON: <html>".to_owned()
        });
        let outcome = findings.conclude("-");
        assert_eq!(
            outcome.reason,
            "expected: got 400 bad_request; seen: 413, body not JSON: <html>"
        );
        assert_eq!(
            outcome.evidence,
            [
                "ok: got 413",
                "FAILED: got 400 bad_request; seen: 413, body not JSON: <html>"
            ]
        );
    }

    #[test]
    fn a_harness_break_is_an_error_and_optional_behaviour_never_fails() {
        let mut broken = Findings::default();
        broken.expect(false, "x");
        broken.harness_broke("mock did not restart");
        assert_eq!(broken.conclude("-").verdict, Verdict::Error);
        let mut optional = Findings::default();
        optional.expect(false, "no stale answer");
        let outcome = optional.conclude_optional("-", "offers no stale answers");
        assert_eq!(
            (outcome.verdict, outcome.reason.as_str()),
            (Verdict::NotApplicable, "offers no stale answers")
        );
        assert_eq!(Findings::default().conclude("fine").verdict, Verdict::Pass);
        let mut undecided = Findings::default();
        undecided.undecided("nothing reached the upstream");
        assert_eq!(undecided.conclude("-").verdict, Verdict::Error);
        let mut failed = Findings::default();
        failed.undecided("nothing reached one upstream");
        failed.expect(false, "nothing reached the other KSN");
        assert_eq!(failed.conclude("-").verdict, Verdict::Fail);
    }
}
