//! What is recorded of every request: its id, its span (a child of the caller's trace when it
//! sent a W3C `traceparent`), and one closing log line naming what it ran, for whom, what it
//! answered and what it cost.

use std::time::Instant;

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use opentelemetry::propagation::TextMapPropagator as _;
use opentelemetry::trace::TraceContextExt as _;
use opentelemetry_http::HeaderExtractor;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use crate::error::ErrorCode;
use crate::telemetry;

pub(super) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// W3C Trace Context: the caller's trace, which the request's span joins.
pub(super) const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
pub(super) const TRACESTATE: HeaderName = HeaderName::from_static("tracestate");
/// W3C Trace Context (level 2): the trace and span the service recorded the request under.
pub(super) const TRACERESPONSE: HeaderName = HeaderName::from_static("traceresponse");

/// What the GraphQL handler learnt of a request, for its log line and its metrics.
#[derive(Clone, Debug, Default)]
pub(crate) struct Observed {
    /// The name of each operation run (`None` for an anonymous one), in the order of a batch.
    pub(crate) operations: Vec<Option<String>>,
    /// The organisation the caller acts for (`org_…`), once known.
    pub(crate) org: Option<String>,
    /// The caller's role, once known.
    pub(crate) role: Option<&'static str>,
    /// The SQL statements the request ran, when it reached the database.
    pub(crate) statements: Option<u32>,
    /// The codes of the errors answered.
    pub(crate) codes: Vec<ErrorCode>,
}

impl Observed {
    fn operation(&self) -> Option<String> {
        (!self.operations.is_empty()).then(|| {
            self.operations
                .iter()
                .map(|o| o.as_deref().unwrap_or("(anonymous)"))
                .collect::<Vec<_>>()
                .join(",")
        })
    }

    fn codes(&self) -> Option<String> {
        (!self.codes.is_empty()).then(|| {
            self.codes
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(",")
        })
    }
}

/// A caller-supplied request id is kept only if it is short and plain, so that it cannot forge
/// log lines.
fn request_id(req: &Request) -> String {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string())
}

/// The caller's trace, from its W3C `traceparent` (and `tracestate`): a context whose span is
/// invalid when it sent none, or one the propagator cannot read.
fn caller_trace(headers: &HeaderMap) -> opentelemetry::Context {
    TraceContextPropagator::new().extract(&HeaderExtractor(headers))
}

/// The trace id of a well-formed `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`), for the logs
/// when traces are not exported.
fn trace_id_of(req: &Request) -> Option<String> {
    let value = req.headers().get(&TRACEPARENT)?.to_str().ok()?;
    let mut parts = value.trim().split('-');
    let (version, trace, span, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    let valid = hex(version, 2)
        && version != "ff"
        && hex(trace, 32)
        && trace.bytes().any(|b| b != b'0')
        && hex(span, 16)
        && hex(flags, 2);
    valid.then(|| trace.to_ascii_lowercase())
}

/// Gives the request an id, a span (joined to the caller's trace) and a closing log line.
///
/// The span is at the error level so that it is enabled whenever any of the request's lines
/// is: at `RUST_LOG=warn` an info span would be filtered out, and the warnings and errors
/// logged inside it would lose the request id.
pub(super) async fn request_context(req: Request, next: Next) -> Response {
    let id = request_id(&req);
    let span = tracing::error_span!(
        "request",
        otel.name = %format!("{} {}", req.method(), req.uri().path()),
        otel.kind = "server",
        request_id = %id,
        method = %req.method(),
        path = %req.uri().path(),
        trace_id = tracing::field::Empty,
    );
    let parent = caller_trace(req.headers());
    if parent.span().span_context().is_valid() {
        // Without an exporter of traces there is no OpenTelemetry span to join; the trace id
        // still goes into the logs.
        let _ = span.set_parent(parent);
    }
    let exported = span.context().span().span_context().clone();
    // The propagator reads a malformed trace id leniently (a short one is padded); the logs
    // name the caller's trace only when its `traceparent` is well formed.
    let trace_id = if exported.is_valid() {
        Some(exported.trace_id().to_string())
    } else {
        trace_id_of(&req)
    };
    if let Some(trace_id) = &trace_id {
        span.record("trace_id", trace_id.as_str());
    }
    let started = Instant::now();
    let mut response = telemetry::with_request_id(id.clone(), next.run(req))
        .instrument(span.clone())
        .await;
    let observed = response.extensions_mut().remove::<Observed>();
    let observed = observed.as_ref();
    let operation = observed.and_then(Observed::operation);
    // Attributes of the exported span only (the log line below says the same in its fields).
    if let Some(operation) = &operation {
        span.set_attribute("graphql.operation.name", operation.clone());
    }
    span.set_attribute(
        "http.response.status_code",
        i64::from(response.status().as_u16()),
    );
    span.in_scope(|| {
        tracing::info!(
            status = response.status().as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            operation,
            org = observed.and_then(|o| o.org.clone()),
            role = observed.and_then(|o| o.role),
            codes = observed.and_then(Observed::codes),
            statements = observed.and_then(|o| o.statements),
            "served"
        )
    });
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&id) {
        headers.insert(REQUEST_ID, value);
    }
    if exported.is_valid()
        && let Ok(value) = HeaderValue::from_str(&format!(
            "00-{}-{}-{:02x}",
            exported.trace_id(),
            exported.span_id(),
            exported.trace_flags().to_u8()
        ))
    {
        headers.insert(TRACERESPONSE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_traceparent(value: &str) -> Request {
        axum::http::Request::builder()
            .header("traceparent", value)
            .body(axum::body::Body::empty())
            .unwrap()
    }

    #[test]
    fn only_a_well_formed_traceparent_gives_a_trace_id() {
        let id = "4bf92f3577b34da6a3ce929d0e0e4736";
        assert_eq!(
            trace_id_of(&with_traceparent(&format!("00-{id}-00f067aa0ba902b7-01"))).as_deref(),
            Some(id)
        );
        for bad in [
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736",
            "garbage",
        ] {
            assert_eq!(trace_id_of(&with_traceparent(bad)), None, "{bad}");
        }
    }
}
