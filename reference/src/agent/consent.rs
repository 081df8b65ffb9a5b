//! Acceptance of the KSN Statement: nothing is sent before it (EP-STMT-1); a newer version may be accepted
//! or declined (EP-STMT-2); acceptance may be withdrawn in full or in part (EP-STMT-3).
//!
//! Pure state machine: each input consumes the state and gives the next, plus the actions it requires.

use serde::{Deserialize, Serialize};

use crate::protocol::StatementVersion;

/// The kinds of data a Statement covers; a partial withdrawal names some of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DataKinds {
    /// Reputation requests (file and URL lookups).
    pub lookups: bool,
    /// Statistics records and file samples.
    pub statistics: bool,
}

impl DataKinds {
    pub const ALL: Self = Self {
        lookups: true,
        statistics: true,
    };
    pub const STATISTICS: Self = Self {
        lookups: false,
        statistics: true,
    };

    pub fn union(self, other: Self) -> Self {
        Self {
            lookups: self.lookups || other.lookups,
            statistics: self.statistics || other.statistics,
        }
    }

    pub fn name(self) -> &'static str {
        match (self.lookups, self.statistics) {
            (true, true) => "all data",
            (true, false) => "lookups",
            (false, true) => "statistics",
            (false, false) => "nothing",
        }
    }
}

/// Where the endpoint stands with the Statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum Consent {
    /// Never accepted (or declined the first one): no KSN traffic at all.
    AwaitingStatement,
    /// Working under `version`; `offered` is a newer version shown but not yet decided on.
    Accepted {
        version: StatementVersion,
        offered: Option<StatementVersion>,
    },
    /// Acceptance of `version` withdrawn for `kinds`; the other kinds still flow under it.
    Withdrawn {
        version: StatementVersion,
        kinds: DataKinds,
    },
}

/// What the user or administrator does about the Statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentInput {
    /// A newer Statement is shown (after an update of the application or Administration Server).
    Offer(StatementVersion),
    Accept(StatementVersion),
    Decline(StatementVersion),
    Withdraw(DataKinds),
}

/// What the agent must do after a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentAction {
    /// Delete queued, unsent statistics (EP-STMT-3).
    DeleteQueuedStatistics,
}

/// An input that does not apply in the current state; nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {input} while {state}")]
pub struct ConsentError {
    pub state: &'static str,
    pub input: String,
}

impl Consent {
    /// Applies `input`, pushing the actions it requires onto `out`.
    pub fn apply(self, input: ConsentInput, out: &mut Vec<ConsentAction>) -> Result<Self, ConsentError> {
        use ConsentInput::*;
        Ok(match (self, input) {
            (Self::AwaitingStatement, Accept(version)) => Self::Accepted {
                version,
                offered: None,
            },
            (Self::AwaitingStatement, Decline(_) | Offer(_)) => Self::AwaitingStatement,
            (Self::Accepted { version, .. }, Offer(newer)) if newer > version => Self::Accepted {
                version,
                offered: Some(newer),
            },
            (Self::Accepted { version, .. }, Accept(newer)) if newer >= version => Self::Accepted {
                version: newer,
                offered: None,
            },
            // EP-STMT-2: declining a newer version keeps working under the one accepted before.
            (Self::Accepted { version, .. }, Decline(newer)) if newer > version => Self::Accepted {
                version,
                offered: None,
            },
            (Self::Accepted { version, .. }, Withdraw(kinds)) => {
                if kinds.statistics {
                    out.push(ConsentAction::DeleteQueuedStatistics);
                }
                Self::Withdrawn { version, kinds }
            }
            (Self::Withdrawn { version, kinds }, Withdraw(more)) => {
                if more.statistics {
                    out.push(ConsentAction::DeleteQueuedStatistics);
                }
                Self::Withdrawn {
                    version,
                    kinds: kinds.union(more),
                }
            }
            (Self::Withdrawn { version, .. }, Accept(again)) if again >= version => Self::Accepted {
                version: again,
                offered: None,
            },
            (state, input) => {
                return Err(ConsentError {
                    state: state.name(),
                    input: format!("{input:?}"),
                });
            }
        })
    }

