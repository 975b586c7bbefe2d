//! The GraphQL-over-HTTP handler.
//!
//! A custom handler rather than the stock one, because the stock one accepts batches of any
//! size and always answers 200. This one follows the GraphQL-over-HTTP specification:
//! `application/graphql-response+json` (with 4xx for request errors) or legacy
//! `application/json`, `GET` for queries only (a mutation over `GET` is 405), bounded bodies and
//! batches, and one database transaction per HTTP request.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, Request, Response, ServerError, Variables};
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse};
use futures_util::FutureExt;
use serde::Deserialize;

use super::AppState;
use super::inspect::{MAX_NESTING, OperationInfo, nesting_depth, operation_info};
use crate::access::{Access, ResolveError, resolve_actor};
use crate::auth::{TokenError, VerifiedToken};
use crate::db::RequestDb;
use crate::error::{ErrorCode, INTERNAL_MESSAGE};
use crate::graphql::{coded_error, set_code};
use crate::loaders::Loaders;
use crate::telemetry;

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// The media type of the response, chosen from the `Accept` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Media {
    /// `application/graphql-response+json`: request errors get 4xx statuses.
    GraphqlResponse,
    /// `application/json`: every well-formed request gets 200.
    Json,
}

impl Media {
    fn negotiate(headers: &HeaderMap) -> Self {
        let accept = headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|v| v.trim().to_ascii_lowercase())
            .filter(|v| !v.contains("q=0") || v.contains("q=0."));
        let mut graphql = false;
        for item in accept {
            if item.starts_with(GRAPHQL_RESPONSE) {
                graphql = true;
            }
        }
        if graphql {
            Media::GraphqlResponse
        } else {
            Media::Json
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Media::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Media::Json => "application/json; charset=utf-8",
        }
    }
}

/// A response before it is written.
struct Reply {
    status: StatusCode,
    media: Media,
    body: Vec<u8>,
    headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl IntoResponse for Reply {
    fn into_response(self) -> axum::response::Response {
        let mut response = (self.status, Body::from(self.body)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.media.content_type()),
        );
        for (name, value) in self.headers {
            headers.insert(name, value);
        }
        response
    }
}

/// A whole-request failure: one error, no `data`.
fn failure(status: StatusCode, media: Media, code: ErrorCode, message: impl Into<String>) -> Reply {
    let request_id = (code == ErrorCode::InternalServerError)
        .then(telemetry::current_request_id)
        .flatten();
    Reply {
        status,
        media,
        body: error_body(code, &message.into(), request_id).into(),
        headers: Vec::new(),
    }
}

/// `{"errors":[{"message":…,"extensions":{"code":…}}]}`.
pub(super) fn error_body(code: ErrorCode, message: &str, request_id: Option<String>) -> String {
    let mut extensions = serde_json::json!({ "code": code.as_str() });
    if let Some(id) = request_id {
        extensions["requestId"] = serde_json::Value::String(id);
    }
    serde_json::json!({ "errors": [{ "message": message, "extensions": extensions }] }).to_string()
}

/// `POST /graphql`.
pub(super) async fn graphql_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> impl IntoResponse {
    let media = Media::negotiate(&headers);
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(JSON));
    if !is_json {
        return failure(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            ErrorCode::BadRequest,
            "send the request as application/json",
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
    let batch: BatchRequest = match serde_json::from_slice(&bytes) {
        Ok(batch) => batch,
        Err(_) => {
            return failure(
                StatusCode::BAD_REQUEST,
                media,
                ErrorCode::BadRequest,
                "the body is not a GraphQL request: expected a JSON object with `query` (and optionally `operationName`, `variables`), or a list of them",
            );
        }
    };
    let (requests, batched) = match batch {
        BatchRequest::Single(request) => (vec![request], false),
        BatchRequest::Batch(requests) => (requests, true),
    };
    execute(&state, &headers, Method::POST, media, requests, batched).await
}

/// The query-string form of a GET request.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetParams {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<String>,
}

/// `GET /graphql`: GraphiQL for browsers, queries (never mutations) for everyone else.
pub(super) async fn graphql_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> impl IntoResponse {
    let media = Media::negotiate(&headers);
    let params = match Query::<GetParams>::try_from_uri(&uri) {
        Ok(Query(params)) => params,
        Err(_) => {
            return failure(
                StatusCode::BAD_REQUEST,
                media,
                ErrorCode::BadRequest,
                "the query string is not a GraphQL request",
            )
            .into_response();
        }
    };
    let Some(query) = params.query else {
        let wants_html = headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"));
        if state.graphiql && wants_html {
            return Html(
                async_graphql::http::GraphiQLSource::build()
                    .endpoint("/graphql")
                    .title("resilience-hub")
                    .finish(),
            )
            .into_response();
        }
        return failure(
            StatusCode::BAD_REQUEST,
            media,
            ErrorCode::BadRequest,
            "missing the `query` parameter",
        )
        .into_response();
    };
    let variables = match params
        .variables
        .as_deref()
        .map(serde_json::from_str::<Variables>)
    {
        None => Variables::default(),
        Some(Ok(variables)) => variables,
        Some(Err(_)) => {
            return failure(
                StatusCode::BAD_REQUEST,
                media,
                ErrorCode::BadRequest,
                "the `variables` parameter is not a JSON object",
            )
            .into_response();
        }
    };
    let mut request = Request::new(query).variables(variables);
    if let Some(name) = params.operation_name {
        request = request.operation_name(name);
    }
    execute(&state, &headers, Method::GET, media, vec![request], false)
        .await
        .into_response()
}

