//! Ctrl-C during `ksnsim conformance`: the proxies run in process groups of their own (so that stopping one
//! stops its workers), which a terminal's Ctrl-C does not reach; ksnsim itself must then kill every group it
//! started. Through the built `ksnsim` and `ksn-proxy` binaries, with a proxy that forks a worker.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn ksnsim() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ksnsim"))
}

/// Whether process `pid` still runs (a zombie, exited but not yet reaped by its new parent, does not).
fn runs(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next());
        !matches!(state, Some('Z' | 'X') | None)
    })
}

#[test]
fn ctrl_c_kills_the_proxy_and_its_workers() {
    let Some(proxy) = ksnsim()
        .parent()
        .map(|dir| dir.join("ksn-proxy"))
        .filter(|p| p.is_file())
    else {
        println!("SKIPPED: ksn-proxy is not built beside ksnsim; run `bash ci/test.sh`");
        return;
    };
    let dir = std::env::temp_dir().join(format!("ksnsim-interrupt-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let pids = dir.join("worker-pids");
    // A worker that ignores SIGTERM, then the proxy; the proxy's upstream timeout keeps the run going a while.
    std::fs::write(
        dir.join("proxy.sh"),
        format!(
            "( trap '' TERM; exec sleep 300 ) &\necho $! >> '{}'\nexec '{}' --listen \"$1\" --upstream \"$2\" \
             --ca \"$3\"\n",
            pids.display(),
            proxy.display()
        ),
    )
    .unwrap();
    let command = format!(
        "sh '{}' {{listen}} {{upstream}} {{ca}}",
        dir.join("proxy.sh").display()
    );
    let mut ksnsim = Command::new(ksnsim())
        .current_dir(&dir)
        .args(["conformance", "--proxy-cmd", &command, "--report", "out"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !pids.is_file() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(pids.is_file(), "the proxy never started");
    std::thread::sleep(Duration::from_millis(500));
    let interrupted = Command::new("kill")
        .args(["-INT", &ksnsim.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = ksnsim.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "ksnsim did not stop on Ctrl-C");
        std::thread::sleep(Duration::from_millis(50));
    };
    let stderr = std::io::read_to_string(ksnsim.stderr.take().unwrap()).unwrap();
    assert_eq!(status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("interrupted (Ctrl-C)"), "{stderr}");
    let workers: Vec<u32> = std::fs::read_to_string(&pids)
        .unwrap()
        .lines()
        .map(|line| line.trim().parse().unwrap())
        .collect();
    // SIGKILL is delivered at once, but the kernel may take a moment to end a process.
    let deadline = Instant::now() + Duration::from_secs(2);
    while workers.iter().any(|pid| runs(*pid)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let left: Vec<u32> = workers.into_iter().filter(|pid| runs(*pid)).collect();
    assert!(left.is_empty(), "workers still running after Ctrl-C: {left:?}");
}
