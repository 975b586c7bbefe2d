//! The limits every document is held to, and error codes for the failures that happen before
//! any resolver runs.
//!
//! Order matters. A document is parsed, then [`admit`]ted: measured ([`super::measure`]) in
//! time linear in its size and refused at once if it nests too deep, selects too many fields or
//! would take validation too much work. Only then is it executed: async-graphql checks its
//! recursion and validates it (work now bounded), and last compares its exact cost estimate
//! with the limit (the schema's `limit_complexity`). async-graphql's own checks expand every
//! fragment spread each time it is used, before any limit is compared, which is what let one
//! 1 KB document hold a worker thread for 48 seconds; so every entry point that executes a
//! document admits it first.
//!
//! The schema that answers queries and mutations has no extensions: with any, async-graphql
//! wraps every field it resolves (a registry lookup, a `ResolveInfo`, boxed futures through
//! each extension), which was a quarter of the service's CPU on large answers. So what an
//! extension would do around validation is done here, around execution: [`code_refusal`] codes
//! the errors of a document execution refused, and [`heavy_future`] runs a large document's
//! validation off the async worker threads.

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{ErrorExtensionValues, Response, ServerError};

use super::measure::{DocumentShape, Unmeasurable, measure};
use crate::error::ErrorCode;
use crate::limits::Limits;

/// The depth allowed under `__schema` and `__type`: that of the standard introspection query
/// of graphql-js and graphql-core (`__schema { types { fields { args { type { ofType × 9 }`),
/// which schema-loading tools send as it is. Other queries keep the configured depth limit.
pub const INTROSPECTION_MAX_DEPTH: usize = 15;

/// How much validation work a document may ask for, per unit of the cost limit: fields,
/// spreads, inline fragments, arguments and directives of every definition, fragments expanded.
/// At the default cost limit of 5,000 that is 100,000, which validates in tens of milliseconds;
/// no document within the cost limit written by hand or by a client library comes near it.
const NODES_PER_UNIT_OF_COST: u64 = 20;

/// Documents whose validation is this much work or more are validated off the async worker
/// threads, so that the requests those threads serve meanwhile do not wait.
const HEAVY_VALIDATION_NODES: u64 = 5_000;

/// What async-graphql says of a document whose cost estimate is over `limit_complexity`.
const TOO_COMPLEX: &str = "Query is too complex.";

/// Measures a parsed document and checks it against the limits; the shape says how heavy its
/// validation will be ([`validates_heavily`]).
pub fn admit(doc: &ExecutableDocument, limits: &Limits) -> Result<DocumentShape, ServerError> {
    let shape = measure(doc).map_err(|Unmeasurable::Cycle(name)| {
        coded_error(
            ErrorCode::GraphqlValidationFailed,
            format!("the fragment \"{name}\" spreads itself, directly or through others"),
        )
    })?;
    check_shape(&shape, limits)?;
    Ok(shape)
}

/// A request-level error with a code (and no path or location).
pub fn coded_error(code: ErrorCode, message: impl Into<String>) -> ServerError {
    let mut err = ServerError::new(message, None);
    set_code(&mut err, code);
    err
}

/// Sets `extensions.code` on an error that has none.
pub fn set_code(err: &mut ServerError, code: ErrorCode) {
    let ext = err
        .extensions
        .get_or_insert_with(ErrorExtensionValues::default);
    if ext.get("code").is_none() {
        ext.set("code", code.as_str());
    }
}

/// A validation error about a value the caller passed (a wrong type, an unknown enum value, a
/// malformed date, an unknown input field): `BAD_USER_INPUT`, naming the field down to the
/// input field (`input.stauts`), with a hint where the type has a written form to follow.
///
/// async-graphql reports these only as text, `Invalid value for argument "input.dueOn",
/// expected type "Date"` or `Invalid value for argument "input", unknown field "stauts" of
/// type "UpdateActionInput"`, so the path is read from it; if a later version words it
/// differently, the error keeps `GRAPHQL_VALIDATION_FAILED` (and the tests that expect
/// `BAD_USER_INPUT` say so).
struct BadArgument {
    /// The dotted path of the field at fault.
    field: String,
    /// What to add to the message.
    hint: Option<&'static str>,
}

