//! Memory of a proxy under load: the resident set (VmRSS) summed over every process of its process group,
//! read from `/proc` (Linux). Measured before and after the warm set is cached, it gives bytes per entry.

use crate::conformance::process_group::sum_over_members;

/// The resident bytes of every running process of group `pgid`; `None` without `/proc` or with no process.
pub(crate) fn group_rss_bytes(pgid: i32) -> Option<u64> {
    sum_over_members(pgid, "status", vm_rss_bytes)
}

/// The `VmRSS:   1234 kB` line of a `/proc/PID/status`, in bytes.
fn vm_rss_bytes(status: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kib: u64 = line
        .trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vm_rss_line_is_read_in_bytes() {
        let status = "Name:\tnginx\nVmPeak:\t  9000 kB\nVmRSS:\t    2048 kB\nThreads:\t1\n";
        assert_eq!(vm_rss_bytes(status), Some(2048 * 1024));
        assert_eq!(vm_rss_bytes("Name:\tkthreadd\n"), None);
    }

    #[test]
    fn a_group_of_our_own_has_a_resident_size() {
        let mut command = std::process::Command::new("sleep");
        command.arg("5");
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = command.spawn().unwrap();
        let pgid = i32::try_from(child.id()).unwrap();
        let rss = group_rss_bytes(pgid);
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(rss.is_some_and(|bytes| bytes > 0), "{rss:?}");
    }
}
