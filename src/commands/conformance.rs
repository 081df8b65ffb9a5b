//! `ksnsim conformance`: resolve the flags into a plan, run every check against the proxy, print the verdict
//! table, write the reports, and exit 0 only when every MUST (and with --strict every SHOULD) passed.

use std::net::{Ipv4Addr, SocketAddr};

use ksnsim_harness::conformance::{
    ConformanceError, ConformancePlan, Launcher, MAX_CAPACITY_TESTED, ProxyCommand, ProxyUnderTest,
    RunningProxy, render_table, run_conformance_blocking,
};
use ksnsim_reports::{GateLevel, RunReport, exit};

use super::{CliError, certify};
use crate::args::ConformanceArgs;
use crate::output::{gate_line, write_and_announce};

pub fn run(args: ConformanceArgs) -> Result<u8, CliError> {
    if let Some(certificate) = &args.verify {
        return certify::verify(certificate);
    }
    let (run, code) = run_checks(&args)?;
    certify::write(&run, &args)?;
    Ok(code)
}

/// Runs every check the flags ask for, prints the table and the gate, writes the reports; the run and its
/// exit code.
pub(super) fn run_checks(args: &ConformanceArgs) -> Result<(RunReport, u8), CliError> {
    let plan = resolve(args)?;
    eprintln!(
        "ksnsim conformance: {}; ksnsim's CA goes to {}",
        plan.implementation,
        args.pki.join("ca.pem").display()
    );
    let started = std::time::Instant::now();
    let mut run = run_conformance_blocking(&plan)?;
    let replay = replay_command(args);
    for item in &mut run.items {
        item.replay = Some(format!("{replay} --only {}", item.id));
    }
    print!("{}", render_table(&run));
    println!("ran in {:.1} s", started.elapsed().as_secs_f64());
    write_and_announce(&run, &args.report)?;
    let level = if args.strict { GateLevel::Should } else { args.gate };
    let gate = run.gate_at(level);
    println!(
        "{}",
        gate_line(&gate, level, &format!("check of {}", implementation(&run)))
    );
    Ok((run, exit::for_gate(&gate)))
}

/// The flags as a plan; every error names the flag at fault and how to fix it.
fn resolve(args: &ConformanceArgs) -> Result<ConformancePlan, CliError> {
    let proxy = match (&args.proxy_cmd, &args.proxy) {
        (Some(template), _) => ProxyUnderTest::Launch(Launcher::Command(command("--proxy-cmd", template)?)),
        (None, Some(url)) => {
            let upstream = args.upstream_listen.as_deref().ok_or_else(|| {
                CliError::BadInput(
                    "--proxy needs --upstream-listen ADDR: where the proxy expects its KSN".into(),
                )
            })?;
            ProxyUnderTest::Running(RunningProxy {
                proxy: loopback("--proxy", url.strip_prefix("http://").unwrap_or(url), url)?,
                upstream_listen: loopback("--upstream-listen", upstream, upstream)?,
            })
        }
        (None, None) => {
            return Err(CliError::BadInput(
                "give the proxy to test: --proxy-cmd 'CMD {listen} {upstream} {ca}' (ksnsim starts it), or \
                 --proxy http://ADDR --upstream-listen ADDR (it is already running)"
                    .into(),
            ));
        }
    };
    if let Some(n) = args.cache_capacity
        && !(1..=MAX_CAPACITY_TESTED).contains(&n)
    {
        return Err(CliError::BadInput(format!(
            "--cache-capacity {n}: give the proxy's cache size in entries, 1 to {MAX_CAPACITY_TESTED}"
        )));
    }
    let private = match &args.private_cmd {
        Some(template) => Some(Launcher::Command(command("--private-cmd", template)?)),
        None => None,
    };
    let name = args.name.clone().unwrap_or_else(|| default_name(&proxy));
    let mut plan = ConformancePlan::new(proxy, name, &args.pki);
    plan.private = private;
    plan.only = args.only.clone();
    plan.cache_capacity = args.cache_capacity;
    Ok(plan)
}

/// A proxy command, checked: quoting, placeholders, and a program that exists.
pub(super) fn command(flag: &str, template: &str) -> Result<ProxyCommand, CliError> {
    let bad = |err: ksnsim_harness::conformance::CommandError| CliError::BadInput(format!("{flag}: {err}"));
    let command = ProxyCommand::parse(template).map_err(bad)?;
    command.resolve_program().map_err(bad)?;
    Ok(command)
}