fn bad_argument(message: &str) -> Option<BadArgument> {
    let rest = message.strip_prefix("Invalid value for argument \"")?;
    let (path, reason) = rest.split_once('"')?;
    if path.is_empty() {
        return None;
    }
    // `, unknown field "stauts" of type …` and `, field "title" of type "String!" is required
    // but not provided` name a field inside the argument.
    let inner = reason
        .strip_prefix(", unknown field \"")
        .or_else(|| reason.strip_prefix(", field \""))
        .and_then(|rest| rest.split_once('"'))
        .map(|(name, _)| name);
    let field = match inner {
        Some(name) => format!("{path}.{name}"),
        None => path.to_owned(),
    };
    let hint = if reason.contains("expected type \"Date\"") {
        Some("a date is written YYYY-MM-DD, for example 2021-11-30")
    } else if reason.contains("expected type \"DateTime\"") {
        Some("a moment is written as RFC 3339, for example 2021-11-30T09:30:00Z")
    } else {
        None
    };
    Some(BadArgument { field, hint })
}

/// Whether an error repeats, in the words of async-graphql's input parsing, a value error
/// already reported for an argument. The cost estimate parses the arguments it counts with
/// (`first`) a second time, and says so again: one mistake, one error.
fn repeats_a_value_error(message: &str) -> bool {
    message.starts_with("Expected input type \"") || message.starts_with("Failed to parse \"")
}

/// The first limit `shape` breaks, as the error the caller gets.
pub(crate) fn check_shape(shape: &DocumentShape, limits: &Limits) -> Result<(), ServerError> {
    let too_complex = |message: String| Err(coded_error(ErrorCode::QueryTooComplex, message));
    if shape.depth > limits.max_depth {
        return too_complex(format!(
            "the query nests {} levels deep; the limit is {}",
            shape.depth, limits.max_depth
        ));
    }
    if shape.introspection_depth > INTROSPECTION_MAX_DEPTH {
        return too_complex(format!(
            "the introspection query nests {} levels deep; the limit is {INTROSPECTION_MAX_DEPTH}, the depth of the standard introspection query",
            shape.introspection_depth
        ));
    }
    if shape.fields > limits.max_complexity as u64 {
        return too_complex(format!(
            "the query selects {} fields once its fragments are expanded; its cost cannot be under the limit of {}",
            shape.fields, limits.max_complexity
        ));
    }
    let max_nodes = node_limit(limits);
    if shape.nodes > max_nodes {
        return too_complex(format!(
            "the document holds {} fields, fragments, arguments and directives once its fragments are expanded; the limit is {max_nodes}",
            shape.nodes
        ));
    }
    Ok(())
}

fn node_limit(limits: &Limits) -> u64 {
    (limits.max_complexity as u64).saturating_mul(NODES_PER_UNIT_OF_COST)
}

/// Codes the errors of async-graphql's validation: values the caller passed are
/// `BAD_USER_INPUT` naming the field, the rest `GRAPHQL_VALIDATION_FAILED`; an error that only
/// repeats a value error is dropped.
fn code_validation_errors(errors: Vec<ServerError>) -> Vec<ServerError> {
    let read: Vec<(ServerError, Option<BadArgument>)> = errors
        .into_iter()
        .map(|err| {
            let bad = bad_argument(&err.message);
            (err, bad)
        })
        .collect();
    let any_bad_value = read.iter().any(|(_, bad)| bad.is_some());
    read.into_iter()
        .filter(|(err, _)| !(any_bad_value && repeats_a_value_error(&err.message)))
        .map(|(mut err, bad)| {
            match bad {
                Some(bad) => {
                    if let Some(hint) = bad.hint {
                        err.message = format!("{} ({hint})", err.message);
                    }
                    set_code(&mut err, ErrorCode::BadUserInput);
                    if let Some(ext) = err.extensions.as_mut() {
                        ext.set("field", bad.field);
                    }
                }
                None => set_code(&mut err, ErrorCode::GraphqlValidationFailed),
            }
            err
        })
        .collect()
}

/// Runs CPU-heavy `work` (parsing or validating a large document) on this thread while the
/// runtime hands the worker's other tasks to another thread, so that the requests it serves
/// meanwhile do not wait. On a single-threaded runtime (some tests) it simply runs.
pub fn heavy<T>(work: impl FnOnce() -> T) -> T {
    let multi_thread = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if multi_thread {
        tokio::task::block_in_place(work)
    } else {
        work()
    }
}

/// As [`heavy`], for a future that does its work synchronously when first polled, as
/// async-graphql's validation does.
pub(crate) async fn heavy_future<T>(work: impl Future<Output = T>) -> T {
    use futures_util::FutureExt;
    let mut work = std::pin::pin!(work);
    match heavy(|| work.as_mut().now_or_never()) {
        Some(out) => out,
        None => work.await,
    }
}

