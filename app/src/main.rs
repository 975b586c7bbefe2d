//! The `resilience-hub` binary: parse the command line, start logging, run.

use std::process::ExitCode;

use clap::Parser;
use resilience_hub::telemetry;
use resilience_hub_app::{args::Cli, cli};

/// A response is a tree of many small values built and dropped per request; the system
/// allocator spent about a fifth of the service's time on them under load, mimalloc far less.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.common.log_format);
    match cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
