//! `ksnsim`: parse the command line, dispatch, and exit with the run's code (see the README's table).

mod args;
mod commands;
mod output;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = args::Args::parse();
    match commands::dispatch(args) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("ksnsim: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}
