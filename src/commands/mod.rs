//! One module per command; each returns the run's exit code, or an error that names what to fix.

mod bench;
mod certify;
mod conformance;
mod explore;
mod replay;
mod report;
mod run;
mod sim;

use ksnsim_reports::exit;

use crate::args::{Args, Command};

/// Why a command could not run to a verdict.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The user's input: a flag, a file. Says which and how to fix it.
    #[error("{0}")]
    BadInput(String),
    /// ksnsim itself failed.
    #[error("{0}")]
    Harness(String),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::BadInput(_) => exit::BAD_INPUT,
            Self::Harness(_) => exit::HARNESS_ERROR,
        }
    }
}

impl From<ksnsim_harness::world::HarnessError> for CliError {
    fn from(err: ksnsim_harness::world::HarnessError) -> Self {
        if err.is_user_error() {
            Self::BadInput(err.to_string())
        } else {
            Self::Harness(err.to_string())
        }
    }
}

pub fn dispatch(args: Args) -> Result<u8, CliError> {
    match args.command {
        Command::Run(args) => run::run(args),
        Command::Bench(command) => bench::run(command),
        Command::Replay(args) => replay::run(args),
        Command::Report(command) => report::run(command),
        Command::Sim(sim) => sim::run(sim),
        Command::Conformance(args) => conformance::run(args),
        Command::Explore(args) => explore::run(args),
    }
}

/// The features folder: `features/` under the current directory, else the one this ksnsim was built from.
pub(crate) fn features_dir() -> Result<std::path::PathBuf, CliError> {
    let here = std::path::PathBuf::from("features");
    if here.is_dir() {
        return Ok(here);
    }
    let built = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("features");
    if built.is_dir() {
        return Ok(built);
    }
    Err(CliError::BadInput(
        "no features/ folder here: run ksnsim from the project's root".into(),
    ))
}

/// A runtime for the async suite runner (the simulations themselves run on their own threads).
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| CliError::Harness(format!("cannot start the async runtime: {err}")))
}

/// Reads a file the user named, saying which flag named it when it cannot be read.
pub(crate) fn read_input(path: &std::path::Path, flag: &str) -> Result<String, CliError> {
    std::fs::read_to_string(path)
        .map_err(|err| CliError::BadInput(format!("{flag} {}: {err}", path.display())))
}
