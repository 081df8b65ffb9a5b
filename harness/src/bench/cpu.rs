//! CPU time of a proxy under load: user and system time summed over every process of its process group (all
//! threads), read from `/proc/PID/stat` (Linux). Read before and after a measurement, it gives the proxy's own
//! CPU per answered request, which the shared machine's noise does not distort the way it distorts req/s.

use crate::conformance::process_group::sum_over_members;

/// Clock ticks per second of the `utime`/`stime` fields of `/proc/PID/stat` (`USER_HZ`, 100 on Linux).
const USER_HZ: f64 = 100.0;

/// Seconds of CPU used so far by the running processes of group `pgid`; `None` without `/proc` or with no
/// process. A process that exits between two reads takes its time with it (a proxy's workers do not).
pub(crate) fn group_cpu_seconds(pgid: i32) -> Option<f64> {
    sum_over_members(pgid, "stat", cpu_ticks).map(|ticks| ticks as f64 / USER_HZ)
}

/// `utime + stime` of a `/proc/PID/stat` line: fields 14 and 15, counted after the `(comm)` field, whose
/// name may itself hold spaces and parentheses.
fn cpu_ticks(stat: &str) -> Option<u64> {
    let (_, rest) = stat.rsplit_once(')')?;
    // After `)`: state is field 3, so utime (14) is the 12th and stime (15) the 13th.
    let mut fields = rest.split_ascii_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_and_system_ticks_are_read_after_the_command_name() {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
        let stat = "4242 (ksn proxy (x)) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 3 0";
        assert_eq!(cpu_ticks(stat), Some(325));
        assert_eq!(cpu_ticks("4242 (short) S 1"), None);
    }

    #[test]
    fn a_busy_group_of_our_own_uses_cpu_time() {
        let mut command = std::process::Command::new("sh");
        command.args(["-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; sleep 5"]);
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = command.spawn().unwrap();
        let pgid = i32::try_from(child.id()).unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let mut used = group_cpu_seconds(pgid);
        while used.is_some_and(|s| s < 0.05) && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(50));
            used = group_cpu_seconds(pgid);
        }
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(used.is_some_and(|s| s >= 0.05), "{used:?}");
    }
}
