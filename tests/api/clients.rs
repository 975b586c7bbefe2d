//! What a front-end team meets first: GraphiQL, served by the service itself with nothing
//! loaded from another host (checked over HTTP, and in headless Chromium with the network to
//! other hosts blocked), and GraphQL Code Generator's TypeScript for the schema and the
//! README's operations, compiled with tsc; and the GraphQL over HTTP specification's own audit.
//!
//! The browser and codegen checks need the tools of `tests/js` (`npm ci --prefix tests/js`)
//! and Chromium. Without them a developer's `cargo test` says so and skips the check; under CI
//! (`CI` set) their absence fails it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};
use sha2::{Digest, Sha384};

use crate::helpers::{Engine as Db, TestApp};

/// The directory of the JavaScript tools, if they are installed; `None` (or a failure under
/// CI) otherwise.
fn js_tools(what: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/js");
    let installed = dir.join("node_modules").is_dir()
        && Command::new("node")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
    if installed {
        return Some(dir);
    }
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
    assert!(
        !ci,
        "{what} needs Node.js and `npm ci --prefix tests/js`, which CI must install"
    );
    eprintln!("skipped: {what} needs Node.js and `npm ci --prefix tests/js`");
    None
}

/// The Chromium the browser check drives.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var("CHROMIUM_PATH")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from("/usr/bin/chromium"));
    if path.exists() {
        return Some(path);
    }
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
    assert!(
        !ci,
        "the browser check needs Chromium at {}",
        path.display()
    );
    eprintln!(
        "skipped: the browser check needs Chromium at {}",
        path.display()
    );
    None
}

/// A service over the demo data, offering the demo personas in GraphiQL, as `cargo run` does.
async fn demo_app() -> TestApp {
    let app = TestApp::spawn_with(Db::Sqlite, |c| {
        c.demo_personas =
            resilience_hub_app::demo::graphiql_personas(Duration::from_secs(8 * 3600));
    })
    .await;
    app.seed_demo().await;
    app
}

/// GraphiQL's page for a browser.
async fn page(app: &TestApp, query: &str) -> crate::helpers::Raw {
    app.raw(
        app.get(&format!("/graphql{query}"))
            .header("accept", "text/html,application/xhtml+xml"),
    )
    .await
}

