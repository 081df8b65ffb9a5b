//! The proxy under test as a process group of its own, so that stopping it stops every process it started:
//! proxies with worker processes (the usual design) fork, and killing only the one process ksnsim started
//! would leave the workers listening on loopback after the run (issue 12, item 6).
//!
//! Stopping is SIGTERM to the group, a bounded wait for the whole group to be gone (the leader reaped), then
//! SIGKILL to the group and another bounded wait. Dropping a group that was not stopped kills it at once.
//! A member that has exited but whose parent has not reaped it (a zombie: workers are reparented to PID 1,
//! which in a container may reap late) holds no socket and runs no code, so it counts as gone; on Linux
//! `/proc` tells zombies apart, elsewhere a signal test counts them as members.

use rustix::process::{Pid, Signal, kill_process_group, test_kill_process_group};
use std::io;
use std::time::Duration;
use tokio::process::{Child, Command};
use tokio::time::Instant;

/// How long the group gets to exit after SIGTERM before SIGKILL.
pub(crate) const TERM_GRACE: Duration = Duration::from_secs(5);
/// How long SIGKILL gets to take effect (it cannot be caught; this only covers a slow machine).
const KILL_GRACE: Duration = Duration::from_secs(2);
/// How often the group is polled while it is stopping.
const POLL: Duration = Duration::from_millis(20);

/// A child process that leads a process group of its own.
#[derive(Debug)]
pub(crate) struct ProcessGroup {
    child: Child,
    /// The group's id (the leader's pid); `None` once the whole group is known to be gone.
    pgid: Option<Pid>,
}

/// How a stop went, for evidence and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stopped {
    /// Every process of the group exited after SIGTERM.
    OnTerm,
    /// Some process was still there after [`TERM_GRACE`] and got SIGKILL.
    Killed,
    /// Even SIGKILL left a process (e.g. one stuck in the kernel): it is reported, not waited for.
    Lingering,
}

impl ProcessGroup {
    /// Spawns `command` as the leader of a new process group.
    pub(crate) fn spawn(command: &mut Command) -> io::Result<Self> {
        let child = command.process_group(0).spawn()?;
        let pgid = child
            .id()
            .and_then(|pid| i32::try_from(pid).ok())
            .and_then(Pid::from_raw);
        Ok(Self { child, pgid })
    }

    /// The leader's process, for its pipes and its exit status.
    pub(crate) fn leader(&mut self) -> &mut Child {
        &mut self.child
    }

    /// The group's id, while it may still have members.
    pub(crate) fn pgid(&self) -> Option<i32> {
        self.pgid.map(Pid::as_raw_nonzero).map(i32::from)
    }

    /// SIGTERM to the group, a bounded wait, SIGKILL to whatever is left, and the leader reaped.
    pub(crate) async fn stop(mut self) -> Stopped {
        self.signal(Signal::TERM);
        if self.wait_gone(TERM_GRACE).await {
            return Stopped::OnTerm;
        }
        self.signal(Signal::KILL);
        if self.wait_gone(KILL_GRACE).await {
            Stopped::Killed
        } else {
            Stopped::Lingering
        }
    }

    fn signal(&self, signal: Signal) {
        if let Some(pgid) = self.pgid {
            // ESRCH: the group is already gone, which is what was wanted.
            let _ = kill_process_group(pgid, signal);
        }
    }

