//! The conformance certificate end to end, through the built `ksnsim` and `ksn-proxy` binaries: a run writes
//! certificate.json and certificate.md, `--verify` re-runs it (0 when every verdict is the same, 1 when one
//! differs), and a tampered certificate is refused with exit 2.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers too: a failed setup step is a failed test, and says where"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn ksnsim() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ksnsim"))
}

/// The `ksn-proxy` built beside `ksnsim` (`bash ci/test.sh` builds every binary first).
fn ksn_proxy() -> Option<PathBuf> {
    let path = ksnsim().parent()?.join("ksn-proxy");
    path.is_file().then_some(path)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ksnsim-certificate-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn conformance(dir: &Path, args: &[&str]) -> Output {
    Command::new(ksnsim())
        .current_dir(dir)
        .arg("conformance")
        .args(args)
        .output()
        .unwrap()
}

/// `ksnsim conformance --verify out/certificate.json` in `dir`: its exit code and what it printed.
fn verify(dir: &Path) -> (Option<i32>, String) {
    let out = conformance(dir, &["--verify", "out/certificate.json"]);
    (out.status.code(), explain(&out))
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
fn the_reference_proxy_is_certified_and_verifies_and_a_tampered_certificate_is_refused() {
    let Some(proxy) = ksn_proxy() else {
        println!("SKIPPED: ksn-proxy is not built beside ksnsim; run `bash ci/test.sh`");
        return;
    };
    let dir = scratch("reference");
    let command = format!(
        "'{}' --listen {{listen}} --upstream {{upstream}} --ca {{ca}} --upstream-timeout-ms 2000 \
         --cache-capacity 3",
        proxy.display()
    );
    let run = conformance(
        &dir,
        &[
            "--proxy-cmd",
            &command,
            "--cache-capacity",
            "3",
            "--report",
            "out",
        ],
    );
    assert_eq!(run.status.code(), Some(0), "{}", explain(&run));
    let json = std::fs::read_to_string(dir.join("out/certificate.json")).unwrap();
    let md = std::fs::read_to_string(dir.join("out/certificate.md")).unwrap();
    let cert: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(cert["gate"], "pass");
    assert_eq!(cert["requirements"]["PX-CACHE-1"], "pass");
    assert_eq!(cert["checks"]["PX-CACHE-3/503"], "pass");
    assert_eq!(cert["commands"][0]["program"], proxy.display().to_string());
    assert_eq!(
        cert["commands"][0]["program_sha256"].as_str().map(str::len),
        Some(64)
    );
    assert!(md.contains("# Conformance certificate: ksn-proxy"), "{md}");

    let (code, stdout) = verify(&dir);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        stdout.contains("PX-CACHE-1                     same (pass)"),
        "{stdout}"
    );
    assert!(
        dir.join("out/verify/report.json").is_file(),
        "the re-run's reports go beside the certificate"
    );

    let tampered = json.replacen("\"PX-CACHE-1\": \"pass\"", "\"PX-CACHE-1\": \"fail\"", 1);
    assert_ne!(tampered, json);
    std::fs::write(dir.join("tampered.json"), tampered).unwrap();
    let refused = conformance(&dir, &["--verify", "tampered.json"]);
    assert_eq!(refused.status.code(), Some(2), "{}", explain(&refused));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("was changed after it was written"),
        "{}",
        explain(&refused)
    );
    let missing = conformance(&dir, &["--verify", "no-such.json"]);
    assert_eq!(missing.status.code(), Some(2), "{}", explain(&missing));
}

#[test]
fn a_verdict_that_changed_since_the_certificate_exits_1() {
    let Some(proxy) = ksn_proxy() else {
        println!("SKIPPED: ksn-proxy is not built beside ksnsim; run `bash ci/test.sh`");
        return;
    };
    let dir = scratch("changed");
    // The same command, but its cache size comes from a file the test changes between run and verify.
    std::fs::write(dir.join("capacity"), "3").unwrap();
    std::fs::write(
        dir.join("proxy.sh"),
        format!(
            "exec '{}' --listen \"$1\" --upstream \"$2\" --ca \"$3\" --upstream-timeout-ms 2000 \
             --cache-capacity \"$(cat '{}')\"\n",
            proxy.display(),
            dir.join("capacity").display()
        ),
    )
    .unwrap();
    let command = format!(
        "sh '{}' {{listen}} {{upstream}} {{ca}}",
        dir.join("proxy.sh").display()
    );
    let args = ["--proxy-cmd", &command, "--only", "PX-CACHE-1", "--report", "out"];
    let run = conformance(&dir, &args);
    assert_eq!(run.status.code(), Some(0), "{}", explain(&run));

    std::fs::write(dir.join("capacity"), "0").unwrap();
    let (code, stdout) = verify(&dir);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("PX-CACHE-1                     DIFFERS: certified pass, now fail"),
        "{stdout}"
    );
    assert!(
        stdout.contains("PX-CACHE-2                     same (not tested)"),
        "{stdout}"
    );
}
