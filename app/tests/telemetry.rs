//! What operators watch, from the built binary: one JSON log line per request naming its
//! operation, organisation, role, error codes and statements; plain text without colour codes
//! when the output is not a terminal; and OpenTelemetry traces over OTLP, joined to the
//! caller's `traceparent`, sent to a collector the test runs.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

mod common;

/// The binary over a SQLite file in `dir`, logging at `info`.
fn hub(dir: &Path) -> Command {
    common::hub(dir, "telemetry.db", "info")
}

/// Creates the organisation `rotherham` and returns a token of its `role`.
fn organisation_and_token(dir: &Path, role: &str) -> String {
    common::create_rotherham(hub(dir));
    let out = hub(dir)
        .args(["token", "--org", "rotherham", "--role", role, "--sub", "t"])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Starts `serve`, its log on a pipe, and waits until it is ready.
async fn serve(cmd: Command) -> (Child, String) {
    common::serve(cmd, Stdio::null(), Stdio::piped()).await
}

/// Stops the service as an orchestrator does (SIGTERM) and returns what it logged.
fn stop(child: Child) -> String {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stderr).into_owned()
}

async fn post(base: &str, token: &str, body: Value, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        .json(&body);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_request_has_one_json_log_line_saying_what_it_ran_and_for_whom() {
    let dir = tempfile::tempdir().unwrap();
    let token = organisation_and_token(dir.path(), "manager");
    let mut cmd = hub(dir.path());
    cmd.env("LOG_FORMAT", "json");
    let (child, base) = serve(cmd).await;
    post(
        &base,
        &token,
        json!({ "query": "query Me { me { role } }" }),
        &[("x-request-id", "log-me-1")],
    )
    .await;
    post(
        &base,
        &token,
        json!({ "query": "query Missing { organisation(id: \"org_01a2390a4f167651a8fee1353bd1ada9\") { name } }" }),
        &[("x-request-id", "log-me-2")],
    )
    .await;
    let logs = stop(child);
    let served = |id: &str| -> Value {
        logs.lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|l| l["message"] == "served" && l.to_string().contains(id))
            .unwrap_or_else(|| panic!("no served line for {id}: {logs}"))
    };
    let me = served("log-me-1");
    assert_eq!(me["operation"], "Me", "{me}");
    assert_eq!(me["role"], "manager", "{me}");
    assert!(
        me["org"].as_str().is_some_and(|o| o.starts_with("org_")),
        "{me}"
    );
    assert_eq!(me["status"], 200);
    assert!(me["statements"].as_u64().is_some_and(|n| n >= 1), "{me}");
    assert!(me.get("codes").is_none(), "{me}");
    let missing = served("log-me-2");
    assert_eq!(missing["operation"], "Missing");
    assert_eq!(missing["codes"], "NOT_FOUND", "{missing}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_logs_written_to_a_file_have_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let token = organisation_and_token(dir.path(), "viewer");
    let (child, base) = serve(hub(dir.path())).await;
    post(
        &base,
        &token,
        json!({ "query": "query Me { me { role } }" }),
        &[],
    )
    .await;
    let logs = stop(child);
    assert!(logs.contains("served"), "{logs}");
    assert!(
        logs.contains("operation=\"Me\"") || logs.contains("operation=Me"),
        "{logs}"
    );
    assert!(!logs.contains('\u{1b}'), "ANSI escape codes in {logs}");
}

/// An OTLP/HTTP collector that keeps what it is sent to `/v1/traces` (as JSON).
async fn collector() -> (SocketAddr, Arc<Mutex<Vec<Value>>>) {
    let received: Arc<Mutex<Vec<Value>>> = Arc::default();
    let keep = received.clone();
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |body: axum::body::Bytes| {
            let keep = keep.clone();
            async move {
                if let Ok(value) = serde_json::from_slice::<Value>(&body) {
                    keep.lock().unwrap().push(value);
                }
                axum::Json(json!({}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    (addr, received)
}

/// Every span of every export, flattened, with its resource's attributes.
fn spans(exports: &[Value]) -> Vec<(Value, Value)> {
    let mut out = Vec::new();
    for export in exports {
        for rs in export["resourceSpans"].as_array().into_iter().flatten() {
            for ss in rs["scopeSpans"].as_array().into_iter().flatten() {
                for span in ss["spans"].as_array().into_iter().flatten() {
                    out.push((rs["resource"].clone(), span.clone()));
                }
            }
        }
    }
    out
}

fn attribute<'a>(attributes: &'a Value, key: &str) -> Option<&'a Value> {
    attributes
        .as_array()?
        .iter()
        .find(|a| a["key"] == key)
        .map(|a| &a["value"])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traces_are_exported_over_otlp_joined_to_the_callers_traceparent() {
    let (addr, received) = collector().await;
    let dir = tempfile::tempdir().unwrap();
    let token = organisation_and_token(dir.path(), "viewer");
    let mut cmd = hub(dir.path());
    cmd.env("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{addr}"))
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
        .env("OTEL_BSP_SCHEDULE_DELAY", "100");
    let (child, base) = serve(cmd).await;
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let parent = "00f067aa0ba902b7";
    let resp = post(
        &base,
        &token,
        json!({ "query": "query Me { me { role } }" }),
        &[("traceparent", &format!("00-{trace_id}-{parent}-01"))],
    )
    .await;
    // The response names the trace and the span the request was recorded under.
    let traceresponse = resp
        .headers()
        .get("traceresponse")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        traceresponse.starts_with(&format!("00-{trace_id}-")),
        "{traceresponse:?}"
    );
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["data"]["me"]["role"], "VIEWER");
    // SIGTERM: the service finishes, and sends the spans it holds before it exits.
    let logs = stop(child);
    let exports = received.lock().unwrap().clone();
    let spans = spans(&exports);
    let (resource, request) = spans
        .iter()
        .find(|(_, s)| s["traceId"] == trace_id && s["parentSpanId"] == parent)
        .unwrap_or_else(|| {
            panic!("no span joined to the caller's trace in {exports:?}; logs: {logs}")
        });
    assert_eq!(request["name"], "POST /graphql");
    assert_eq!(
        attribute(&request["attributes"], "graphql.operation.name"),
        Some(&json!({ "stringValue": "Me" })),
        "{request}"
    );
    assert_eq!(
        attribute(&resource["attributes"], "service.name"),
        Some(&json!({ "stringValue": "resilience-hub" }))
    );
    // The span the response named is this one.
    assert!(traceresponse.contains(request["spanId"].as_str().unwrap()));
}
