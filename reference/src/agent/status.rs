//! The status the application shows for KSN (EP-STATUS-1, EP-RATE-1): the mode in effect, whether KSN is
//! available (a successful exchange within the last 15 minutes), and "enabled with restrictions" while
//! rate-limited. Pure: computed from the agent's state and `now`.

use serde::Serialize;
use std::time::Duration;
use tokio::time::Instant;

use super::settings::Participation;
use super::task::TaskState;

/// KSN counts as unavailable when the last successful exchange is older than this.
pub const AVAILABILITY_WINDOW: Duration = Duration::from_secs(15 * 60);

/// What the application reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    /// "Extended", "Basic", "Save to file" or "Off".
    pub ksn: &'static str,
    /// "running", "stopped", "authentication error", "license violation".
    pub task: &'static str,
    /// "awaiting statement", "accepted", "withdrawn".
    pub consent: &'static str,
    pub statement_version: Option<u32>,
    pub available: bool,
    pub restricted: bool,
    pub queued_statistics: usize,
    pub overflowed_statistics: u64,
    pub deleted_statistics: u64,
    /// One line, as the product would show it: e.g. "Extended", "Extended, unavailable",
    /// "Basic, enabled with restrictions", "authentication error".
    pub summary: String,
}

/// The inputs of [`Status`], gathered by the agent.
#[derive(Debug, Clone, Copy)]
pub struct StatusInputs {
    pub participation: Participation,
    pub task: TaskState,
    pub consent: &'static str,
    pub statement_version: Option<u32>,
    /// When the last exchange succeeded, or when the task started if none has yet.
    pub last_success: Option<Instant>,
    pub restricted_until: Option<Instant>,
    pub queued: usize,
    pub overflowed: u64,
    pub deleted: u64,
}

impl StatusInputs {
    pub fn status(&self, now: Instant) -> Status {
        let ksn = match self.participation {
            Participation::Extended => "Extended",
            Participation::Basic => "Basic",
            Participation::SaveToFile => "Save to file",
            Participation::Off => "Off",
        };
        let sends = matches!(self.participation, Participation::Extended | Participation::Basic);
        let available = sends
            && self.task == TaskState::Running
            && self
                .last_success
                .is_some_and(|at| now.saturating_duration_since(at) <= AVAILABILITY_WINDOW);
        let restricted = self.restricted_until.is_some_and(|until| now < until);
        let summary = match self.task {
            TaskState::AuthenticationError | TaskState::LicenseViolation { .. } => {
                self.task.name().to_owned()
            }
            _ if !sends => ksn.to_owned(),
            TaskState::Stopped => format!("{ksn}, task stopped"),
            _ if !available => format!("{ksn}, unavailable"),
            _ if restricted => format!("{ksn}, enabled with restrictions"),
            _ => ksn.to_owned(),
        };
        Status {
            ksn,
            task: self.task.name(),
            consent: self.consent,
            statement_version: self.statement_version,
            available,
            restricted,
            queued_statistics: self.queued,
            overflowed_statistics: self.overflowed,
            deleted_statistics: self.deleted,
            summary,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(at: Instant) -> StatusInputs {
        StatusInputs {
            participation: Participation::Extended,
            task: TaskState::Running,
            consent: "accepted",
            statement_version: Some(1),
            last_success: Some(at),
            restricted_until: None,
            queued: 0,
            overflowed: 0,
            deleted: 0,
        }
    }

    #[test]
    fn ep_status_1_unavailable_only_after_15_minutes_without_success() {
        let t0 = Instant::now();
        assert_eq!(inputs(t0).status(t0 + AVAILABILITY_WINDOW).summary, "Extended");
        let late = inputs(t0).status(t0 + AVAILABILITY_WINDOW + Duration::from_secs(1));
        assert_eq!(
            (late.available, late.summary.as_str()),
            (false, "Extended, unavailable")
        );
    }

    #[test]
    fn ep_rate_1_restricted_while_retry_after_runs() {
        let t0 = Instant::now();
        let mut i = inputs(t0);
        i.restricted_until = Some(t0 + Duration::from_secs(30));
        assert_eq!(i.status(t0).summary, "Extended, enabled with restrictions");
        assert_eq!(i.status(t0 + Duration::from_secs(30)).summary, "Extended");
    }

    #[test]
    fn task_errors_and_modes_without_traffic_read_as_the_product_says() {
        let t0 = Instant::now();
        let mut i = inputs(t0);
        i.task = TaskState::AuthenticationError;
        assert_eq!(i.status(t0).summary, "authentication error");
        i.task = TaskState::Running;
        i.participation = Participation::Off;
        assert_eq!(
            (i.status(t0).summary.as_str(), i.status(t0).available),
            ("Off", false)
        );
    }
}
