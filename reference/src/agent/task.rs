//! The KSN Usage task (seed 004) as a state machine: it runs only with the Statement accepted, stops with
//! "authentication error" when a Private KSN rejects the license (EP-LIC-1) and with "license violation"
//! when Private KSN is disabled under it (EP-LIC-2), and comes back only the way the seeds say.
//!
//! Pure: inputs in, next state out.

use serde::{Deserialize, Serialize};

/// The task's state, as the application reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum TaskState {
    Stopped,
    Running,
    /// The Private KSN rejected the license key: no data is exchanged, no fallback to Global KSN. Only a
    /// check of the key continues, and the task recovers once the provider registered it (EP-LIC-1).
    AuthenticationError,
    /// Private KSN was disabled while the task ran; it runs again only after the Statement is accepted
    /// (`accepted_since`) and the task restarted (EP-LIC-2).
    LicenseViolation {
        accepted_since: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskInput {
    /// Start the task; needs an accepted Statement (`consented`).
    Start {
        consented: bool,
    },
    Stop,
    /// The Private KSN answered 401 license_not_registered.
    LicenseRejected,
    /// An exchange with the Private KSN succeeded with the current key.
    LicenseAccepted,
    /// Private KSN was switched off while in use.
    PrivateKsnDisabled,
    /// The Statement was accepted (again).
    StatementAccepted,
}

/// Why an input was refused; the state is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaskError {
    #[error("the KSN Statement must be accepted before the KSN Usage task can start")]
    StatementNotAccepted,
    #[error("license violation: accept the KSN Statement, then restart the task")]
    LicenseViolation,
}

impl TaskState {
    pub fn apply(self, input: TaskInput) -> Result<Self, TaskError> {
        use TaskInput::*;
        Ok(match (self, input) {
            (
                Self::LicenseViolation {
                    accepted_since: false,
                },
                Start { .. },
            ) => return Err(TaskError::LicenseViolation),
            (_, Start { consented: false }) => return Err(TaskError::StatementNotAccepted),
            (Self::Running | Self::AuthenticationError, Start { .. }) => self,
            (Self::Stopped | Self::LicenseViolation { accepted_since: true }, Start { .. }) => Self::Running,
            // The violation already stopped the task: stopping it again clears nothing. Only acceptance of the
            // Statement followed by a start brings it back (EP-LIC-2, seed 004).
            (Self::LicenseViolation { .. }, Stop) => self,
            (_, Stop) => Self::Stopped,
            (Self::Running, LicenseRejected) => Self::AuthenticationError,
            (Self::AuthenticationError, LicenseAccepted) => Self::Running,
            (Self::Running | Self::AuthenticationError, PrivateKsnDisabled) => Self::LicenseViolation {
                accepted_since: false,
            },
            (Self::LicenseViolation { .. }, StatementAccepted) => {
                Self::LicenseViolation { accepted_since: true }
            }
            (state, _) => state,
        })
    }

    /// The words the application shows.
    pub fn name(self) -> &'static str {
        match self {
            Self::Stopped => "stopped",
            Self::Running => "running",
            Self::AuthenticationError => "authentication error",
            Self::LicenseViolation { .. } => "license violation",
        }
    }

    /// Whether KSN data (lookups, statistics) may be exchanged in this state.
    pub fn exchanges_data(self) -> bool {
        self == Self::Running
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TaskInput::*;

    #[test]
    fn task_needs_an_accepted_statement() {
        assert_eq!(
            TaskState::Stopped.apply(Start { consented: false }),
            Err(TaskError::StatementNotAccepted)
        );
        assert_eq!(
            TaskState::Stopped.apply(Start { consented: true }),
            Ok(TaskState::Running)
        );
    }

    #[test]
    fn ep_lic_1_rejected_license_is_an_authentication_error_until_accepted() {
        let state = TaskState::Running.apply(LicenseRejected).unwrap();
        assert_eq!(state.name(), "authentication error");
        assert!(!state.exchanges_data());
        assert_eq!(state.apply(LicenseAccepted), Ok(TaskState::Running));
        assert!(
            TaskState::Running.exchanges_data(),
            "only a running task exchanges data"
        );
    }

    #[test]
    fn ep_lic_2_license_violation_needs_acceptance_and_restart() {
        let state = TaskState::Running.apply(PrivateKsnDisabled).unwrap();
        assert_eq!(state.name(), "license violation");
        assert_eq!(
            state.apply(Start { consented: true }),
            Err(TaskError::LicenseViolation)
        );
        let accepted = state.apply(StatementAccepted).unwrap();
        assert_eq!(
            accepted.name(),
            "license violation",
            "acceptance alone does not restart the task"
        );
        assert_eq!(accepted.apply(Start { consented: true }), Ok(TaskState::Running));
    }

    #[test]
    fn ep_lic_2_stopping_and_starting_the_task_does_not_clear_a_license_violation() {
        let violation = TaskState::Running.apply(PrivateKsnDisabled).unwrap();
        let stopped = violation.apply(Stop).unwrap();
        assert_eq!(
            stopped.name(),
            "license violation",
            "a stop does not clear the violation"
        );
        assert_eq!(
            stopped.apply(Start { consented: true }),
            Err(TaskError::LicenseViolation),
            "a restart without accepting the Statement again must not run the task"
        );
        let accepted = stopped.apply(StatementAccepted).unwrap();
        assert_eq!(accepted.apply(Stop), Ok(accepted));
        assert_eq!(accepted.apply(Start { consented: true }), Ok(TaskState::Running));
    }
}
