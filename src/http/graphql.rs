//! The GraphQL-over-HTTP handler.
//!
//! A custom handler rather than the stock one, because the stock one accepts batches of any
//! size and always answers 200. This one follows the GraphQL-over-HTTP specification:
//! `application/graphql-response+json` (with 4xx for request errors) or legacy
//! `application/json`, `GET` for queries only (a mutation over `GET` is 405), bounded bodies and
//! batches, and one database transaction per HTTP request.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{Request, Response, ServerError};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::IntoResponse;
use futures_util::FutureExt;

use super::AppState;
use super::bearer::Bearer;
use super::fair::Refusal;
use super::inspect::{MAX_NESTING, OperationInfo, nesting_depth, operation_info, operation_name};
use super::observe::Observed;
use super::parsed::{Admitted, ParsedDocuments};
use super::request::WireRequest;
use super::response::{
    JSON, Media, PANICKED, Reply, failure, rate_limited, unauthenticated, unavailable,
    write_responses,
};
use crate::access::{Access, ResolveError, resolve_actor};
use crate::auth::{TokenError, VerifiedToken};
use crate::db::RequestDb;
use crate::error::{AppError, ErrorCode, INTERNAL_MESSAGE, UNAVAILABLE_MESSAGE};
use crate::graphql::limits::{admit, code_refusal, heavy, heavy_future, validates_heavily};
use crate::graphql::order::{self, Shapes};
use crate::graphql::{coded_error, syntax};
use crate::limits::Limits;
use crate::loaders::Loaders;
use crate::papers::link::Issuer;

/// `POST /graphql`.
pub(super) async fn graphql_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> impl IntoResponse {
    let started = Instant::now();
    let media = Media::negotiate(&headers);
    let reply = match Bearer::read(&state, &headers).await {
        Ok(bearer) => post(&state, &headers, bearer, body).await,
        Err(refusal) => rate_limited(media, refusal),
    };
    state.metrics.record(&reply, started.elapsed());
    reply
}

async fn post(state: &AppState, headers: &HeaderMap, bearer: Bearer, body: Body) -> Reply {
    let media = Media::negotiate(headers);
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("multipart/form-data") {
        return match super::upload::read(body, content_type, state.limits.max_body_bytes).await {
            Ok((requests, batched)) => {
                execute(state, bearer, Method::POST, media, requests, batched).await
            }
            Err(refusal) => failure(refusal.status, media, refusal.code, refusal.message),
        };
    }
    if !essence.eq_ignore_ascii_case(JSON) {
        return failure(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            ErrorCode::BadRequest,
            "send the request as application/json (or multipart/form-data with a file)",
        );
    }
    let limit = state.limits.max_body_bytes;
    let bytes: Bytes = match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return failure(
                StatusCode::PAYLOAD_TOO_LARGE,
                media,
                ErrorCode::BadRequest,
                format!("the request body is larger than {limit} bytes"),
            );
        }
    };
    let (requests, batched) = match super::request::from_body(&bytes) {
        Ok(read) => read,
        Err(problem) => {
            return failure(
                StatusCode::BAD_REQUEST,
                media,
                ErrorCode::BadRequest,
                problem,
            );
        }
    };
    execute(state, bearer, Method::POST, media, requests, batched).await
}

/// `GET /graphql`: GraphiQL for browsers, queries (never mutations) for everyone else.
pub(super) async fn graphql_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> impl IntoResponse {
    let started = Instant::now();
    match get(&state, &headers, &uri).await {
        Ok(reply) => {
            state.metrics.record(&reply, started.elapsed());
            reply.into_response()
        }
        Err(graphiql) => graphiql,
    }
}

/// The answer to a GET: a GraphQL reply, or GraphiQL's page for a browser that asked for it.
async fn get(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
) -> Result<Reply, axum::response::Response> {
    let media = Media::negotiate(headers);
    let request = match super::request::from_query_string(uri.query()) {
        Ok(Some(request)) => request,
        Ok(None) => {
            let wants_html = headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("text/html"));
            if state.graphiql.is_some() && wants_html {
                return Err(super::graphiql::page(state, uri));
            }
            return Ok(failure(
                StatusCode::BAD_REQUEST,
                media,
                ErrorCode::BadRequest,
                "missing the `query` parameter",
            ));
        }
        Err(problem) => {
            return Ok(failure(
                StatusCode::BAD_REQUEST,
                media,
                ErrorCode::BadRequest,
                problem,
            ));
        }
    };
    let bearer = match Bearer::read(state, headers).await {
        Ok(bearer) => bearer,
        Err(refusal) => return Ok(rate_limited(media, refusal)),
    };
    Ok(execute(state, bearer, Method::GET, media, vec![request], false).await)
}

