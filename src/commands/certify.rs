//! The conformance certificate of `ksnsim conformance`: written beside the reports after every run
//! (`certificate.json`, `certificate.md`), and `--verify CERT`, which re-runs the certificate's checks with its
//! command and flags and says per check whether the verdict is the same.

use std::path::{Path, PathBuf};

use ksnsim_harness::conformance::certificate::{
    Certificate, CertifiedCommand, CertifiedFlags, compare, file_sha256, rfc3339_utc,
};
use ksnsim_reports::{GateLevel, RunReport, exit};

use super::CliError;
use super::conformance::{command, run_checks};
use crate::args::ConformanceArgs;

/// Writes `certificate.json` and `certificate.md` into the report folder and says where.
pub fn write(run: &RunReport, args: &ConformanceArgs) -> Result<(), CliError> {
    let certificate = certify(run, args)?;
    let dir = &args.report;
    let failed = |path: &Path, err: std::io::Error| {
        CliError::Harness(format!("writing the certificate {}: {err}", path.display()))
    };
    let json = dir.join("certificate.json");
    std::fs::write(&json, certificate.to_json()).map_err(|err| failed(&json, err))?;
    let md = dir.join("certificate.md");
    std::fs::write(&md, certificate.to_markdown()).map_err(|err| failed(&md, err))?;
    println!(
        "certificate: {} (sha256 {}), {}",
        json.display(),
        certificate.digest(),
        md.display()
    );
    Ok(())
}

/// Re-runs the certificate's checks; exit 0 when every verdict is the same, 1 when one differs, 2 when the
/// certificate is invalid.
pub fn verify(path: &Path) -> Result<u8, CliError> {
    let certified = Certificate::read(path).map_err(|err| CliError::BadInput(err.to_string()))?;
    let args = args_of(&certified, path);
    println!(
        "ksnsim conformance --verify: re-running the {} checks of {} ({}), reports to {}",
        certified.checks.len(),
        certified.implementation,
        certified.date_utc,
        args.report.display()
    );
    let (run, _) = run_checks(&args)?;
    let now = certify(&run, &args)?;
    for (was, is) in certified.commands.iter().zip(&now.commands) {
        if was.program_sha256 != is.program_sha256 {
            println!(
                "note: {} runs a different program than certified: sha256 {} then, {} now",
                was.flag,
                was.program_sha256.as_deref().unwrap_or("none"),
                is.program_sha256.as_deref().unwrap_or("none")
            );
        }
    }
    if certified.suite != now.suite {
        println!(
            "note: the certificate was written by {} {} (checks sha256 {}), this is {} {} ({})",
            certified.suite.name,
            certified.suite.version,
            certified.suite.checks_sha256,
            now.suite.name,
            now.suite.version,
            now.suite.checks_sha256
        );
    }
    let comparisons = compare(&certified, &now);
    let shown = |verdict: Option<ksnsim_reports::Verdict>| verdict.map_or("absent", |v| v.label());
    for comparison in &comparisons {
        let status = if comparison.same() {
            format!("same ({})", shown(comparison.now))
        } else {
            format!(
                "DIFFERS: certified {}, now {}",
                shown(comparison.certified),
                shown(comparison.now)
            )
        };
        println!("{:<30} {status}", comparison.id);
    }
    let differing = comparisons.iter().filter(|c| !c.same()).count();
    if differing == 0 {
        println!(
            "verify: every one of {} verdicts is the same as certified",
            comparisons.len()
        );
        Ok(exit::SUCCESS)
    } else {
        println!(
            "verify: {differing} of {} verdicts differ from the certificate",
            comparisons.len()
        );
        Ok(exit::REQUIREMENT_FAILED)
    }
}

/// The certificate of a run made with `args`, dated now.
fn certify(run: &RunReport, args: &ConformanceArgs) -> Result<Certificate, CliError> {
    let mut commands = Vec::new();
    for (flag, template) in [
        ("--proxy-cmd", &args.proxy_cmd),
        ("--private-cmd", &args.private_cmd),
    ] {
        let Some(template) = template else { continue };
        let program = command(flag, template)?.resolve_program().ok();
        let program_sha256 = match &program {
            Some(path) => Some(file_sha256(path).map_err(|err| {
                CliError::Harness(format!("hashing {} for the certificate: {err}", path.display()))
            })?),
            None => None,
        };
        commands.push(CertifiedCommand {
            flag: flag.to_owned(),
            template: template.clone(),
            program: program.map(|path| path.display().to_string()),
            program_sha256,
        });
    }
    let flags = CertifiedFlags {
        proxy_cmd: args.proxy_cmd.clone(),
        private_cmd: args.private_cmd.clone(),
        proxy: args.proxy.clone(),
        upstream_listen: args.upstream_listen.clone(),
        cache_capacity: args.cache_capacity,
        only: args.only.clone(),
        name: args.name.clone(),
        gate: if args.strict { GateLevel::Should } else { args.gate },
    };
    // The real date of the run: the CLI is not simulated, and nothing traced depends on it.
    let now = std::time::SystemTime::now();
    Ok(Certificate::of_run(run, commands, flags, rfc3339_utc(now)))
}

/// The flags the certificate records, with reports going to `verify/` beside the certificate.
fn args_of(certificate: &Certificate, path: &Path) -> ConformanceArgs {
    let flags = certificate.flags.clone();
    let beside = path.parent().map_or_else(PathBuf::new, Path::to_path_buf);
    ConformanceArgs {
        proxy_cmd: flags.proxy_cmd,
        private_cmd: flags.private_cmd,
        proxy: flags.proxy,
        upstream_listen: flags.upstream_listen,
        pki: PathBuf::from("reports/out/conformance-pki"),
        name: flags.name,
        gate: flags.gate,
        strict: false,
        only: flags.only,
        cache_capacity: flags.cache_capacity,
        report: beside.join("verify"),
        verify: None,
    }
}
