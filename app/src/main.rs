//! The `resilience-hub` binary: parse the command line, start logging (and traces), run.

use std::process::ExitCode;

use clap::Parser;
use resilience_hub::telemetry;
use resilience_hub_app::{args, args::Cli, cli};

/// A response is a tree of many small values built and dropped per request; the system
/// allocator spent about a fifth of the service's time on them under load, mimalloc far less.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // SAFETY: the first thing the process does; no other thread exists yet.
    unsafe { args::unset_empty_variables() };
    let cli = Cli::parse();
    // Before the runtime: the exporter of traces runs on a thread of its own, and is shut down
    // (sending what it still holds) after the runtime has stopped.
    let telemetry = match telemetry::init(cli.common.log_format) {
        Ok(telemetry) => telemetry,
        Err(err) => {
            eprintln!("error: {err:#}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: starting the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(cli::run(cli));
    drop(runtime);
    telemetry.shutdown();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