    /// Reaps the leader and polls until no process of the group is left, or `bound` passes.
    async fn wait_gone(&mut self, bound: Duration) -> bool {
        let deadline = Instant::now() + bound;
        loop {
            // A leader that exited stays a zombie (and a member of its group) until reaped.
            let _ = self.child.try_wait();
            let Some(pgid) = self.pgid else { return true };
            let alive = live_members(pgid.as_raw_nonzero().get())
                .map_or_else(|| test_kill_process_group(pgid).is_ok(), |members| members > 0);
            if !alive {
                self.pgid = None;
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

/// How many processes of group `pgid` are running (not zombies), from `/proc`; `None` without a `/proc`.
pub(crate) fn live_members(pgid: i32) -> Option<usize> {
    running_members(pgid).map(|members| members.len())
}

/// The sum of `read` over the file `/proc/PID/{file}` of each running process of group `pgid` (the benchmark's
/// memory and CPU figures); `None` without a `/proc`, or when no member's file could be read.
pub(crate) fn sum_over_members(pgid: i32, file: &str, read: impl Fn(&str) -> Option<u64>) -> Option<u64> {
    let values: Vec<u64> = running_members(pgid)?
        .iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/{file}")).ok())
        .filter_map(|contents| read(&contents))
        .collect();
    (!values.is_empty()).then(|| values.iter().sum())
}

/// The pids of the processes of group `pgid` that are running (not zombies), from `/proc`; `None` without a
/// `/proc`. The benchmark reads their memory; stopping counts them.
pub(crate) fn running_members(pgid: i32) -> Option<Vec<i32>> {
    let entries = std::fs::read_dir("/proc").ok()?;
    let mut live = Vec::new();
    for entry in entries.flatten() {
        // Only the numeric entries are processes; one that exits meanwhile simply has no stat any more.
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        if let Some((state, group)) = state_and_group(&stat)
            && group == pgid
            && !matches!(state, 'Z' | 'X')
        {
            live.push(pid);
        }
    }
    Some(live)
}

/// The state letter and the process group of a `/proc/PID/stat` line: `pid (comm) state ppid pgrp ...`, where
/// `comm` may itself contain spaces and parentheses (so the fields are read after the last `)`).
fn state_and_group(stat: &str) -> Option<(char, i32)> {
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_ascii_whitespace();
    let state = fields.next()?.chars().next()?;
    let _ppid = fields.next()?;
    let group = fields.next()?.parse().ok()?;
    Some((state, group))
}

impl Drop for ProcessGroup {
    /// A group nobody stopped (an error path, a panic) is killed, so that nothing outlives the run.
    fn drop(&mut self) {
        self.signal(Signal::KILL);
        let _ = self.child.try_wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stat_line_gives_state_and_group_even_with_parentheses_in_the_name() {
        let stat = "4242 (nginx: worker (1)) S 4200 4200 4200 0 -1 4194624 0 0";
        assert_eq!(state_and_group(stat), Some(('S', 4200)));
        assert_eq!(state_and_group("12 (sleep) Z 1 9 9 0"), Some(('Z', 9)));
        assert_eq!(state_and_group("garbage"), None);
    }

    #[tokio::test]
    async fn stopping_ends_the_forked_workers_too_even_one_that_ignores_sigterm() {
        // The leader forks a worker that ignores SIGTERM, then waits; SIGTERM ends the leader, SIGKILL the worker.
        // The worker says when its trap is set: a SIGTERM that came between its fork and its `trap` would end it,
        // and the group would stop on SIGTERM (a flake seen once under load).
        use tokio::io::AsyncBufReadExt;
        let mut command = Command::new("sh");
        command
            .args([
                "-c",
                "sh -c 'trap \"\" TERM; echo trapped; while :; do sleep 1; done' & wait",
            ])
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true);
        let mut group = ProcessGroup::spawn(&mut command).expect("sh starts");
        let pgid = group.pgid().expect("a started child has a pid");
        let stdout = group.leader().stdout.take().expect("stdout is piped");
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let said = tokio::time::timeout(Duration::from_secs(5), lines.next_line()).await;
        assert_eq!(
            said.expect("the worker starts within 5 s")
                .expect("stdout reads")
                .as_deref(),
            Some("trapped"),
            "the worker ignores SIGTERM"
        );
        assert!(live_members(pgid) >= Some(2), "the worker was forked");
        let started = Instant::now();
        assert_eq!(group.stop().await, Stopped::Killed);
        assert!(started.elapsed() >= TERM_GRACE, "SIGKILL only after the grace");
        assert_eq!(live_members(pgid), Some(0), "no process of the group is left");
    }

    #[tokio::test]
    async fn a_group_that_exits_on_sigterm_is_not_killed() {
        let mut command = Command::new("sh");
        command.args(["-c", "sleep 300 & wait"]).kill_on_drop(true);
        let group = ProcessGroup::spawn(&mut command).expect("sh starts");
        let pgid = group.pgid().expect("a started child has a pid");
        let started = Instant::now();
        assert_eq!(group.stop().await, Stopped::OnTerm);
        assert!(started.elapsed() < TERM_GRACE);
        assert_eq!(live_members(pgid), Some(0));
    }
}