/// One request of a batch, after inspection.
enum Prepared {
    /// Ready to execute.
    Run {
        request: Box<Request>,
        /// The document it runs, to put the answer in the order asked.
        document: Arc<ExecutableDocument>,
        info: Option<OperationInfo>,
        /// The name of the operation it runs, if it has one.
        name: Option<String>,
        /// Whether its validation is heavy work, to be done off the async worker threads.
        heavy: bool,
    },
    /// Refused before execution, with this error.
    Refused {
        error: ServerError,
        /// The operation the request named, if it named one.
        name: Option<String>,
    },
}

impl Prepared {
    fn refused(error: ServerError, name: Option<String>) -> Self {
        Prepared::Refused { error, name }
    }

    fn name(&self) -> Option<String> {
        match self {
            Prepared::Run { name, .. } | Prepared::Refused { name, .. } => name.clone(),
        }
    }
}

/// Documents longer than this (all of a batch together) are parsed and measured off the async
/// worker threads: parsing 200 KB takes tens of milliseconds, which the requests sharing the
/// worker would otherwise wait.
const LARGE_DOCUMENT_BYTES: usize = 16 * 1024;

/// Parses a request's document and admits it (see [`admit`]): a document over the limits is
/// refused here, before async-graphql's own checks, which expand every fragment spread. A
/// document admitted before is taken from `parsed` instead (see [`ParsedDocuments`]).
fn prepare(
    mut request: Request,
    limits: &Limits,
    shapes: &Shapes,
    parsed: Option<&ParsedDocuments>,
) -> Prepared {
    let named = request.operation_name.clone();
    let admitted = match parsed.and_then(|p| p.get(&request.query)) {
        Some(admitted) => admitted,
        None => match admit_document(&request.query, named.as_deref(), limits, shapes) {
            Ok(admitted) => {
                let admitted = Arc::new(admitted);
                if let Some(parsed) = parsed {
                    parsed.remember(&request.query, admitted.clone());
                }
                admitted
            }
            Err(refused) => return *refused,
        },
    };
    let doc = &admitted.document;
    let name = operation_name(doc, named.as_deref());
    let info = operation_info(doc, request.operation_name.as_deref());
    order::fill_defaults(
        doc,
        request.operation_name.as_deref(),
        &mut request.variables,
    );
    request.set_parsed_query(ExecutableDocument::clone(doc));
    Prepared::Run {
        heavy: validates_heavily(&admitted.shape),
        request: Box::new(request),
        document: admitted.document.clone(),
        info,
        name,
    }
}

/// Parses `query`, admits it within `limits`, and marks it for answering in the order asked;
/// or the refusal, naming the operation `named` (or the document's only one).
fn admit_document(
    query: &str,
    named: Option<&str>,
    limits: &Limits,
    shapes: &Shapes,
) -> Result<Admitted, Box<Prepared>> {
    let named = || named.map(str::to_owned);
    let refused = |error, name| Box::new(Prepared::refused(error, name));
    if query.trim().is_empty() {
        return Err(refused(
            coded_error(ErrorCode::BadRequest, "missing the `query`"),
            named(),
        ));
    }
    if nesting_depth(query) > MAX_NESTING {
        return Err(refused(
            coded_error(
                ErrorCode::QueryTooComplex,
                format!("the document nests brackets more than {MAX_NESTING} deep"),
            ),
            named(),
        ));
    }
    let mut doc = syntax::parse(query).map_err(|err| refused(err, named()))?;
    let shape = admit(&doc, limits)
        .map_err(|err| refused(err, operation_name(&doc, named().as_deref())))?;
    order::mark_abstract(&mut doc, shapes);
    Ok(Admitted {
        document: Arc::new(doc),
        shape,
    })
}

/// Admits a subscription's document as every other request's (see [`prepare`]): the request
/// ready to run and its document, or the refusal.
pub(super) fn admit_subscription(
    request: Request,
    limits: &Limits,
    shapes: &Shapes,
) -> Result<(Request, Arc<ExecutableDocument>), ServerError> {
    match prepare(request, limits, shapes, None) {
        Prepared::Run {
            request, document, ..
        } => Ok((*request, document)),
        Prepared::Refused { error, .. } => Err(error),
    }
}