/// One request of a batch, after inspection.
enum Prepared {
    /// Ready to execute.
    Run(Box<Request>, Option<OperationInfo>),
    /// Refused before execution, with this error.
    Refused(ServerError),
}

fn prepare(mut request: Request) -> Prepared {
    if request.query.trim().is_empty() {
        return Prepared::Refused(coded_error(ErrorCode::BadRequest, "missing the `query`"));
    }
    if nesting_depth(&request.query) > MAX_NESTING {
        return Prepared::Refused(coded_error(
            ErrorCode::QueryTooComplex,
            format!("the document nests brackets more than {MAX_NESTING} deep"),
        ));
    }
    let operation_name = request.operation_name.clone();
    let info = match request.parsed_query() {
        Ok(doc) => operation_info(doc, operation_name.as_deref()),
        Err(mut err) => {
            set_code(&mut err, ErrorCode::GraphqlParseFailed);
            return Prepared::Refused(err);
        }
    };
    Prepared::Run(Box::new(request), info)
}

/// The caller named by the `Authorization` header, if any.
fn bearer_token(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<VerifiedToken>, TokenError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| TokenError::MalformedHeader)?;
    let (scheme, token) = value.split_once(' ').ok_or(TokenError::MalformedHeader)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(TokenError::MalformedHeader);
    }
    state.keys.verify(token.trim()).map(Some)
}

fn unauthenticated(media: Media, reason: &str, token_sent: bool) -> Reply {
    // The legacy media type keeps 200 for well-formed requests, as the specification asks.
    let status = match media {
        Media::GraphqlResponse => StatusCode::UNAUTHORIZED,
        Media::Json => StatusCode::OK,
    };
    let mut reply = failure(status, media, ErrorCode::Unauthenticated, reason);
    let challenge = if token_sent {
        r#"Bearer realm="resilience-hub", error="invalid_token""#
    } else {
        r#"Bearer realm="resilience-hub""#
    };
    reply.headers.push((
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(challenge),
    ));
    reply
}

fn unavailable(media: Media, message: &str) -> Reply {
    let mut reply = failure(
        StatusCode::SERVICE_UNAVAILABLE,
        media,
        ErrorCode::ServiceUnavailable,
        message,
    );
    reply
        .headers
        .push((header::RETRY_AFTER, HeaderValue::from_static("5")));
    reply
}

