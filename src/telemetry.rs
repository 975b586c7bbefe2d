//! Logs and request ids.
//!
//! Every request gets an id (the caller's `x-request-id` if it sent a sane one, otherwise a new
//! UUID). It is in every log line of the request, in the `x-request-id` response header, in
//! `INTERNAL_SERVER_ERROR` responses, and in the audit events the request writes.

use std::future::Future;

use tracing_subscriber::EnvFilter;

/// Log line format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

tokio::task_local! {
    static REQUEST_ID: String;
}

/// Sets up logging once; levels come from `RUST_LOG` (default `info`).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours for a person at a terminal; plain text for whatever collects the logs.
        .with_ansi(std::io::stderr().is_terminal());
    // A second initialisation (tests start many apps) is harmless, so its error is ignored.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// Runs `fut` with `id` as the current request id.
pub async fn with_request_id<F: Future>(id: String, fut: F) -> F::Output {
    REQUEST_ID.scope(id, fut).await
}

/// The id of the request being served, if any.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Spawns `fut` as a task of the current request: it keeps the request's log span and id, so
/// that what it logs (a DataLoader's batch failing, say) can be found from the id the client
/// was given. A plain `tokio::spawn` starts a task with neither.
pub fn spawn_in_request<F>(fut: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    use tracing::Instrument;
    let span = tracing::Span::current();
    match current_request_id() {
        Some(id) => tokio::spawn(REQUEST_ID.scope(id, fut).instrument(span)),
        None => tokio::spawn(fut.instrument(span)),
    }
}