/// The document each request runs (sent whole, or named by a persisted query's id), as a
/// request ready to prepare; or its refusal.
fn documents(
    state: &AppState,
    namespace: &str,
    requests: Vec<WireRequest>,
) -> Vec<Result<Request, Box<Prepared>>> {
    requests
        .into_iter()
        .map(|wire| {
            let document = state
                .persisted
                .document(namespace, &wire)
                .map_err(|err| Box::new(Prepared::refused(err, wire.operation_name.clone())))?;
            let mut request = Request::new(&*document).variables(wire.variables);
            if let Some(name) = wire.operation_name {
                request = request.operation_name(name);
            }
            request.uploads = wire.uploads.0;
            Ok(request)
        })
        .collect()
}

/// Runs the requests of one HTTP request and answers them, saying in the reply what ran and
/// for whom (for the log line and the metrics).
async fn execute(
    state: &AppState,
    bearer: Bearer,
    method: Method,
    media: Media,
    requests: Vec<WireRequest>,
    batched: bool,
) -> Reply {
    let mut observed = Observed::default();
    let mut reply = answer(
        state,
        bearer,
        method,
        media,
        requests,
        batched,
        &mut observed,
    )
    .await;
    reply.observed = observed;
    reply
}

async fn answer(
    state: &AppState,
    bearer: Bearer,
    method: Method,
    media: Media,
    requests: Vec<WireRequest>,
    batched: bool,
    observed: &mut Observed,
) -> Reply {
    if requests.is_empty() {
        return failure(
            StatusCode::BAD_REQUEST,
            media,
            ErrorCode::BadRequest,
            "the batch is empty",
        );
    }
    if requests.len() > state.limits.max_batch {
        return failure(
            StatusCode::BAD_REQUEST,
            media,
            ErrorCode::BadRequest,
            format!(
                "a batch may hold at most {} operations",
                state.limits.max_batch
            ),
        );
    }
    // Documents registered by one organisation are found only by requests of the same one.
    let namespace = match &bearer.token {
        Ok(Some(token)) => token.org.as_str(),
        _ => "",
    };
    let requests = documents(state, namespace, requests);
    let large = requests
        .iter()
        .map(|r| r.as_ref().map_or(0, |r| r.query.len()))
        .sum::<usize>()
        > LARGE_DOCUMENT_BYTES;
    let prepare_all = || {
        requests
            .into_iter()
            .map(|r| match r {
                Ok(request) => prepare(request, &state.limits, &state.shapes, Some(&state.parsed)),
                Err(refused) => *refused,
            })
            .collect::<Vec<_>>()
    };
    let prepared = if large {
        heavy(prepare_all)
    } else {
        prepare_all()
    };
    observed.operations = prepared.iter().map(Prepared::name).collect();
    let infos = || {
        prepared.iter().filter_map(|p| match p {
            Prepared::Run { info, .. } => *info,
            Prepared::Refused { .. } => None,
        })
    };
    if method == Method::GET && infos().any(|i| i.kind != OperationType::Query) {
        let mut reply = failure(
            StatusCode::METHOD_NOT_ALLOWED,
            media,
            ErrorCode::BadRequest,
            "mutations must be sent with POST",
        );
        reply
            .headers
            .push((header::ALLOW, HeaderValue::from_static("POST")));
        return reply;
    }
    if !state.introspection && infos().any(|i| i.introspects) {
        // async-graphql alone would answer `__schema: null`; a client deserves to be told.
        return failure(
            StatusCode::BAD_REQUEST,
            media,
            ErrorCode::GraphqlValidationFailed,
            "introspection is disabled on this service; use the published schema.graphql",
        );
    }
    let writes = infos().any(|i| i.kind == OperationType::Mutation);
    let needs_caller = infos().any(|i| i.needs_caller);
    let issuer = bearer.issuer;

    let token = match bearer.token {
        Ok(token) => token,
        Err(err) => return unauthenticated(media, &err.to_string(), true),
    };
    if token.is_none() && needs_caller {
        return unauthenticated(media, "this operation needs a bearer token", false);
    }

    let work = run(
        state,
        token,
        bearer.charged,
        writes,
        prepared,
        &issuer,
        observed,
    );
    let outcome = match tokio::time::timeout(state.request_timeout, work).await {
        Ok(outcome) => outcome,
        Err(_) => {
            // Dropping the work drops its transaction, which rolls it back.
            return unavailable(
                media,
                &format!(
                    "the request took longer than {} seconds and was abandoned",
                    state.request_timeout.as_secs()
                ),
            );
        }
    };
    match outcome {
        Ok(responses) => write_responses(media, responses, batched),
        Err(failure) => failure.reply(media),
    }
}