    /// Whether data of `kind` may leave the device.
    pub fn allows(&self, kind: DataKinds) -> bool {
        match self {
            Self::AwaitingStatement => false,
            Self::Accepted { .. } => true,
            Self::Withdrawn { kinds, .. } => {
                !(kind.lookups && kinds.lookups || kind.statistics && kinds.statistics)
            }
        }
    }

    /// The version sent in `KSN-Statement`, if any traffic is allowed at all.
    pub fn version(&self) -> Option<StatementVersion> {
        match self {
            Self::AwaitingStatement => None,
            Self::Accepted { version, .. } | Self::Withdrawn { version, .. } => Some(*version),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::AwaitingStatement => "awaiting statement",
            Self::Accepted { .. } => "accepted",
            Self::Withdrawn { .. } => "withdrawn",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConsentInput::*;

    fn v(n: u32) -> StatementVersion {
        StatementVersion(n)
    }

    fn run(inputs: &[ConsentInput]) -> (Consent, Vec<ConsentAction>) {
        let mut out = Vec::new();
        let state = inputs
            .iter()
            .fold(Consent::AwaitingStatement, |s, i| s.apply(*i, &mut out).unwrap());
        (state, out)
    }

    #[test]
    fn ep_stmt_1_nothing_is_allowed_before_acceptance() {
        let (state, _) = run(&[Offer(v(1)), Decline(v(1))]);
        assert!(!state.allows(DataKinds {
            lookups: true,
            statistics: false
        }));
        assert_eq!(state.version(), None);
    }

    #[test]
    fn ep_stmt_2_declining_keeps_the_old_version_accepting_moves() {
        let (declined, _) = run(&[Accept(v(1)), Offer(v(2)), Decline(v(2))]);
        assert_eq!(declined.version(), Some(v(1)));
        assert!(declined.allows(DataKinds::ALL));
        let (accepted, _) = run(&[Accept(v(1)), Offer(v(2)), Accept(v(2))]);
        assert_eq!(accepted.version(), Some(v(2)));
    }

    #[test]
    fn ep_stmt_3_partial_withdrawal_stops_statistics_and_deletes_the_queue() {
        let (state, actions) = run(&[Accept(v(1)), Withdraw(DataKinds::STATISTICS)]);
        assert_eq!(actions, [ConsentAction::DeleteQueuedStatistics]);
        assert!(state.allows(DataKinds {
            lookups: true,
            statistics: false
        }));
        assert!(!state.allows(DataKinds::STATISTICS));
        let (full, _) = run(&[
            Accept(v(1)),
            Withdraw(DataKinds::STATISTICS),
            Withdraw(DataKinds::ALL),
        ]);
        assert!(!full.allows(DataKinds {
            lookups: true,
            statistics: false
        }));
        let (again, _) = run(&[Accept(v(1)), Withdraw(DataKinds::ALL), Accept(v(1))]);
        assert!(again.allows(DataKinds::ALL));
    }

    #[test]
    fn inputs_that_do_not_apply_are_errors_and_change_nothing() {
        let err = Consent::AwaitingStatement
            .apply(Withdraw(DataKinds::ALL), &mut Vec::new())
            .unwrap_err();
        assert_eq!(err.state, "awaiting statement");
        let accepted = Consent::Accepted {
            version: v(3),
            offered: None,
        };
        assert!(
            accepted.apply(Accept(v(2)), &mut Vec::new()).is_err(),
            "no going back to an older version"
        );
        for shown in [v(2), v(3)] {
            assert!(
                accepted.apply(Offer(shown), &mut Vec::new()).is_err(),
                "only a newer version is offered: {shown:?}"
            );
        }
        assert!(
            accepted.apply(Decline(v(3)), &mut Vec::new()).is_err(),
            "the version worked under cannot be declined, only withdrawn"
        );
        let withdrawn = Consent::Withdrawn {
            version: v(3),
            kinds: DataKinds::ALL,
        };
        assert!(
            withdrawn.apply(Accept(v(2)), &mut Vec::new()).is_err(),
            "accepting again after a withdrawal is not a way back to an older version"
        );
        assert!(withdrawn.apply(Accept(v(3)), &mut Vec::new()).is_ok());
    }
}
