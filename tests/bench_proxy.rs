//! `ksnsim bench proxy` end to end, through the built `ksnsim` and `ksn-proxy` binaries, bounded (1 s
//! measurements, 2 connections, one round): the table has figures, cache hits stay off the upstream, and a
//! proxy that cannot start is named with its last words.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers too: a failed setup step is a failed test, and says where"
)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn ksnsim() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ksnsim"))
}

/// The `ksn-proxy` built beside `ksnsim` (`bash ci/test.sh` builds every binary first).
fn ksn_proxy_built() -> bool {
    ksnsim()
        .parent()
        .is_some_and(|dir| dir.join("ksn-proxy").is_file())
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ksnsim-bench-proxy-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn bench(dir: &PathBuf, extra: &[&str]) -> Output {
    Command::new(ksnsim())
        .current_dir(dir)
        .args([
            "bench",
            "proxy",
            "--duration",
            "1s",
            "--rounds",
            "1",
            "--connections",
            "2",
        ])
        .args(["--pki", "pki"])
        .args(extra)
        .output()
        .unwrap()
}

fn explain(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn hits_through_the_reference_proxy_have_a_rate_and_stay_off_the_upstream() {
    if !ksn_proxy_built() {
        println!("SKIPPED: ksn-proxy is not built beside ksnsim; run `bash ci/test.sh`");
        return;
    }
    let dir = scratch("hits");
    let out = bench(&dir, &["--workloads", "hits", "--report", "out"]);
    let shown = explain(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let row = stdout
        .lines()
        .find(|line| line.starts_with("ksn-proxy "))
        .unwrap_or_else(|| panic!("no ksn-proxy row: {shown}"));
    let cells: Vec<&str> = row.split_whitespace().collect();
    // target, workload, conns, req/s, p50, p99, p99.9, upstream/req, CPU us/req, RSS/entry, non-2xx/errors
    assert_eq!(&cells[1..3], ["hits", "2"], "{row}");
    let rps: f64 = cells[3].parse().unwrap();
    let upstream_per_request: f64 = cells[7].parse().unwrap();
    assert!(rps > 0.0, "{row}");
    assert!(upstream_per_request < 0.1, "hits went upstream: {row}");
    let cpu_per_request: f64 = cells[8]
        .parse()
        .unwrap_or_else(|_| panic!("no CPU figure for a proxy started as a command: {row}"));
    assert!(cpu_per_request > 0.0, "{row}");
    assert_eq!(cells[10], "0/0", "{row}");
    assert!(stdout.contains("static answer (generator ceiling)"), "{shown}");

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out/bench.json")).unwrap()).unwrap();
    let rows = json["rows"].as_array().unwrap();
    let proxy = rows.iter().find(|r| r["target"] == "ksn-proxy").unwrap();
    assert_eq!(proxy["workload"], "hits");
    assert!(proxy["requests_per_second"].as_f64().unwrap() > 0.0);
    assert!(proxy["p99_ms"].as_f64().unwrap() >= proxy["p50_ms"].as_f64().unwrap());
    assert!(
        proxy["cpu_micros_per_request"]
            .as_f64()
            .is_some_and(|us| us > 0.0)
    );
    assert!(
        std::fs::read_to_string(dir.join("out/bench.md"))
            .unwrap()
            .contains("| ksn-proxy | hits | 2 |")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_proxy_that_does_not_start_is_named_with_its_last_output() {
    let dir = scratch("broken");
    let out = bench(
        &dir,
        &[
            "--workloads",
            "hits",
            "--proxy-cmd",
            "broken=sh -c 'echo no config file here >&2; exit 3' {listen} {upstream} {ca}",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}", explain(&out));
    assert!(stderr.contains("the proxy broken did not start"), "{stderr}");
    assert!(stderr.contains("no config file here"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_flags_are_refused_with_what_to_fix() {
    let dir = scratch("flags");
    for (flags, says) in [
        (
            vec!["--workloads", "hits,speed"],
            "--workloads: \"speed\" is not a workload",
        ),
        (vec!["--connections", "8,lots"], "--connections"),
        (
            vec!["--proxy-cmd", "x=ksn-proxy --listen {listen}"],
            "placeholder {upstream} is missing",
        ),
    ] {
        let out = bench(&dir, &flags);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {}", explain(&out));
        assert!(stderr.contains(says), "{flags:?}: {stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