/// Why a request was answered with one error instead of its responses. Whatever it did in the
/// database has been rolled back.
enum Failure {
    /// The token names an organisation or a caller that cannot be.
    Token(TokenError),
    /// The organisation's share is used up.
    Refused(Refusal),
    /// The database failed: a fault, to retry.
    Unavailable,
    /// The request ran more statements than its budget.
    OverBudget(u32),
    /// A bug.
    Internal,
}

impl Failure {
    /// The failure of `step` with `err`: a database fault, or a bug. Logged either way.
    fn of(err: AppError, step: &str) -> Self {
        match err {
            AppError::Unavailable(detail) => {
                tracing::warn!(error = %format!("{detail:#}"), "{step}: the database is unavailable");
                Failure::Unavailable
            }
            other => {
                tracing::error!(error = %format!("{other:#}"), "{step} failed");
                Failure::Internal
            }
        }
    }

    fn reply(self, media: Media) -> Reply {
        match self {
            Failure::Token(err) => unauthenticated(media, &err.to_string(), true),
            Failure::Refused(refusal) => rate_limited(media, refusal),
            Failure::Unavailable => unavailable(media, UNAVAILABLE_MESSAGE),
            // A request error, like a document over the limits: 400 under the new media type,
            // 200 under the legacy one.
            Failure::OverBudget(budget) => failure(
                match media {
                    Media::GraphqlResponse => StatusCode::BAD_REQUEST,
                    Media::Json => StatusCode::OK,
                },
                media,
                ErrorCode::QueryTooComplex,
                format!(
                    "the request needed more than {budget} SQL statements, its budget; ask for less in one request"
                ),
            ),
            Failure::Internal => failure(
                StatusCode::INTERNAL_SERVER_ERROR,
                media,
                ErrorCode::InternalServerError,
                INTERNAL_MESSAGE,
            ),
        }
    }
}

/// Resolves the caller, takes its organisation's share, opens the request's transaction,
/// executes every request, and commits; or rolls everything back and says why.
async fn run(
    state: &AppState,
    token: Option<VerifiedToken>,
    charged: bool,
    writes: bool,
    prepared: Vec<Prepared>,
    issuer: &Issuer,
    observed: &mut Observed,
) -> Result<Vec<Response>, Failure> {
    let Some(token) = token else {
        // Only introspection is left: no caller, no database, one share for all such callers.
        let anonymous = uuid::Uuid::nil();
        if let Err(refusal) = state.fair.charge(anonymous) {
            return Err(Failure::Refused(
                state.fair.slow_down(anonymous, refusal).await,
            ));
        }
        let _pass = state
            .fair
            .enter(anonymous)
            .await
            .map_err(Failure::Refused)?;
        let mut responses = Vec::with_capacity(prepared.len());
        for p in prepared {
            responses.push(execute_one(state, p, None, issuer).await);
        }
        return Ok(responses);
    };
    let actor = resolve_actor(&state.db, &state.callers, &token)
        .await
        .map_err(|e| match e {
            ResolveError::Token(err) => Failure::Token(err),
            ResolveError::App(err) => Failure::of(err, "resolving the caller"),
        })?;
    observed.org = Some(actor.org_id.to_string());
    observed.role = Some(actor.role.claim());
    if !charged && let Err(refusal) = state.fair.charge(actor.org_id.0) {
        return Err(Failure::Refused(
            state.fair.slow_down(actor.org_id.0, refusal).await,
        ));
    }
    let _pass = state
        .fair
        .enter(actor.org_id.0)
        .await
        .map_err(Failure::Refused)?;
    let db = state
        .db
        .begin_request(writes, state.limits.max_statements)
        .await
        .map_err(|err| Failure::of(err.into(), "opening the request's transaction"))?;
    let db = Arc::new(db);
    let access = match Access::load(actor, db.clone(), state.remembered.clone()).await {
        Ok(access) => access,
        Err(err) => {
            db.abandon().await;
            return Err(Failure::of(err, "resolving what the caller may see"));
        }
    };
    let ((responses, panicked), epochs) = crate::epochs::deferring(async {
        let mut responses = Vec::with_capacity(prepared.len());
        let mut panicked = false;
        for p in prepared {
            let response = execute_one(state, p, Some(&access), issuer).await;
            panicked |= response.extensions.contains_key(PANICKED);
            responses.push(response);
        }
        (responses, panicked)
    })
    .await;
    // A statement that met a failing database leaves the transaction in doubt, whatever the
    // resolver made of the error: the whole request is a fault, not a partial answer.
    let tally = db.tally();
    observed.statements = Some(tally.statements());
    let failed = if tally.unavailable() {
        tracing::warn!("the database failed during the request; rolling it back");
        Some(Failure::Unavailable)
    } else if tally.over_budget() {
        tracing::warn!(
            statements = tally.statements(),
            "the request ran out of its statement budget; rolling it back"
        );
        Some(Failure::OverBudget(state.limits.max_statements))
    } else if panicked {
        Some(Failure::Internal)
    } else {
        None
    };
    if let Some(failure) = failed {
        db.abandon().await;
        return Err(failure);
    }
    tally.lift();
    if let Err(err) = crate::epochs::advance(db.as_ref(), &epochs).await {
        db.abandon().await;
        return Err(Failure::of(
            err,
            "moving the epochs of the request's changes",
        ));
    }
    finish(&db, writes).await?;
    if writes {
        // Publish what this request committed without waiting for the next poll.
        state.hub.written();
    }
    Ok(responses)
}

