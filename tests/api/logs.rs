//! Every log line of a request carries its request id: at `RUST_LOG=warn` too, and from the
//! DataLoaders' batches, which run on tasks of their own.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::json;

use crate::helpers::{Engine, TestApp};
use crate::plan::{review, setup};

/// Log output kept in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// A single-threaded runtime, so that the service's tasks (the loaders' among them) run on
// this thread, under the subscriber set for it.
#[tokio::test]
async fn a_loaders_error_is_logged_with_the_request_id_at_warn() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let app = TestApp::spawn(Engine::Sqlite).await;
    let (_, people) = setup(&app).await;
    let id = review(&app, &people.manager, "Protection peer review").await;
    // Through `node`, nothing primes the loaders: a review's judgements are read by a
    // DataLoader, in a batch of its own.
    app.sql("ALTER TABLE review_judgements RENAME TO review_judgements_gone")
        .await;
    captured.0.lock().unwrap().clear();
    let resp = app
        .raw(
            app.post()
                .bearer_auth(&people.viewer)
                .header("x-request-id", "trace-me-42")
                .json(&json!({
                    "query": "query($id: ID!) { node(id: $id) { ... on Review { title judgements { area } } } }",
                    "variables": { "id": id }
                })),
        )
        .await;
    let body = resp.json();
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "INTERNAL_SERVER_ERROR"
    );
    assert_eq!(body["errors"][0]["extensions"]["requestId"], "trace-me-42");
    app.sql("ALTER TABLE review_judgements_gone RENAME TO review_judgements")
        .await;

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines.iter().any(|l| l.contains("internal error")),
        "the loader's failure was logged: {text}"
    );
    for line in &lines {
        assert!(line.contains("request_id=trace-me-42"), "{line}");
    }
}
