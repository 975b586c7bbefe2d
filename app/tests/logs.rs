//! Every log line of a request carries its request id: at `RUST_LOG=warn` too, in both log
//! formats, and from the DataLoaders' batches, which run on tasks of their own.
//!
//! The service runs as the built binary, logging as it would in production, and the test
//! reads what it wrote to standard error.

use std::process::Stdio;

use sea_orm::ConnectionTrait;
use serde_json::json;

const CREATE_REVIEW: &str =
    "mutation($input: CreateReviewInput!) { createReview(input: $input) { review { id } } }";

mod common;

/// What `serve` logs, at `RUST_LOG=warn` in `format`, while a DataLoader's batch fails under
/// a request with the id `trace-me-42`.
async fn logs_of_a_failing_loader(format: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("logs.db").display());
    let hub = || {
        let mut cmd = common::hub(dir.path(), "logs.db", "warn");
        cmd.env("LOG_FORMAT", format);
        cmd
    };
    let org = common::create_rotherham(hub());

    // Tokens as an operator mints them, with the binary's `token`.
    let token = |role: &str| {
        let out = hub()
            .args(["token", "--org", &org, "--role", role, "--sub", "logs-test"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };

    let (mut server, base) = common::serve(hub(), Stdio::null(), Stdio::piped()).await;
    let client = reqwest::Client::new();

    let gql = |tok: String, query: &'static str, variables: serde_json::Value| {
        client
            .post(format!("{base}/graphql"))
            .bearer_auth(tok)
            .header("x-request-id", "trace-me-42")
            .json(&json!({ "query": query, "variables": variables }))
            .send()
    };
    let review: serde_json::Value = gql(
        token("manager"),
        CREATE_REVIEW,
        json!({ "input": { "kind": "PEER_REVIEW", "title": "Peer review", "reviewer": "Herts",
            "judgements": [{ "area": "Protection", "grade": "GOOD" }] } }),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let id = review["data"]["createReview"]["review"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Through `node`, nothing primes the loaders: the review's judgements are read by a
    // DataLoader, in a batch of its own, which fails.
    let db = sea_orm::Database::connect(&url).await.unwrap();
    db.execute_unprepared("ALTER TABLE review_judgements RENAME TO review_judgements_gone")
        .await
        .unwrap();
    let body: serde_json::Value = gql(
        token("viewer"),
        "query($id: ID!) { node(id: $id) { ... on Review { title judgements { area } } } }",
        json!({ "id": id }),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "INTERNAL_SERVER_ERROR"
    );
    assert_eq!(body["errors"][0]["extensions"]["requestId"], "trace-me-42");

    server.kill().unwrap();
    let out = server.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loaders_error_is_logged_with_the_request_id_at_warn() {
    for format in ["text", "json"] {
        let logs = logs_of_a_failing_loader(format).await;
        let lines: Vec<&str> = logs
            .lines()
            .filter(|l| l.contains("review_judgements"))
            .collect();
        assert!(
            lines.iter().any(|l| l.contains("internal error")),
            "{format}: the loader's failure was logged: {logs}"
        );
        for line in lines {
            let tagged = match format {
                "json" => line.contains(r#""request_id":"trace-me-42""#),
                _ => line.contains("request_id=trace-me-42"),
            };
            assert!(tagged, "{format}: {line}");
        }
    }
}
