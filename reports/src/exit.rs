//! The exit codes of every ksnsim command, so release CI can tell a failed requirement from a broken harness.
//!
//! The README lists the same table. Codes never change meaning; new ones get new numbers.

use crate::fold::GateOutcome;

/// Everything that gates passed (or the command had nothing to judge).
pub const SUCCESS: u8 = 0;
/// A verdict failed the gate: the implementation violated a gating requirement. Fix the implementation
/// (or, for a vendor deviation, add a waiver with a reason).
pub const REQUIREMENT_FAILED: u8 = 1;
/// The user's input was wrong: a file that cannot be read or parsed, a bad flag, reports that cannot merge.
pub const BAD_INPUT: u8 = 2;
/// ksnsim itself broke or could not judge (a mock did not start, an item's verdict is `error`).
/// Never blamed on the implementation under test; report it against ksnsim.
pub const HARNESS_ERROR: u8 = 3;
/// A replay's trace digest differs from the recorded one: the run is not deterministic.
pub const NONDETERMINISM: u8 = 4;

/// The exit code for a gate decision: a blocking failure wins over a blocking error, since it is a
/// definite finding about the implementation that no re-run of the errored items can undo.
pub fn for_gate(outcome: &GateOutcome) -> u8 {
    if !outcome.failed.is_empty() {
        REQUIREMENT_FAILED
    } else if !outcome.errored.is_empty() {
        HARNESS_ERROR
    } else {
        SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(failed: &[&str], errored: &[&str]) -> GateOutcome {
        GateOutcome {
            failed: failed.iter().map(|id| id.to_string()).collect(),
            errored: errored.iter().map(|id| id.to_string()).collect(),
            tolerated: vec!["PX-STALE-1/grace".to_owned()],
        }
    }

    #[test]
    fn failure_wins_over_error_and_tolerated_items_do_not_count() {
        assert_eq!(for_gate(&outcome(&[], &[])), SUCCESS);
        assert_eq!(for_gate(&outcome(&["a"], &[])), REQUIREMENT_FAILED);
        assert_eq!(for_gate(&outcome(&[], &["b"])), HARNESS_ERROR);
        assert_eq!(for_gate(&outcome(&["a"], &["b"])), REQUIREMENT_FAILED);
    }
}
