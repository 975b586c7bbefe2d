//! The HTTP surface: `/graphql`, `/reports/…`, `/healthz`, `/readyz`, `/metrics`, and what wraps every
//! request (request ids, logs, panics, CORS).

mod bearer;
pub mod fair;
pub mod graphiql;
mod graphql;
pub mod inspect;
mod metrics;
mod observe;
mod parsed;
pub mod persisted;
mod reports;
mod request;
mod response;
mod templates;
mod unsubscribe;
mod upload;
mod ws;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::auth::KeyStore;
use crate::db::Database;
use crate::error::{ErrorCode, INTERNAL_MESSAGE};
use crate::graphql::AppSchema;
use crate::limits::Limits;
use crate::telemetry;

pub use graphiql::{DemoPersona, Graphiql};
pub use inspect::MAX_NESTING;
pub use metrics::Metrics;
pub use parsed::ParsedDocuments;
pub use persisted::{Persisted, PersistedMode, PersistedSettings};

/// What every handler shares. Built once at start-up: the schema, parsed keys and pool are
/// never rebuilt per request.
#[derive(Clone)]
pub struct AppState {
    /// The schema queries and mutations execute (without extensions).
    pub schema: AppSchema,
    /// The schema subscriptions execute (with the extension of their deliveries).
    pub subscription_schema: AppSchema,
    /// What the schema's fields return, to put answers in the order asked.
    pub shapes: Arc<crate::graphql::order::Shapes>,
    pub db: Database,
    pub keys: Arc<KeyStore>,
    pub limits: Limits,
    /// GraphiQL's settings, when it is served.
    pub graphiql: Option<Arc<Graphiql>>,
    pub introspection: bool,
    pub request_timeout: Duration,
    /// The callers this process has seen (organisations, users, who acts for whom).
    pub callers: Arc<crate::users::service::Callers>,
    /// The aggregates this process remembers between requests.
    pub remembered: Arc<crate::cache::Remembered>,
    /// The metrics served at `/metrics`.
    pub metrics: Arc<Metrics>,
    /// Whether `/metrics` is served.
    pub serve_metrics: bool,
    /// Each organisation's share of the service.
    pub fair: Arc<fair::FairShare>,
    /// Documents known by id: trusted ones, and those clients registered.
    pub persisted: Arc<Persisted>,
    /// Documents parsed and admitted before, by their text.
    pub parsed: Arc<ParsedDocuments>,
    /// The key report links are signed with.
    pub link_key: crate::papers::LinkKey,
    /// How long report links last.
    pub link_lifetime: chrono::Duration,
    /// The address clients reach the service at, for report links; the request's own when
    /// absent.
    pub public_url: Option<String>,
    /// This instance's switchboard of published events, for subscriptions.
    pub hub: Arc<crate::events::Hub>,
    /// The job queue, for mutations that queue work (redelivering a webhook).
    pub jobs: crate::events::jobs::Queue,
    /// Turns true when the service shuts down: live subscriptions close.
    pub shutdown: tokio::sync::watch::Receiver<bool>,
}

/// The service's routes and middleware.
pub fn router(state: AppState, cors_origins: &[String]) -> Router {
    let mut router = Router::new()
        .route(
            "/graphql",
            get(ws::graphql_get_or_socket).post(graphql::graphql_post),
        )
        .route("/reports/{collection}/{id}/{file}", get(reports::report))
        .route("/templates/{file}", get(templates::action_plan))
        .route("/templates/assessment/{file}", get(templates::assessment))
        .route(
            "/reminders/unsubscribe",
            get(unsubscribe::confirm).post(unsubscribe::unsubscribe),
        )
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz));
    if state.serve_metrics {
        router = router.route("/metrics", get(metrics));
    }
    if state.graphiql.is_some() {
        router = router.merge(graphiql::routes());
    }
    router
        .with_state(state)
        .layer(cors(cors_origins))
        // Inside the request-id middleware, so a panic's response still carries the id.
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(middleware::from_fn(observe::request_context))
}

/// `GET /healthz`: the process is up.
async fn healthz() -> impl IntoResponse {
    axum::Json(serde_json::json!({ "status": "ok" }))
}

/// `GET /readyz`: the database answers.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let ready = tokio::time::timeout(Duration::from_secs(2), state.db.ping())
        .await
        .unwrap_or(false);
    if ready {
        (
            StatusCode::OK,
            axum::Json(serde_json::json!({ "status": "ready" })),
        )
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({ "status": "database unavailable" })),
        )
    }
}

/// `GET /metrics`: the service's metrics, in the Prometheus text format.
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state
            .metrics
            .render(&state.db, &state.persisted, state.hub.live()),
    )
}

fn cors(origins: &[String]) -> CorsLayer {
    let layer = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            observe::REQUEST_ID,
            // A browser's tracing (OpenTelemetry's fetch instrumentation) sends these.
            observe::TRACEPARENT,
            observe::TRACESTATE,
        ])
        .expose_headers([observe::REQUEST_ID, observe::TRACERESPONSE])
        .max_age(Duration::from_secs(600));
    if origins.iter().any(|o| o == "*") {
        // Tokens travel in a header, never in cookies, so any origin may call.
        layer.allow_origin(AllowOrigin::any())
    } else {
        let list: Vec<HeaderValue> = origins
            .iter()
            .filter_map(|o| HeaderValue::from_str(o).ok())
            .collect();
        layer.allow_origin(AllowOrigin::list(list))
    }
}

/// The message a panic was raised with, for the log.
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)")
}

/// The response to a panic that escaped the handler's own guard.
fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    tracing::error!(panic = panic_message(&*panic), "a request handler panicked");
    let body = response::error_body(
        ErrorCode::InternalServerError,
        INTERNAL_MESSAGE,
        telemetry::current_request_id(),
    );
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}