async fn execute(
    state: &AppState,
    headers: &HeaderMap,
    method: Method,
    media: Media,
    requests: Vec<Request>,
    batched: bool,
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
    let prepared: Vec<Prepared> = requests.into_iter().map(prepare).collect();
    let infos = || {
        prepared.iter().filter_map(|p| match p {
            Prepared::Run(_, info) => *info,
            Prepared::Refused(_) => None,
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

    let token = match bearer_token(state, headers) {
        Ok(token) => token,
        Err(err) => return unauthenticated(media, &err.to_string(), true),
    };
    if token.is_none() && needs_caller {
        return unauthenticated(media, "this operation needs a bearer token", false);
    }

    let work = run(state, token, writes, prepared);
    let outcome = match tokio::time::timeout(state.request_timeout, work).await {
        Ok(outcome) => outcome,
        Err(_) => {
            return unavailable(
                media,
                &format!(
                    "the request took longer than {} seconds and was abandoned",
                    state.request_timeout.as_secs()
                ),
            );
        }
    };
    let responses = match outcome {
        Ok(responses) => responses,
        Err(Failure::Token(err)) => return unauthenticated(media, &err.to_string(), true),
        Err(Failure::Unavailable) => {
            return unavailable(media, "the database is unavailable; try again shortly");
        }
        Err(Failure::Internal) => {
            return failure(
                StatusCode::INTERNAL_SERVER_ERROR,
                media,
                ErrorCode::InternalServerError,
                INTERNAL_MESSAGE,
            );
        }
    };
    write_responses(media, responses, batched)
}

enum Failure {
    Token(TokenError),
    Unavailable,
    Internal,
}

/// Resolves the caller, opens the request's transaction, executes every request, commits.
async fn run(
    state: &AppState,
    token: Option<VerifiedToken>,
    writes: bool,
    prepared: Vec<Prepared>,
) -> Result<Vec<Response>, Failure> {
    let Some(token) = token else {
        // Only introspection is left: no caller, no database.
        let mut responses = Vec::with_capacity(prepared.len());
        for p in prepared {
            responses.push(execute_one(state, p, None).await);
        }
        return Ok(responses);
    };
    let actor = resolve_actor(&state.db, &token)
        .await
        .map_err(|e| match e {
            ResolveError::Token(err) => Failure::Token(err),
            ResolveError::App(err) => {
                tracing::error!(error = ?err, "resolving the caller failed");
                Failure::Unavailable
            }
        })?;
    let db = state.db.begin_request(writes).await.map_err(|err| {
        tracing::error!(error = ?err, "opening the request's transaction failed");
        Failure::Unavailable
    })?;
    let db = Arc::new(db);
    let access = Access::load(actor, db.clone()).await.map_err(|err| {
        tracing::error!(error = ?err, "resolving what the caller may see failed");
        Failure::Unavailable
    })?;
    let mut responses = Vec::with_capacity(prepared.len());
    let mut panicked = false;
    for p in prepared {
        let response = execute_one(state, p, Some(&access)).await;
        panicked |= response.extensions.contains_key(PANICKED);
        responses.push(response);
    }
    finish(&db, writes, panicked).await?;
    Ok(responses)
}

/// Marks a response whose execution panicked, so that its request's work is rolled back.
const PANICKED: &str = "__panicked";

async fn execute_one(state: &AppState, prepared: Prepared, access: Option<&Access>) -> Response {
    let request = match prepared {
        Prepared::Run(request, _) => *request,
        Prepared::Refused(err) => return Response::from_errors(vec![err]),
    };
    let request = match access {
        Some(access) => request.data(access.clone()).data(Loaders::new(access)),
        None => request,
    };
    guard(state.schema.execute(request)).await
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

/// Commits the request's transaction, unless something panicked (then everything it did is
/// rolled back, since nobody knows what state it left).
async fn finish(db: &RequestDb, writes: bool, panicked: bool) -> Result<(), Failure> {
    if panicked {
        return Err(Failure::Internal);
    }
    match db.finish().await {
        Ok(()) => Ok(()),
        Err(err) if writes => {
            tracing::error!(error = ?err, "committing the request's changes failed");
            Err(Failure::Internal)
        }
        Err(err) => {
            // A read-only transaction has nothing to lose; the answer stands.
            tracing::warn!(error = ?err, "closing a read-only transaction failed");
            Ok(())
        }
    }
}

/// Errors async-graphql produced without a code get one: request-level ones (an unknown
/// operation name, say) are `BAD_REQUEST`; field-level ones are argument values it could not
/// read, `BAD_USER_INPUT`. Internal errors carry the request id.
fn finish_errors(response: &mut Response) {
    let request_id = telemetry::current_request_id();
    for err in &mut response.errors {
        let code = if err.path.is_empty() {
            ErrorCode::BadRequest
        } else {
            ErrorCode::BadUserInput
        };
        set_code(err, code);
        let ext = err.extensions.get_or_insert_with(Default::default);
        let internal = ext.get("code").is_some_and(|c| {
            *c == async_graphql::Value::from(ErrorCode::InternalServerError.as_str())
        });
        if internal && let Some(id) = &request_id {
            ext.set("requestId", id.as_str());
        }
    }
}

/// Whether a response failed before execution (so it has no `data`).
fn is_request_error(response: &Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

fn response_json(mut response: Response) -> serde_json::Value {
    finish_errors(&mut response);
    let mut body = serde_json::Map::new();
    if !is_request_error(&response) {
        body.insert(
            "data".to_owned(),
            serde_json::to_value(&response.data).unwrap_or(serde_json::Value::Null),
        );
    }
    if !response.errors.is_empty() {
        body.insert(
            "errors".to_owned(),
            serde_json::to_value(&response.errors).unwrap_or_default(),
        );
    }
    response.extensions.remove(PANICKED);
    if !response.extensions.is_empty() {
        body.insert(
            "extensions".to_owned(),
            serde_json::to_value(&response.extensions).unwrap_or_default(),
        );
    }
    serde_json::Value::Object(body)
}

fn write_responses(media: Media, responses: Vec<Response>, batched: bool) -> Reply {
    let status = if !batched && media == Media::GraphqlResponse {
        match responses.first() {
            Some(r) if is_request_error(r) => StatusCode::BAD_REQUEST,
            _ => StatusCode::OK,
        }
    } else {
        StatusCode::OK
    };
    let body = if batched {
        serde_json::Value::Array(responses.into_iter().map(response_json).collect())
    } else {
        responses
            .into_iter()
            .next()
            .map(response_json)
            .unwrap_or_default()
    };
    Reply {
        status,
        media,
        body: serde_json::to_vec(&body).unwrap_or_default(),
        headers: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        h
    }

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

    #[test]
    fn the_new_media_type_is_chosen_when_accepted() {
        assert_eq!(
            Media::negotiate(&accept(
                "application/graphql-response+json, application/json"
            )),
            Media::GraphqlResponse
        );
        assert_eq!(Media::negotiate(&accept("application/json")), Media::Json);
        assert_eq!(Media::negotiate(&HeaderMap::new()), Media::Json);
        assert_eq!(
            Media::negotiate(&accept(
                "application/graphql-response+json;q=0, application/json"
            )),
            Media::Json
        );
    }
}
