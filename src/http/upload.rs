//! `POST /graphql` as `multipart/form-data`: the GraphQL multipart request spec, which front
//! ends' upload clients send (an `operations` part, a `map` part, then the files).
//!
//! The body is read whole into memory under a bound a little above the largest file an
//! import takes, so a larger one is refused before it is read, and the spec's parts are then
//! parsed by async-graphql. The operations become wire requests like a JSON body's, carrying
//! their files.

use axum::body::Body;
use axum::http::StatusCode;

use super::request::{Uploads, WireRequest};
use crate::error::ErrorCode;

/// The largest multipart body: an import's largest file and room for the other parts.
const MAX_BODY: usize = crate::imports::MAX_UPLOAD_BYTES + 1024 * 1024;

/// Why a multipart body is refused.
pub(super) struct Refusal {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
}

/// The requests of a multipart body, and whether they came as a batch.
pub(super) async fn read(
    body: Body,
    content_type: &str,
    max_operations: usize,
) -> Result<(Vec<WireRequest>, bool), Refusal> {
    let bytes = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| Refusal {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        code: ErrorCode::FileTooLarge,
        message: format!(
            "the request is larger than {MAX_BODY} bytes; files must be smaller than {} bytes (5 MB)",
            crate::imports::MAX_UPLOAD_BYTES
        ),
    })?;
    let options = async_graphql::http::MultipartOptions::default()
        .max_file_size(MAX_BODY)
        .max_num_files(4);
    let batch = async_graphql::http::receive_batch_body(
        Some(content_type),
        futures_util::io::Cursor::new(bytes.to_vec()),
        options,
    )
    .await
    .map_err(|err| Refusal {
        status: StatusCode::BAD_REQUEST,
        code: ErrorCode::BadRequest,
        message: format!(
            "the multipart request cannot be read ({err}); send `operations`, `map` and the files, as the GraphQL multipart request spec says"
        ),
    })?;
    let (requests, batched) = match batch {
        async_graphql::BatchRequest::Single(r) => (vec![r], false),
        async_graphql::BatchRequest::Batch(rs) => (rs, true),
    };
    // The room is for files: the operations are held to a JSON body's bound.
    let operations: usize = requests
        .iter()
        .map(|r| r.query.len() + r.variables.to_string().len())
        .sum();
    if operations > max_operations {
        return Err(Refusal {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: ErrorCode::BadRequest,
            message: format!(
                "the request's operations are larger than {max_operations} bytes; only files may be larger"
            ),
        });
    }
    Ok((
        requests
            .into_iter()
            .map(|r| WireRequest {
                query: Some(r.query),
                operation_name: r.operation_name,
                variables: r.variables,
                extensions: None,
                document_id: None,
                uploads: Uploads(r.uploads),
            })
            .collect(),
        batched,
    ))
}