/// Whether a document of this shape is validated off the async worker threads (see
/// [`heavy_future`]).
pub(crate) fn validates_heavily(shape: &DocumentShape) -> bool {
    shape.nodes >= HEAVY_VALIDATION_NODES
}

/// Codes the errors of a document that execution refused before any resolver ran: such a
/// response has no data, and its errors have no path and no code. A cost estimate over the
/// limit is `QUERY_TOO_COMPLEX`; values the caller passed are `BAD_USER_INPUT` naming the
/// field; the rest of validation's errors are `GRAPHQL_VALIDATION_FAILED`. An unknown or
/// missing operation name is not validation's, and is left uncoded (the HTTP answer makes it
/// `BAD_REQUEST`).
pub fn code_refusal(response: &mut Response, limits: &Limits) {
    let refused = |err: &ServerError| {
        err.path.is_empty()
            && err
                .extensions
                .as_ref()
                .is_none_or(|ext| ext.get("code").is_none())
            && !names_an_operation(&err.message)
    };
    if response.data != async_graphql::Value::Null || !response.errors.iter().any(refused) {
        return;
    }
    let (validation, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut response.errors)
        .into_iter()
        .partition(refused);
    let validation = if validation.iter().any(|err| err.message == TOO_COMPLEX) {
        vec![coded_error(
            ErrorCode::QueryTooComplex,
            format!(
                "the query's estimated cost is over the limit of {} (ask for smaller pages or fewer fields)",
                limits.max_complexity
            ),
        )]
    } else {
        code_validation_errors(validation)
    };
    response.errors = validation;
    response.errors.extend(rest);
}

/// Whether an error is async-graphql's about the operation a request names (or should).
fn names_an_operation(message: &str) -> bool {
    message.starts_with("Unknown operation named") || message.starts_with("Operation name required")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_of_a_bad_argument_is_read_from_the_message() {
        let field = |m: &str| bad_argument(m).map(|b| b.field);
        assert_eq!(
            field(r#"Invalid value for argument "input.dueOn", expected type "Date""#),
            Some("input.dueOn".to_owned())
        );
        assert_eq!(
            field(
                r#"Invalid value for argument "input", unknown field "stauts" of type "UpdateActionInput""#
            ),
            Some("input.stauts".to_owned())
        );
        assert_eq!(
            field(
                r#"Invalid value for argument "input.standards.0", field "title" of type "String!" is required but not provided"#
            ),
            Some("input.standards.0.title".to_owned())
        );
        assert_eq!(field(r#"Unknown field "shoeSize" on type "Me"."#), None);
        assert!(
            bad_argument(r#"Invalid value for argument "asOf", expected type "Date""#)
                .and_then(|b| b.hint)
                .is_some_and(|h| h.contains("YYYY-MM-DD"))
        );
    }

    #[test]
    fn a_repeated_value_error_is_dropped_only_beside_the_first() {
        let coded = |m: &str| ServerError::new(m, None);
        let both = code_validation_errors(vec![
            coded(r#"Invalid value for argument "first", expected type "Int""#),
            coded(r#"Expected input type "Int", found "x"."#),
        ]);
        assert_eq!(both.len(), 1);
        let alone = code_validation_errors(vec![coded(r#"Expected input type "Int", found "x"."#)]);
        assert_eq!(alone.len(), 1, "never lose the only error");
    }

    #[test]
    fn each_limit_is_named_in_its_refusal() {
        let limits = Limits::default();
        let ok = DocumentShape {
            fields: 10,
            depth: 3,
            introspection_depth: INTROSPECTION_MAX_DEPTH,
            nodes: 20,
        };
        assert!(check_shape(&ok, &limits).is_ok());
        for (shape, words) in [
            (DocumentShape { depth: 13, ..ok }, "13 levels"),
            (
                DocumentShape {
                    introspection_depth: 16,
                    ..ok
                },
                "introspection query nests 16",
            ),
            (
                DocumentShape {
                    fields: 134_217_728,
                    ..ok
                },
                "selects 134217728 fields",
            ),
            (
                DocumentShape {
                    nodes: 100_001,
                    ..ok
                },
                "holds 100001",
            ),
        ] {
            let err = check_shape(&shape, &limits).unwrap_err();
            assert!(err.message.contains(words), "{}", err.message);
            assert_eq!(
                err.extensions.unwrap().get("code"),
                Some(&async_graphql::Value::from("QUERY_TOO_COMPLEX"))
            );
        }
    }
}
