//! Logs, traces and request ids.
//!
//! Every request gets an id (the caller's `x-request-id` if it sent a sane one, otherwise a new
//! UUID). It is in every log line of the request, in the `x-request-id` response header, in
//! `INTERNAL_SERVER_ERROR` responses, and in the audit events the request writes.
//!
//! Logs go to standard error, as text (coloured only at a terminal) or JSON. When
//! `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, the same
//! spans are also exported as OpenTelemetry traces over OTLP/HTTP, configured by the standard
//! `OTEL_*` variables (protocol, headers, service name, batching).

use std::future::Future;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Log line format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

tokio::task_local! {
    static REQUEST_ID: String;
}

/// What keeps the exporter of traces running; [`Telemetry::shutdown`] sends what it holds.
#[must_use = "traces are sent until this is shut down"]
pub struct Telemetry {
    traces: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Sends the spans not yet exported and stops the exporter. Blocks: call it outside the
    /// async runtime, or from a blocking task.
    pub fn shutdown(self) {
        if let Some(provider) = self.traces
            && let Err(err) = provider.shutdown()
        {
            eprintln!("warning: the last traces could not be exported: {err}");
        }
    }
}

/// Whether the environment asks for OTLP traces (an endpoint for them is set).
fn otlp_configured() -> bool {
    [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ]
    .iter()
    .any(|name| std::env::var(name).is_ok_and(|v| !v.trim().is_empty()))
}

/// Sets up logging (levels from `RUST_LOG`, default `info`) and, when configured, the export
/// of traces. Once per process: a second call (tests start many services) changes nothing.
pub fn init(format: LogFormat) -> anyhow::Result<Telemetry> {
    use std::io::IsTerminal;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours for a person at a terminal; plain text for whatever collects the logs.
    let ansi = std::io::stderr().is_terminal();
    let logs = match format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(ansi)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .boxed(),
    }
    .with_filter(filter);
    let (traces, provider) = if otlp_configured() {
        let provider = tracer_provider()?;
        let layer = tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("resilience-hub"))
            // The service's own spans, whatever `RUST_LOG` lets through to the logs; never the
            // HTTP client's that exports them (a loop).
            .with_filter(EnvFilter::new(
                "info,h2=off,hyper=off,hyper_util=off,reqwest=off,opentelemetry=off,opentelemetry_sdk=off,opentelemetry_otlp=off",
            ));
        (Some(layer), Some(provider))
    } else {
        (None, None)
    };
    // A second initialisation (tests start many apps) is harmless, so its error is ignored.
    let _ = tracing_subscriber::registry()
        .with(logs)
        .with(traces)
        .try_init();
    Ok(Telemetry { traces: provider })
}

/// The exporter of traces, configured by the `OTEL_*` variables.
fn tracer_provider() -> anyhow::Result<SdkTracerProvider> {
    // The exporter reads the endpoint (the signal's own URL, or a base it adds `/v1/traces`
    // to), protocol, headers and timeout from the standard variables itself.
    let builder = opentelemetry_otlp::SpanExporter::builder().with_http();
    let exporter = builder
        .build()
        .map_err(|e| anyhow::anyhow!("setting up the OTLP exporter of traces: {e}"))?;
    let mut resource = opentelemetry_sdk::Resource::builder();
    if std::env::var("OTEL_SERVICE_NAME").is_err() {
        resource = resource.with_service_name("resilience-hub");
    }
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource.build())
        .build())
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
