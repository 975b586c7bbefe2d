//! Reading GraphQL requests out of HTTP: a POST's JSON body (one request or a batch) and a
//! GET's query string, each with the document itself or only its id (a persisted query).
//!
//! A request that cannot be read is refused with a message that says what is wrong with it,
//! not only that something is: `variables` sent as a string of JSON rather than an object is
//! the mistake clients make most, and the message says so.

use async_graphql::Variables;
use serde::Deserialize;

/// One GraphQL request as it came over HTTP, before its document is known: it may carry the
/// document (`query`), only the document's id (`documentId`, or the Apollo protocol's
/// `extensions.persistedQuery`), or both.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireRequest {
    #[serde(default)]
    pub(crate) query: Option<String>,
    #[serde(default)]
    pub(crate) operation_name: Option<String>,
    #[serde(default)]
    pub(crate) variables: Variables,
    #[serde(default)]
    pub(crate) extensions: Option<WireExtensions>,
    /// A trusted document's id (the GraphQL-over-HTTP persisted documents proposal, and what
    /// GraphQL Code Generator's client preset sends).
    #[serde(default)]
    pub(crate) document_id: Option<String>,
    /// Files sent with the GraphQL multipart request spec; its variables name them.
    #[serde(skip)]
    pub(crate) uploads: Uploads,
}

/// The files of a multipart request.
#[derive(Default)]
pub(crate) struct Uploads(pub(crate) Vec<async_graphql::UploadValue>);

impl std::fmt::Debug for Uploads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} files", self.0.len())
    }
}

/// The request extensions the service reads.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireExtensions {
    /// Apollo's automatic persisted queries: `{ "version": 1, "sha256Hash": "…" }`.
    #[serde(default)]
    pub(crate) persisted_query: Option<PersistedQueryExtension>,
}

/// `extensions.persistedQuery`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PersistedQueryExtension {
    pub(crate) version: i64,
    pub(crate) sha256_hash: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum WireBatch {
    One(Box<WireRequest>),
    Many(Vec<WireRequest>),
}

/// The requests of a POST body, and whether they came as a batch (a JSON list).
pub(crate) fn from_body(bytes: &[u8]) -> Result<(Vec<WireRequest>, bool), String> {
    match serde_json::from_slice::<WireBatch>(bytes) {
        Ok(WireBatch::One(request)) => Ok((vec![*request], false)),
        Ok(WireBatch::Many(requests)) => Ok((requests, true)),
        Err(_) => Err(body_problem(bytes)),
    }
}

/// The query-string form of a GET request.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetParams {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
    document_id: Option<String>,
}

/// A GET request: `None` when it names no document at all (a browser asking for GraphiQL,
/// say).
pub(crate) fn from_query_string(query: Option<&str>) -> Result<Option<WireRequest>, String> {
    let params: GetParams = serde_urlencoded::from_str(query.unwrap_or(""))
        .map_err(|_| "the query string is not a GraphQL request".to_owned())?;
    if params.query.is_none() && params.extensions.is_none() && params.document_id.is_none() {
        return Ok(None);
    }
    let variables = match params.variables.as_deref() {
        None => Variables::default(),
        Some(text) => serde_json::from_str(text).map_err(|_| {
            match serde_json::from_str::<serde_json::Value>(text) {
                Ok(value) => wrong_shape("the `variables` parameter", &value),
                Err(_) => "the `variables` parameter is not JSON".to_owned(),
            }
        })?,
    };
    let extensions = match params.extensions.as_deref() {
        None => None,
        Some(text) => Some(serde_json::from_str(text).map_err(|_| {
            "the `extensions` parameter must be a JSON object, such as {\"persistedQuery\":{\"version\":1,\"sha256Hash\":\"…\"}}".to_owned()
        })?),
    };
    Ok(Some(WireRequest {
        query: params.query,
        operation_name: params.operation_name,
        variables,
        extensions,
        document_id: params.document_id,
        ..Default::default()
    }))
}

/// What is wrong with a body that is not a GraphQL request, as precisely as can be said.
fn body_problem(bytes: &[u8]) -> String {
    let value: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(value) => value,
        Err(err) => return format!("the body is not JSON ({err})"),
    };
    match &value {
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| {
                request_problem(item).map(|p| format!("request {} of the batch: {p}", i + 1))
            })
            .unwrap_or_else(not_a_request),
        item => request_problem(item).unwrap_or_else(not_a_request),
    }
}