/// The JSON settings block of the page.
fn settings(html: &str) -> Value {
    let start = html
        .find(r#"<script id="hub-config" type="application/json">"#)
        .unwrap();
    let rest = &html[start..];
    let json = &rest[rest.find('>').unwrap() + 1..rest.find("</script>").unwrap()];
    serde_json::from_str(json).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_loads_nothing_from_another_host() {
    let app = demo_app().await;
    let resp = page(&app, "").await;
    assert_eq!(resp.status, 200);
    assert!(
        resp.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    let csp = resp.header("content-security-policy").unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(csp.contains("connect-src 'self'"), "{csp}");
    assert_eq!(resp.header("cache-control"), Some("no-store"));
    // No address of another host, anywhere in the page.
    assert!(
        !resp.text.contains("http://")
            && !resp.text.contains("https://")
            && !resp.text.contains("//unpkg"),
        "{}",
        resp.text
    );
    // Every script and style sheet is the service's own, and matches its integrity hash.
    let mut checked = 0;
    for attr in ["src=\"", "href=\""] {
        for part in resp.text.split(attr).skip(1) {
            let url = &part[..part.find('"').unwrap()];
            assert!(url.starts_with("/graphiql/"), "{url}");
            let integrity = part
                .split("integrity=\"")
                .nth(1)
                .map(|rest| &rest[..rest.find('"').unwrap()])
                .unwrap();
            let asset = app.raw(app.get(url)).await;
            assert_eq!(asset.status, 200, "{url}");
            let expected = format!(
                "sha384-{}",
                base64::engine::general_purpose::STANDARD
                    .encode(Sha384::digest(asset.text.as_bytes()))
            );
            assert_eq!(integrity, expected, "{url}");
            let kind = asset.header("content-type").unwrap();
            assert!(
                kind.starts_with("text/javascript") || kind.starts_with("text/css"),
                "{url}: {kind}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 6, "four scripts and two style sheets");
    // React's production builds, not its development ones.
    let react = app.raw(app.get("/graphiql/react.production.min.js")).await;
    assert!(react.text.contains("react.production.min.js"));
    assert_eq!(app.raw(app.get("/graphiql/nope.js")).await.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chosen_persona_arrives_with_a_working_token_in_the_header_editor() {
    let app = demo_app().await;
    let resp = page(&app, "?persona=lead").await;
    let config = settings(&resp.text);
    assert_eq!(config["persona"], "lead");
    let personas: Vec<&str> = config["personas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        personas,
        [
            "manager",
            "contributor",
            "lead",
            "borough",
            "partner",
            "operator"
        ]
    );
    let headers: Value = serde_json::from_str(config["headers"].as_str().unwrap()).unwrap();
    let bearer = headers["Authorization"].as_str().unwrap();
    let token = bearer.strip_prefix("Bearer ").unwrap();
    let me = app
        .gql(
            Some(token),
            "{ me { role organisation { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        me.data()["me"]["organisation"]["name"],
        "Central London Sub-Regional Resilience Partnership"
    );
    assert_eq!(me.data()["me"]["role"], "MANAGER");

    // No persona: no token, and the page says how to add one. An unknown one is named.
    let plain = settings(&page(&app, "").await.text);
    assert_eq!(plain["headers"], Value::Null);
    let unknown = settings(&page(&app, "?persona=mayor").await.text);
    assert_eq!(unknown["headers"], Value::Null);
    assert!(unknown["notice"].as_str().unwrap().contains("mayor"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personas_are_offered_only_where_the_demo_tokens_are() {
    // A service not set up with the demo personas (a configured key, a real database) mints
    // nothing, whatever the page is asked.
    let app = TestApp::spawn(Db::Sqlite).await;
    let config = settings(&page(&app, "?persona=lead").await.text);
    assert_eq!(config["headers"], Value::Null);
    assert_eq!(config["personas"], json!([]));
    assert!(
        config["notice"]
            .as_str()
            .unwrap()
            .contains("only in development")
    );
    // And with GraphiQL off, neither the page nor its files are served.
    let off = TestApp::spawn_with(Db::Sqlite, |c| c.graphiql = false).await;
    assert_eq!(page(&off, "").await.status, 400);
    assert_eq!(
        off.raw(off.get("/graphiql/graphiql.min.js")).await.status,
        404
    );
}

/// Runs `node <script> <args>` in `dir`, returning what it printed; fails with its output.
fn node(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("node")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "node {args:?} failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_works_in_a_browser_with_other_hosts_blocked() {
    let Some(dir) = js_tools("the GraphiQL browser check") else {
        return;
    };
    let Some(chromium) = chromium() else {
        return;
    };
    let app = demo_app().await;
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("graphiql");
    let base = app.base.clone();
    let shots_arg = shots.display().to_string();
    let seen = tokio::task::spawn_blocking(move || {
        let out = Command::new("node")
            .current_dir(&dir)
            .env("CHROMIUM_PATH", &chromium)
            .args(["graphiql.mjs", &base, &shots_arg])
            .output()
            .expect("node runs");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    })
    .await
    .unwrap();
    let (ok, stdout, stderr) = seen;
    let report: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!("the browser check printed no report ({e}): {stdout}\n{stderr}")
    });
    assert_eq!(report["elsewhere"], json!([]), "requests to other hosts");
    assert_eq!(report["errors"], json!([]), "errors in the page");
    assert!(ok, "{stdout}\n{stderr}");
    assert!(
        report["results"]["lead"]
            .as_str()
            .unwrap()
            .contains("Central London Sub-Regional Resilience Partnership")
    );
    assert!(
        report["results"]["partner"]
            .as_str()
            .unwrap()
            .contains("Local Government Association")
    );
    assert!(report["docs"].as_str().unwrap().contains("Root Types"));
    eprintln!("GraphiQL screenshots: {}", shots.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_graphql_over_http_audit_passes_every_must_and_should() {
    let Some(dir) = js_tools("the GraphQL over HTTP audit") else {
        return;
    };
    let app = demo_app().await;
    let url = format!("{}/graphql", app.base);
    let token = crate::helpers::token("essex-fire", resilience_hub::auth::Role::Viewer);
    let stdout = tokio::task::spawn_blocking(move || node(&dir, &["audit.mjs", &url, &token]))
        .await
        .unwrap();
    let report: Value = serde_json::from_str(stdout.trim()).unwrap();
    // A MAY the service does otherwise is a notice (a well-formed request with invalid
    // parameters answers 200 under `application/json`, as the specification allows).
    let failed: Vec<&Value> = report["failures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] != "notice")
        .collect();
    assert!(failed.is_empty(), "{report}");
    assert_eq!(
        report["must"],
        json!({ "passed": 13, "of": 13 }),
        "{report}"
    );
    assert_eq!(
        report["should"],
        json!({ "passed": 23, "of": 23 }),
        "{report}"
    );
}

#[test]
fn typescript_from_the_schema_and_the_readmes_operations_compiles() {
    let Some(dir) = js_tools("the TypeScript codegen check") else {
        return;
    };
    let generated = dir.join("generated");
    let _ = std::fs::remove_dir_all(&generated);
    node(
        &dir,
        &[
            "node_modules/.bin/graphql-codegen",
            "--config",
            "codegen.ts",
        ],
    );
    assert!(generated.join("schema.ts").exists());
    let operations = std::fs::read_to_string(generated.join("operations.ts")).unwrap();
    for name in [
        "DashboardQuery",
        "HeatMapQuery",
        "PublishAssessmentMutation",
    ] {
        assert!(operations.contains(name), "{name} was not generated");
    }
    node(
        &dir,
        &["node_modules/.bin/tsc", "--project", "tsconfig.json"],
    );
}
