//! `GET /reports/{collection}/{id}/{file}`: committee papers as files. The caller is named by
//! the bearer token, or by a `link` ticket from `reportLink`; the paper is composed by asking
//! the schema as that caller (`papers::compose`), inside one read-only transaction, and written
//! off the async workers. Every refusal is a GraphQL-shaped JSON body with its code.

use std::sync::Arc;

use async_graphql::{Request, Variables};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::AppState;
use super::bearer::Bearer;
use crate::access::{Access, Actor, ResolveError, resolve_actor};
use crate::error::{ErrorCode, INTERNAL_MESSAGE, UNAVAILABLE_MESSAGE};
use crate::loaders::Loaders;
use crate::papers::link::{Issuer, LinkError};
use crate::papers::{self, Ask, Params, Refusal};
use crate::telemetry;

/// Papers being written at once: one per core.
static RENDERING: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
    tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
});

/// A report may run this many times the statements of one GraphQL request: it pages through
/// a whole plan.
const BUDGET_FACTOR: u32 = 20;

/// `GET /reports/{collection}/{id}/{file}`.
pub(super) async fn report(
    State(state): State<AppState>,
    Path((collection, id, file)): Path<(String, String, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let work = serve(&state, &collection, &id, &file, &headers, &uri);
    match tokio::time::timeout(state.request_timeout * 2, work).await {
        Ok(Ok(response)) => response,
        Ok(Err(refusal)) => refused(refusal),
        Err(_) => refused(Refusal {
            code: ErrorCode::ServiceUnavailable,
            message: "the report took too long and was abandoned".to_owned(),
            field: None,
        }),
    }
}

async fn serve(
    state: &AppState,
    collection: &str,
    id: &str,
    file: &str,
    headers: &HeaderMap,
    uri: &Uri,
) -> Result<Response, Refusal> {
    let mut query: Vec<(String, String)> =
        form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let link = query
        .iter()
        .position(|(k, _)| k == "link")
        .map(|at| query.remove(at).1);
    let params = Params::parse(collection, id, file, &query)?;
    let actor = caller(state, headers, link.as_deref(), &params).await?;
    let _pass = state
        .fair
        .enter(actor.org_id.0)
        .await
        .map_err(|r| refusal(ErrorCode::RateLimited, &r.message()))?;
    let db = state
        .db
        .begin_request(
            false,
            state.limits.max_statements.saturating_mul(BUDGET_FACTOR),
        )
        .await
        .map_err(|_| refusal(ErrorCode::ServiceUnavailable, UNAVAILABLE_MESSAGE))?;
    let db = Arc::new(db);
    let access = Access::load(actor, db.clone(), state.remembered.clone())
        .await
        .map_err(fault)?;
    let asker = Asker { state, access };
    let composed = papers::compose(&params, &asker).await;
    let tally = db.tally();
    let unavailable = tally.unavailable();
    if let Err(err) = db.finish().await {
        tracing::warn!(error = %err, "closing a report's read-only transaction failed");
    }
    if unavailable {
        return Err(refusal(ErrorCode::ServiceUnavailable, UNAVAILABLE_MESSAGE));
    }
    let (paper, flat) = composed?;
    let format = params.format;
    let name = params.file_name(paper.as_of);
    // Papers are written one per core at a time: writing is CPU-bound, and a long PDF holds
    // its layout in memory until it is done, so more at once would only raise the peak.
    let _writing = RENDERING.acquire().await.map_err(Refusal::internal)?;
    let bytes = tokio::task::spawn_blocking(move || papers::render::render(&paper, &flat, format))
        .await
        .map_err(Refusal::internal)??;
    Ok((
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(format.media_type()),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
                    .map_err(Refusal::internal)?,
            ),
            // A paper is the caller's own: never kept by a shared cache.
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// Asks the schema `document` as the bearer token's caller, in a read-only transaction of its
/// own: for downloads built from one answer (a framework's assessment template).
pub(super) async fn ask_as_bearer(
    state: &AppState,
    headers: &HeaderMap,
    document: &'static str,
    variables: Value,
) -> Result<Value, Refusal> {
    let bearer = Bearer::read(state, headers)
        .await
        .map_err(|r| refusal(ErrorCode::RateLimited, &r.message()))?;
    let token = match bearer.token {
        Ok(Some(token)) => token,
        Ok(None) => {
            return Err(refusal(
                ErrorCode::Unauthenticated,
                "this download needs a bearer token",
            ));
        }
        Err(err) => return Err(refusal(ErrorCode::Unauthenticated, &err.to_string())),
    };
    let actor = resolve_actor(&state.db, &state.callers, &token)
        .await
        .map_err(|e| match e {
            ResolveError::Token(err) => refusal(ErrorCode::Unauthenticated, &err.to_string()),
            ResolveError::App(err) => fault(err),
        })?;
    let _pass = state
        .fair
        .enter(actor.org_id.0)
        .await
        .map_err(|r| refusal(ErrorCode::RateLimited, &r.message()))?;
    let db = Arc::new(
        state
            .db
            .begin_request(false, state.limits.max_statements)
            .await
            .map_err(|_| refusal(ErrorCode::ServiceUnavailable, UNAVAILABLE_MESSAGE))?,
    );
    let access = Access::load(actor, db.clone(), state.remembered.clone())
        .await
        .map_err(fault)?;
    let answer = Asker { state, access }.ask(document, variables).await;
    let unavailable = db.tally().unavailable();
    if let Err(err) = db.finish().await {
        tracing::warn!(error = %err, "closing a download's read-only transaction failed");
    }
    if unavailable {
        return Err(refusal(ErrorCode::ServiceUnavailable, UNAVAILABLE_MESSAGE));
    }
    answer
}

/// Who the report is for: the link's caller, or the bearer token's. With both, they must be
/// the same caller.
async fn caller(
    state: &AppState,
    headers: &HeaderMap,
    link: Option<&str>,
    params: &Params,
) -> Result<Actor, Refusal> {
    let bearer = Bearer::read(state, headers)
        .await
        .map_err(|r| refusal(ErrorCode::RateLimited, &r.message()))?;
    let token = match (bearer.token, link) {
        (Ok(token), _) => token,
        // A broken header beside a link is still a broken header.
        (Err(err), _) => return Err(refusal(ErrorCode::Unauthenticated, &err.to_string())),
    };
    let bearer_actor = match &token {
        Some(token) => Some(
            resolve_actor(&state.db, &state.callers, token)
                .await
                .map_err(|e| match e {
                    ResolveError::Token(err) => {
                        refusal(ErrorCode::Unauthenticated, &err.to_string())
                    }
                    ResolveError::App(err) => fault(err),
                })?,
        ),
        None => None,
    };
    match (link, bearer_actor) {
        (Some(ticket), bearer) => state
            .link_key
            .open(ticket, &params.path(), bearer.as_ref(), chrono::Utc::now())
            .map_err(|err| match err {
                LinkError::OtherCaller => refusal(ErrorCode::Forbidden, &err.to_string()),
                _ => refusal(ErrorCode::Unauthenticated, &err.to_string()),
            }),
        (None, Some(actor)) => Ok(actor),
        (None, None) => Err(refusal(
            ErrorCode::Unauthenticated,
            "a report needs a bearer token, or a link from `reportLink`",
        )),
    }
}

/// Asks the schema as the caller, for `papers::compose`.
struct Asker<'a> {
    state: &'a AppState,
    access: Access,
}

#[async_trait::async_trait]
impl Ask for Asker<'_> {
    async fn ask(&self, document: &'static str, variables: Value) -> Result<Value, Refusal> {
        // The service's own documents: parsed and measured as any, but not held to the
        // limits set for clients (a page of a plan asks more than a client may at once).
        let parsed =
            crate::graphql::syntax::parse(document).map_err(|e| Refusal::internal(e.message))?;
        crate::graphql::measure::measure(&parsed)
            .map_err(|_| Refusal::internal("a report's document does not measure"))?;
        let limits = crate::limits::Limits {
            max_page_size: papers::PAGE,
            ..self.state.limits.clone()
        };
        let mut request = Request::new(document)
            .variables(Variables::from_json(variables))
            .data(limits)
            .data(self.access.clone())
            .data(Loaders::new(&self.access));
        request.set_parsed_query(parsed);
        let mut response = self.state.schema.execute(request).await;
        crate::graphql::limits::code_refusal(&mut response, &self.state.limits);
        if let Some(error) = response.errors.first() {
            let code = error
                .extensions
                .as_ref()
                .and_then(|e| e.get("code"))
                .and_then(|c| match c {
                    async_graphql::Value::String(s) => ErrorCode::parse(s),
                    _ => None,
                })
                .unwrap_or(ErrorCode::InternalServerError);
            let field = error
                .extensions
                .as_ref()
                .and_then(|e| e.get("field"))
                .and_then(|f| match f {
                    async_graphql::Value::String(s) => Some(s.clone()),
                    _ => None,
                });
            return Err(match code {
                ErrorCode::InternalServerError => Refusal::internal(&error.message),
                code => Refusal {
                    code,
                    message: error.message.clone(),
                    field,
                },
            });
        }
        response.data.into_json().map_err(Refusal::internal)
    }

    fn access(&self) -> &Access {
        &self.access
    }
}

/// The address the service is reached at, for the links `reportLink` makes: the configured
/// public address, or the request's own `Host` (behind a proxy, its `X-Forwarded-*` headers).
pub(super) fn issuer(state: &AppState, headers: &HeaderMap) -> Issuer {
    let base = state.public_url.clone().unwrap_or_else(|| {
        let value = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .map(str::trim)
        };
        let host = value("x-forwarded-host")
            .or_else(|| value(header::HOST.as_str()))
            .filter(|h| {
                !h.is_empty()
                    && h.chars()
                        .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
            });
        let scheme = match value("x-forwarded-proto") {
            Some("https") => "https",
            _ => "http",
        };
        host.map(|h| format!("{scheme}://{h}")).unwrap_or_default()
    });
    Issuer {
        key: state.link_key.clone(),
        lifetime: state.link_lifetime,
        base,
    }
}

