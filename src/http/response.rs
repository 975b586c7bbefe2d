//! Writing GraphQL responses: the media type, the status code, error codes for errors
//! async-graphql leaves uncoded, and the JSON body (with no `data` for a request error).

use async_graphql::Response;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;

use super::observe::Observed;
use crate::error::ErrorCode;
use crate::graphql::set_code;
use crate::telemetry;

pub(super) const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
pub(super) const JSON: &str = "application/json";

/// The media type of the response, chosen from the `Accept` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Media {
    /// `application/graphql-response+json`: request errors get 4xx statuses.
    GraphqlResponse,
    /// `application/json`: every well-formed request gets 200.
    Json,
}

impl Media {
    pub(super) fn negotiate(headers: &HeaderMap) -> Self {
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
pub(super) struct Reply {
    pub(super) status: StatusCode,
    pub(super) media: Media,
    pub(super) body: Vec<u8>,
    pub(super) headers: Vec<(header::HeaderName, HeaderValue)>,
    /// The codes of the errors in the body, for the service's metrics.
    pub(super) codes: Vec<ErrorCode>,
    /// What the request ran and for whom, for its log line and its metrics.
    pub(super) observed: Observed,
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
        response.extensions_mut().insert(Observed {
            codes: self.codes,
            ..self.observed
        });
        response
    }
}

/// A whole-request failure: one error, no `data`.
pub(super) fn failure(
    status: StatusCode,
    media: Media,
    code: ErrorCode,
    message: impl Into<String>,
) -> Reply {
    let request_id = (code == ErrorCode::InternalServerError)
        .then(telemetry::current_request_id)
        .flatten();
    Reply {
        status,
        media,
        body: error_body(code, &message.into(), request_id).into(),
        headers: Vec::new(),
        codes: vec![code],
        observed: Observed::default(),
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

pub(super) fn unauthenticated(media: Media, reason: &str, token_sent: bool) -> Reply {
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

/// Seconds a client should wait before retrying when the database failed under its request:
/// the pool reconnects on the next request once the database is back.
const RETRY_AFTER_UNAVAILABLE: &str = "2";

pub(super) fn unavailable(media: Media, message: &str) -> Reply {
    let mut reply = failure(
        StatusCode::SERVICE_UNAVAILABLE,
        media,
        ErrorCode::ServiceUnavailable,
        message,
    );
    reply.headers.push((
        header::RETRY_AFTER,
        HeaderValue::from_static(RETRY_AFTER_UNAVAILABLE),
    ));
    reply
}

/// `429 Too Many Requests` under either media type (the request was well formed, but not
/// served), with `Retry-After`.
pub(super) fn rate_limited(media: Media, refusal: super::fair::Refusal) -> Reply {
    let mut reply = failure(
        StatusCode::TOO_MANY_REQUESTS,
        media,
        ErrorCode::RateLimited,
        refusal.message(),
    );
    reply.headers.push((
        header::RETRY_AFTER,
        HeaderValue::from(refusal.retry_after_secs()),
    ));
    reply
}

/// Marks a response whose execution panicked, so that its request's work is rolled back.
pub(super) const PANICKED: &str = "__panicked";

/// The most errors one response carries: a document that repeats a mistake ten thousand times
/// gets the first of them and a count of the rest, not a reply seven times its size.
pub(super) const MAX_ERRORS: usize = 50;

/// Errors async-graphql produced without a code get one: request-level ones (an unknown
/// operation name, say) are `BAD_REQUEST`; field-level ones are argument values it could not
/// read, `BAD_USER_INPUT`. Internal errors carry the request id. Past [`MAX_ERRORS`], the rest
/// are replaced by one error that counts them.
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
    cap_errors(&mut response.errors);
}

/// Keeps the first `MAX_ERRORS - 1` errors and sums up the rest in a last one, which carries
/// the code of the first it replaces and, in `extensions.omitted`, how many it replaces.
fn cap_errors(errors: &mut Vec<async_graphql::ServerError>) {
    if errors.len() <= MAX_ERRORS {
        return;
    }
    let omitted = errors.len() - (MAX_ERRORS - 1);
    let code = errors[MAX_ERRORS - 1]
        .extensions
        .as_ref()
        .and_then(|ext| ext.get("code").cloned());
    errors.truncate(MAX_ERRORS - 1);
    let mut summary = async_graphql::ServerError::new(format!("… and {omitted} more errors"), None);
    let ext = summary.extensions.get_or_insert_with(Default::default);
    if let Some(code) = code {
        ext.set("code", code);
    }
    ext.set("omitted", omitted as u64);
    errors.push(summary);
}

/// Whether a response failed before execution (so it has no `data`).
fn is_request_error(response: &Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

/// One finished response as the body shows it, serialised straight from the response: a copy
/// of a large answer as a JSON tree first would cost as much again.
struct ResponseBody(Response);

impl ResponseBody {
    /// The body of a response whose errors are finished (see [`finish_errors`]).
    fn of(mut response: Response) -> Self {
        response.extensions.remove(PANICKED);
        ResponseBody(response)
    }
}

impl serde::Serialize for ResponseBody {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let response = &self.0;
        let mut map = serializer.serialize_map(None)?;
        if !is_request_error(response) {
            map.serialize_entry("data", &response.data)?;
        }
        if !response.errors.is_empty() {
            map.serialize_entry("errors", &response.errors)?;
        }
        if !response.extensions.is_empty() {
            map.serialize_entry("extensions", &response.extensions)?;
        }
        map.end()
    }
}

/// One response's body as JSON (for tests).
#[cfg(test)]
pub(super) fn response_json(mut response: Response) -> serde_json::Value {
    finish_errors(&mut response);
    serde_json::to_value(ResponseBody::of(response)).unwrap_or_default()
}

pub(super) fn write_responses(media: Media, mut responses: Vec<Response>, batched: bool) -> Reply {
    responses.iter_mut().for_each(finish_errors);
    let status = if !batched && media == Media::GraphqlResponse {
        match responses.first() {
            Some(r) if is_request_error(r) => StatusCode::BAD_REQUEST,
            _ => StatusCode::OK,
        }
    } else {
        StatusCode::OK
    };
    let codes: Vec<ErrorCode> = responses
        .iter()
        .flat_map(|r| &r.errors)
        .filter_map(|e| match e.extensions.as_ref()?.get("code")? {
            async_graphql::Value::String(code) => ErrorCode::parse(code),
            _ => None,
        })
        .collect();
    let body = if batched {
        serde_json::to_vec(
            &responses
                .into_iter()
                .map(ResponseBody::of)
                .collect::<Vec<_>>(),
        )
    } else {
        match responses.into_iter().next() {
            Some(response) => serde_json::to_vec(&ResponseBody::of(response)),
            None => Ok(b"null".to_vec()),
        }
    };
    let mut headers = Vec::new();
    if codes.contains(&ErrorCode::PersistedQueryNotFound) {
        // A GET naming a document by hash must not be answered "not found" from a cache once
        // the document is registered.
        headers.push((
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache, must-revalidate"),
        ));
    }
    Reply {
        status,
        media,
        body: body.unwrap_or_default(),
        headers,
        codes,
        observed: Observed::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_past_the_cap_are_counted_in_one() {
        let mut response = Response::from_errors(
            (0..10_000)
                .map(|i| {
                    crate::graphql::coded_error(ErrorCode::GraphqlValidationFailed, format!("e{i}"))
                })
                .collect(),
        );
        finish_errors(&mut response);
        assert_eq!(response.errors.len(), MAX_ERRORS);
        let last = response.errors.last().unwrap();
        assert_eq!(
            last.message,
            format!("… and {} more errors", 10_000 - MAX_ERRORS + 1)
        );
        let ext = last.extensions.as_ref().unwrap();
        assert_eq!(
            ext.get("code"),
            Some(&async_graphql::Value::from("GRAPHQL_VALIDATION_FAILED"))
        );
        assert!(is_request_error(&response));

        let mut few =
            Response::from_errors(vec![crate::graphql::coded_error(ErrorCode::NotFound, "x")]);
        finish_errors(&mut few);
        assert_eq!(few.errors.len(), 1);
    }

    fn accept(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        h
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
