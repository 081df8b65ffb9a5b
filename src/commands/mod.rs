//! One module per command; each returns the run's exit code, or an error that names what to fix.

mod conformance;
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
        Command::Sim(sim) => sim::run(sim),
        Command::Conformance(args) => conformance::run(args),
    }
}

/// Reads a file the user named, saying which flag named it when it cannot be read.
pub(crate) fn read_input(path: &std::path::Path, flag: &str) -> Result<String, CliError> {
    std::fs::read_to_string(path)
        .map_err(|err| CliError::BadInput(format!("{flag} {}: {err}", path.display())))
}
