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
pub(crate) fn js_tools(what: &str) -> Option<PathBuf> {
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

/// The first ```` ```js ```` block after the README's heading `heading`.
fn readme_js(heading: &str) -> String {
    let readme = include_str!("../../README.md");
    let after = readme
        .split_once(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("the README has no `{heading}`"))
        .1;
    let block = after
        .split_once("```js\n")
        .expect("a js block")
        .1
        .split_once("\n```")
        .expect("the block ends")
        .0;
    block.to_owned()
}

/// Lines a child process prints, as they come.
fn lines_of(child: &mut std::process::Child) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().expect("piped");
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// The README's `graphql-ws` client, run as written with Node.js, hears of a change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_s_live_updates_client_receives_a_change() {
    let Some(dir) = js_tools("the README's subscription client") else {
        return;
    };
    let app = TestApp::spawn(Db::Sqlite).await;
    let w = crate::world::World::build(&app).await;
    let a = crate::plan::People::of(&w.council_a);
    let review = crate::plan::review(&app, &a.manager, "Protection peer challenge").await;
    let rec = crate::plan::recommendation(&app, &a.manager, &review, "R1").await;
    let action = crate::plan::action(
        &app,
        &a.manager,
        &rec,
        "Recruit",
        "2021-01-29",
        "2021-03-01",
    )
    .await;
    let mut child = Command::new("node")
        .current_dir(&dir)
        .args(["--input-type=module", "-e", &readme_js("### Live updates")])
        .env(
            "HUB_WS_URL",
            format!("{}/graphql", app.base.replacen("http", "ws", 1)),
        )
        .env("HUB_TOKEN", &a.viewer)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("node runs");
    let lines = lines_of(&mut child);
    let connected = lines.recv_timeout(Duration::from_secs(15));
    assert_eq!(connected.as_deref(), Ok("connected"));
    let mut received = None;
    for version in 1..=5 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        app.gql(
            Some(&a.manager),
            crate::plan::UPDATE_ACTION,
            json!({ "input": { "id": action, "version": version, "title": format!("Recruit ({version})") } }),
        )
        .await
        .data();
        if let Ok(line) = lines.recv_timeout(Duration::from_secs(2)) {
            received = Some(line);
            break;
        }
    }
    let line = received.expect("the client printed the change");
    let change: Value = serde_json::from_str(&line).expect("JSON");
    assert_eq!(change["action"]["id"], action);
    assert_eq!(change["change"]["eventType"], "action.updated");
    assert!(change["action"]["rag"].is_string());
    let status = child.wait().expect("node ends");
    assert!(status.success(), "the client ends cleanly after one change");
}

/// The README's receiver check, run as written with Node.js, accepts a real delivery and
/// refuses it altered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_s_webhook_check_verifies_a_real_delivery() {
    use base64::engine::general_purpose::STANDARD;
    let Some(dir) = js_tools("the README's webhook check") else {
        return;
    };
    let app = TestApp::spawn_with(Db::Sqlite, |c| c.events.webhooks.allow_internal = true).await;
    let w = crate::world::World::build(&app).await;
    let a = crate::plan::People::of(&w.council_a);
    let receiver = crate::webhooks::Receiver::start().await;
    let created = app
        .gql(
            Some(&a.manager),
            crate::webhooks::CREATE_ENDPOINT,
            json!({ "input": { "url": receiver.url(), "eventTypes": ["review.created"] } }),
        )
        .await;
    let secret = created.data()["createWebhookEndpoint"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    crate::plan::review(&app, &a.manager, "Protection peer challenge").await;
    let got = receiver.wait_for(1, Duration::from_secs(10)).await;
    let delivery = got.first().expect("a delivery");
    let headers: serde_json::Map<String, Value> =
        ["webhook-id", "webhook-timestamp", "webhook-signature"]
            .iter()
            .map(|h| {
                (
                    (*h).to_owned(),
                    json!(delivery.headers[*h].to_str().unwrap()),
                )
            })
            .collect();
    let mut altered = delivery.body.clone();
    altered.push(b' ');
    let driver = format!(
        "{}\nconst d = JSON.parse(process.env.DELIVERY);\n\
         console.log(verify(d.secret, d.headers, Buffer.from(d.body, 'base64')));\n\
         console.log(verify(d.secret, d.headers, Buffer.from(d.altered, 'base64')));\n\
         console.log(verify('whsec_' + Buffer.alloc(32).toString('base64'), d.headers, Buffer.from(d.body, 'base64')));\n",
        readme_js("### Webhooks")
    );
    let out = Command::new("node")
        .current_dir(&dir)
        .args(["--input-type=module", "-e", &driver])
        .env(
            "DELIVERY",
            json!({
                "secret": secret,
                "headers": headers,
                "body": STANDARD.encode(&delivery.body),
                "altered": STANDARD.encode(&altered),
            })
            .to_string(),
        )
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        vec!["true", "false", "false"]
    );
}