fn not_a_request() -> String {
    "the body is not a GraphQL request: expected a JSON object with `query` (and optionally `operationName`, `variables`, `extensions`), or a list of them".to_owned()
}

/// What is wrong with one request of a body, if anything can be named.
fn request_problem(item: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    let Value::Object(fields) = item else {
        return Some(format!(
            "a request must be a JSON object with `query`, not {}",
            kind(item)
        ));
    };
    for (name, want) in [
        ("query", "a string holding the GraphQL document"),
        ("operationName", "a string"),
        ("documentId", "a string"),
    ] {
        match fields.get(name) {
            None | Some(Value::Null) | Some(Value::String(_)) => {}
            Some(other) => return Some(format!("`{name}` must be {want}, not {}", kind(other))),
        }
    }
    match fields.get("variables") {
        None | Some(Value::Null) | Some(Value::Object(_)) => {}
        Some(other) => return Some(wrong_shape("`variables`", other)),
    }
    match fields.get("extensions") {
        None | Some(Value::Null) => {}
        Some(Value::Object(ext)) => {
            if let Some(pq) = ext.get("persistedQuery")
                && !pq.is_null()
                && !(pq.get("version").is_some_and(Value::is_i64)
                    && pq.get("sha256Hash").is_some_and(Value::is_string))
            {
                return Some(
                    "`extensions.persistedQuery` must be {\"version\": 1, \"sha256Hash\": \"<the document's SHA-256, in hex>\"}"
                        .to_owned(),
                );
            }
        }
        Some(other) => {
            return Some(format!(
                "`extensions` must be a JSON object, not {}",
                kind(other)
            ));
        }
    }
    None
}

/// Why `value` is not a variables object; a string holding JSON gets the hint.
fn wrong_shape(what: &str, value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text)
            if serde_json::from_str::<serde_json::Value>(text).is_ok_and(|v| v.is_object()) =>
        {
            format!(
                "{what} must be a JSON object; it is a string holding JSON (encoded twice?): send the object itself, as {{\"variables\": {{\"name\": value}}}}"
            )
        }
        other => format!("{what} must be a JSON object, not {}", kind(other)),
    }
}

/// A JSON value's kind, as a message names it.
fn kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_of_one_request_or_a_batch_is_read() {
        let (one, batched) = from_body(br#"{"query":"{ me { role } }","variables":null}"#).unwrap();
        assert!(!batched);
        assert_eq!(one[0].query.as_deref(), Some("{ me { role } }"));
        let (many, batched) =
            from_body(br#"[{"query":"{ a }"},{"documentId":"sha256:ab"}]"#).unwrap();
        assert!(batched);
        assert_eq!(many[1].document_id.as_deref(), Some("sha256:ab"));
    }

    #[test]
    fn each_malformed_part_is_named() {
        for (body, words) in [
            (r#"{"query": "#, "not JSON"),
            ("42", "not a number"),
            (r#"{"query": 7}"#, "`query` must be a string"),
            (
                r#"{"query": "{ a }", "variables": "{\"d\": 1}"}"#,
                "string holding JSON",
            ),
            (
                r#"{"query": "{ a }", "variables": "nope"}"#,
                "must be a JSON object, not a string",
            ),
            (r#"{"query": "{ a }", "variables": [1]}"#, "not a list"),
            (
                r#"[{"query": "{ a }"}, {"query": 1}]"#,
                "request 2 of the batch",
            ),
            (
                r#"{"extensions": {"persistedQuery": {"version": 1}}}"#,
                "sha256Hash",
            ),
        ] {
            let problem = from_body(body.as_bytes()).unwrap_err();
            assert!(problem.contains(words), "{body}: {problem}");
        }
    }

    #[test]
    fn a_get_request_reads_its_json_parameters() {
        let req = from_query_string(Some(
            "operationName=Me&variables=%7B%22a%22%3A1%7D&extensions=%7B%22persistedQuery%22%3A%7B%22version%22%3A1%2C%22sha256Hash%22%3A%22ab%22%7D%7D",
        ))
        .unwrap()
        .unwrap();
        assert_eq!(req.operation_name.as_deref(), Some("Me"));
        assert_eq!(
            req.extensions.unwrap().persisted_query.unwrap().sha256_hash,
            "ab"
        );
        assert!(from_query_string(None).unwrap().is_none());
        let err = from_query_string(Some("query=%7Ba%7D&variables=%22%7B%7D%22")).unwrap_err();
        assert!(err.contains("string holding JSON"), "{err}");
    }
}