/// `ADDR` (or `localhost:PORT`) as a loopback socket address: the conformance run stays on this machine.
fn loopback(flag: &str, addr: &str, shown: &str) -> Result<SocketAddr, CliError> {
    let addr = addr.trim_end_matches('/');
    let parsed = match addr.strip_prefix("localhost:") {
        Some(port) => port
            .parse::<u16>()
            .ok()
            .map(|port| SocketAddr::from((Ipv4Addr::LOCALHOST, port))),
        None => addr.parse::<SocketAddr>().ok(),
    };
    let parsed = parsed.ok_or_else(|| {
        CliError::BadInput(format!(
            "{flag} {shown}: not an address; write IP:PORT or localhost:PORT (with http:// for --proxy)"
        ))
    })?;
    if !parsed.ip().is_loopback() {
        return Err(CliError::BadInput(format!(
            "{flag} {shown}: the conformance run stays on loopback; use 127.0.0.1 (or ::1)"
        )));
    }
    Ok(parsed)
}

fn default_name(proxy: &ProxyUnderTest) -> String {
    match proxy {
        ProxyUnderTest::Launch(Launcher::Command(command)) => command.program_name(),
        ProxyUnderTest::Launch(Launcher::InProcess(_)) => "ksn-proxy (in-process)".to_owned(),
        ProxyUnderTest::Running(running) => format!("proxy at http://{}", running.proxy),
    }
}

/// The command line that repeats this run (without --only), for each item's `replay`.
fn replay_command(args: &ConformanceArgs) -> String {
    let quote = |text: &str| format!("'{}'", text.replace('\'', r"'\''"));
    let mut line = "ksnsim conformance".to_owned();
    let mut flag = |name: &str, value: Option<String>| {
        if let Some(value) = value {
            line.push_str(&format!(" {name} {}", quote(&value)));
        }
    };
    flag("--proxy-cmd", args.proxy_cmd.clone());
    flag("--private-cmd", args.private_cmd.clone());
    flag("--proxy", args.proxy.clone());
    flag("--upstream-listen", args.upstream_listen.clone());
    flag("--cache-capacity", args.cache_capacity.map(|n| n.to_string()));
    line
}

fn implementation(run: &RunReport) -> &str {
    run.implementation.as_deref().unwrap_or("the proxy")
}

impl From<ConformanceError> for CliError {
    fn from(err: ConformanceError) -> Self {
        if err.is_user_error() {
            Self::BadInput(err.to_string())
        } else {
            Self::Harness(err.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn args(line: &[&str]) -> ConformanceArgs {
        let mut argv = vec!["ksnsim", "conformance"];
        argv.extend_from_slice(line);
        match crate::args::Args::parse_from(argv).command {
            crate::args::Command::Conformance(args) => args,
            _ => unreachable!("parsed a conformance command line"),
        }
    }

    fn bad_input(result: Result<ConformancePlan, CliError>) -> String {
        match result {
            Err(CliError::BadInput(message)) => message,
            Err(other) => panic!("not bad input: {other}"),
            Ok(plan) => panic!("accepted: {plan:?}"),
        }
    }

    #[test]
    fn flags_resolve_and_errors_name_the_flag() {
        let plan = resolve(&args(&[
            "--proxy-cmd",
            "sh -c x {listen} {upstream} {ca}",
            "--cache-capacity",
            "8",
        ]))
        .unwrap();
        assert_eq!(
            (plan.implementation.as_str(), plan.cache_capacity),
            ("sh", Some(8))
        );
        assert!(bad_input(resolve(&args(&[]))).contains("--proxy-cmd"));
        assert!(
            bad_input(resolve(&args(&["--proxy-cmd", "sh {listen} {upstream}"]))).starts_with("--proxy-cmd:")
        );
        let private = args(&[
            "--proxy-cmd",
            "sh {listen} {upstream} {ca}",
            "--private-cmd",
            "no-such-xyz {listen} {upstream} {ca}",
        ]);
        assert!(bad_input(resolve(&private)).starts_with("--private-cmd: the program"));
        let remote = args(&[
            "--proxy",
            "http://192.0.2.1:13111",
            "--upstream-listen",
            "127.0.0.1:8443",
        ]);
        assert!(bad_input(resolve(&remote)).contains("loopback"));
        let running = args(&[
            "--proxy",
            "http://localhost:13111/",
            "--upstream-listen",
            "127.0.0.1:8443",
        ]);
        let plan = resolve(&running).unwrap();
        assert_eq!(plan.implementation, "proxy at http://127.0.0.1:13111");
    }

    #[test]
    fn the_replay_command_quotes_the_proxy_command() {
        let line = replay_command(&args(&["--proxy-cmd", "p --name 'x' {listen} {upstream} {ca}"]));
        assert_eq!(
            line,
            r"ksnsim conformance --proxy-cmd 'p --name '\''x'\'' {listen} {upstream} {ca}'"
        );
    }
}