fn refusal(code: ErrorCode, message: &str) -> Refusal {
    Refusal {
        code,
        message: message.to_owned(),
        field: None,
    }
}

/// A database fault, or a bug.
fn fault(err: crate::error::AppError) -> Refusal {
    match err {
        crate::error::AppError::Unavailable(detail) => {
            tracing::warn!(error = %format!("{detail:#}"), "a report: the database is unavailable");
            refusal(ErrorCode::ServiceUnavailable, UNAVAILABLE_MESSAGE)
        }
        other => Refusal::internal(other),
    }
}

/// A refusal as a response: the status its code calls for, and a GraphQL error body.
pub(super) fn refused(refusal: Refusal) -> Response {
    let status = match refusal.code {
        ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::BadUserInput | ErrorCode::BadRequest | ErrorCode::QueryTooComplex => {
            StatusCode::BAD_REQUEST
        }
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
        INTERNAL_MESSAGE.to_owned()
    } else {
        refusal.message
    };
    let mut extensions = serde_json::json!({ "code": refusal.code.as_str() });
    if let Some(field) = refusal.field {
        extensions["field"] = Value::String(field);
    }
    if status == StatusCode::INTERNAL_SERVER_ERROR
        && let Some(id) = telemetry::current_request_id()
    {
        extensions["requestId"] = Value::String(id);
    }
    let body = serde_json::json!({ "errors": [{ "message": message, "extensions": extensions }] });
    let mut response = (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        Body::from(body.to_string()),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"Bearer realm="resilience-hub""#),
        );
    }
    if status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::TOO_MANY_REQUESTS {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
    }
    response
}