async fn execute_one(
    state: &AppState,
    prepared: Prepared,
    access: Option<&Access>,
    issuer: &Issuer,
) -> Response {
    let (request, document, heavy) = match prepared {
        Prepared::Run {
            request,
            document,
            heavy,
            ..
        } => (*request, document, heavy),
        Prepared::Refused { error, .. } => return Response::from_errors(vec![error]),
    };
    let request = match access {
        Some(access) => request
            .data(access.clone())
            .data(Loaders::new(access))
            .data(issuer.clone())
            .data(state.hub.clone())
            .data(state.jobs.clone()),
        None => request,
    };
    let operation = request.operation_name.clone();
    let variables = request.variables.clone();
    let execution = guard(state.schema.execute(request));
    let mut response = if heavy {
        heavy_future(execution).await
    } else {
        execution.await
    };
    code_refusal(&mut response, &state.limits);
    order::reorder(
        &mut response,
        &document,
        operation.as_deref(),
        &variables,
        &state.shapes,
    );
    response
}

/// Runs an execution, turning a panic into an `INTERNAL_SERVER_ERROR` response (marked, so that
/// the request's transaction is rolled back) and a log line.
async fn guard(execution: impl std::future::Future<Output = Response>) -> Response {
    match AssertUnwindSafe(execution).catch_unwind().await {
        Ok(response) => response,
        Err(panic) => {
            tracing::error!(panic = super::panic_message(&*panic), "a resolver panicked");
            let mut response = Response::from_errors(vec![coded_error(
                ErrorCode::InternalServerError,
                INTERNAL_MESSAGE,
            )]);
            response
                .extensions
                .insert(PANICKED.to_owned(), async_graphql::Value::Boolean(true));
            response
        }
    }
}

/// Commits the request's transaction. A commit that fails loses the request's changes, so it
/// is the request's failure when it wrote; a read-only transaction has nothing to lose, and
/// the answer stands.
async fn finish(db: &RequestDb, writes: bool) -> Result<(), Failure> {
    match db.finish().await {
        Ok(()) => Ok(()),
        Err(err) if writes => Err(Failure::of(err.into(), "committing the request's changes")),
        Err(err) => {
            tracing::warn!(error = %err, "closing a read-only transaction failed");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::response::response_json;
    use crate::telemetry;

    struct Panicky;

    #[async_graphql::Object]
    impl Panicky {
        async fn fine(&self) -> i32 {
            1
        }

        async fn boom(&self) -> i32 {
            // A bug that only shows at run time, as real ones do.
            let empty: Vec<i32> = Vec::new();
            empty[0]
        }
    }

    #[tokio::test]
    async fn a_panicking_resolver_becomes_an_internal_error_with_the_request_id() {
        let schema = async_graphql::Schema::new(
            Panicky,
            async_graphql::EmptyMutation,
            async_graphql::EmptySubscription,
        );
        let response = telemetry::with_request_id("req-7".to_owned(), async {
            let response = guard(schema.execute("{ fine boom }")).await;
            assert!(response.extensions.contains_key(PANICKED));
            response_json(response)
        })
        .await;
        let error = &response["errors"][0];
        assert_eq!(error["extensions"]["code"], "INTERNAL_SERVER_ERROR");
        assert_eq!(error["extensions"]["requestId"], "req-7");
        assert_eq!(error["message"], INTERNAL_MESSAGE);
        assert!(
            response.get("extensions").is_none(),
            "the marker is not sent"
        );
        // Nothing of the half-done execution is returned.
        assert!(response.get("data").is_none());
    }

    #[tokio::test]
    async fn a_healthy_execution_passes_through() {
        let schema = async_graphql::Schema::new(
            Panicky,
            async_graphql::EmptyMutation,
            async_graphql::EmptySubscription,
        );
        let response = response_json(guard(schema.execute("{ fine }")).await);
        assert_eq!(response["data"]["fine"], 1);
    }
}
