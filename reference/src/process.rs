//! The lifecycle of the real binaries (`ksn-proxy`, `ksn-mock`): a tokio runtime, the run, the exit code,
//! and a clean stop on SIGTERM or ctrl-c. Library code never uses this; simulated hosts stop when turmoil
//! stops them.

use std::fmt::Display;
use std::process::ExitCode;

/// Exit code when the command line or a file named on it is wrong.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit code when the program itself could not run.
pub const EXIT_INTERNAL: u8 = 3;

/// Runs `main` on a multi-threaded runtime; an error is printed as `NAME: error` and exits with code 2.
pub fn run_main<E: Display>(name: &str, main: impl Future<Output = Result<(), E>>) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("{name}: cannot start the async runtime: {err}");
            return ExitCode::from(EXIT_INTERNAL);
        }
    };
    match runtime.block_on(main) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{name}: {err}");
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

/// Resolves on SIGTERM (Unix) or ctrl-c.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                biased;
                _ = term.recv() => return,
                _ = tokio::signal::ctrl_c() => return,
            }
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Logs to stderr, filtered by `RUST_LOG` (warnings and errors when it is not set).
pub fn init_logging() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::builder()
                .with_default_directive(tracing_subscriber::filter::LevelFilter::WARN.into())
                .from_env_lossy(),
        )
        .with_writer(std::io::stderr)
        .init();
}
