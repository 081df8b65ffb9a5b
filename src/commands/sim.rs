//! `ksnsim sim`: resolve the flags into a simulation plan, run it, print the invariants and the digest,
//! write the trace and the reports.

use ksnsim_harness::duration::parse_duration;
use ksnsim_harness::simulation::{
    LoadSpec, SimulationPlan, parse_faults, render_summary, run_simulation, to_report,
};
use ksnsim_harness::topology::Topology;
use ksnsim_reports::{exit, write_trace_jsonl};

use super::{CliError, read_input};
use crate::args::SimArgs;
use crate::output::write_and_announce;

pub fn run(args: SimArgs) -> Result<u8, CliError> {
    let origin = args.topology.display().to_string();
    let topology = Topology::from_toml(&read_input(&args.topology, "topology")?, &origin)
        .map_err(|err| CliError::BadInput(err.to_string()))?;
    let duration =
        parse_duration(&args.duration).map_err(|err| CliError::BadInput(format!("--for: {err}")))?;
    let faults = match &args.faults {
        Some(path) => parse_faults(&read_input(path, "--faults")?, &path.display().to_string())
            .map_err(CliError::BadInput)?,
        None => Vec::new(),
    };
    if !(0.0..1.0).contains(&args.loss) {
        return Err(CliError::BadInput(format!(
            "--loss {}: use a rate from 0 to below 1, e.g. 0.01",
            args.loss
        )));
    }
    let plan = SimulationPlan {
        topology: topology.clone(),
        seed: args.seed,
        duration,
        load: LoadSpec {
            lookups_per_endpoint: args.lookups,
            ..LoadSpec::default()
        },
        faults,
        loss: args.loss,
    };
    eprintln!(
        "ksnsim sim: {} ({} endpoints), seed {}, {}",
        topology.name,
        topology.endpoint_names().len(),
        args.seed,
        args.duration
    );
    let outcome = run_simulation(&plan)?;
    print!("{}", render_summary(&outcome));
    if let Some(path) = &args.trace {
        let mut file = std::fs::File::create(path)
            .map_err(|err| CliError::BadInput(format!("--trace {}: {err}", path.display())))?;
        write_trace_jsonl(&outcome.trace, &mut file)
            .map_err(|err| CliError::Harness(format!("writing the trace: {err}")))?;
        println!("trace written to {}", path.display());
    }
    let replay = format!(
        "ksnsim sim {} --seed {} --for {}{}",
        args.topology.display(),
        args.seed,
        args.duration,
        args.faults
            .as_ref()
            .map(|f| format!(" --faults {}", f.display()))
            .unwrap_or_default()
    );
    let report = to_report(&outcome, &topology, &replay);
    write_and_announce(&report, &args.report)?;
    Ok(if outcome.holds() {
        exit::SUCCESS
    } else {
        exit::REQUIREMENT_FAILED
    })
}
