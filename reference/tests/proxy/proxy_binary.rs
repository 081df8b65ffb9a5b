//! The real `ksn-proxy` binary for a test: started on a free port in front of an in-process mock KSN whose
//! certificate it trusts.

use std::sync::LazyLock;

use ksnsim_mocks::{TestPki, Validity};
use ksnsim_reference::clock::SystemClock;
use ksnsim_reference::protocol::KsnType;

use super::Upstream;
use super::child::Server;

/// A test PKI valid now: the binaries verify with the system clock, not the tests' manual one.
static PKI_NOW: LazyLock<TestPki> = LazyLock::new(|| {
    let validity = Validity::around(SystemClock::shared().now(), 30);
    TestPki::generate(2, &["localhost", "127.0.0.1"], validity).unwrap()
});

/// A mock KSN whose certificate the binaries trust.
pub async fn upstream_for_binaries() -> Upstream {
    Upstream::start_with_cert(KsnType::Global, &PKI_NOW.server).await
}

/// Starts `ksn-proxy` on a free port in front of `upstream`, with `config` as its `--config` file, under
/// the command `wrapper` (e.g. `prlimit --nofile=128 --`) if one is given.
pub fn start_proxy(upstream: &Upstream, config: &str, name: &str, wrapper: &[&str]) -> Server {
    let dir = std::env::temp_dir().join(format!("ksn-proxy-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("ca.pem"), &PKI_NOW.ca_pem).unwrap();
    std::fs::write(dir.join("proxy.toml"), config).unwrap();
    let binary = env!("CARGO_BIN_EXE_ksn-proxy");
    let mut command = match wrapper.split_first() {
        Some((program, args)) => {
            let mut command = std::process::Command::new(program);
            command.args(args).arg(binary);
            command
        }
        None => std::process::Command::new(binary),
    };
    command
        .args(["--listen", "127.0.0.1:0", "--upstream", &upstream.url.to_string()])
        .arg("--ca")
        .arg(dir.join("ca.pem"))
        .arg("--config")
        .arg(dir.join("proxy.toml"));
    let server = Server::start(command, 1);
    // Both files are read before the proxy says it listens.
    std::fs::remove_dir_all(&dir).unwrap();
    server
}

/// CPU time the process `pid` has used so far (user + system), in clock ticks (`/proc/PID/stat`).
pub fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name (which may hold spaces) start at field 3; utime and stime are 14 and 15.
    let fields: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}
