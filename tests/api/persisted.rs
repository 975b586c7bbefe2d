//! Persisted queries: Apollo's automatic persisted queries (miss, register, hit, a hash that
//! does not match), kept apart per organisation; and the allow-list of trusted documents, which
//! refuses every other document.

use resilience_hub::auth::Role;
use resilience_hub::http::{PersistedMode, PersistedSettings};
use resilience_hub::organisations::OrgKind;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{Engine, TestApp, api_test, engines, token};
use crate::world::World;

const GQL: &str = "application/graphql-response+json";
const ME: &str = "query Me { me { role organisation { name } } }";

fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// `extensions.persistedQuery` for `hash`.
fn apq(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

/// POSTs `body` as `tok`; returns (status, body).
async fn post(app: &TestApp, tok: &str, body: Value) -> (u16, Value) {
    let resp = app
        .raw(
            app.post()
                .bearer_auth(tok)
                .header("accept", GQL)
                .json(&body),
        )
        .await;
    (resp.status, resp.json())
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("(none)")
}

api_test!(automatic_persisted_queries_miss_register_and_hit, |app| {
    let w = World::build(&app).await;
    let tok = token(&w.council_a, Role::Viewer);
    let hash = sha256(ME);

    // Miss: the hash alone, before anyone sent the document.
    let (status, body) = post(&app, &tok, json!({ "extensions": apq(&hash) })).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_FOUND");
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");

    // A hash that is not the document's: refused, and nothing is kept.
    let wrong = sha256("{ me { role } }");
    let (_, body) = post(
        &app,
        &tok,
        json!({ "query": ME, "extensions": apq(&wrong) }),
    )
    .await;
    assert_eq!(code(&body), "BAD_REQUEST", "{body}");
    let (_, body) = post(&app, &tok, json!({ "extensions": apq(&wrong) })).await;
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_FOUND");

    // Register: the hash with the document runs it.
    let (status, body) = post(
        &app,
        &tok,
        json!({ "query": ME, "operationName": "Me", "extensions": apq(&hash) }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["me"]["role"], "VIEWER");

    // Hit: the hash alone now runs it, with variables, over POST and over GET.
    let (status, body) = post(&app, &tok, json!({ "extensions": apq(&hash) })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["me"]["role"], "VIEWER");
    let extensions = apq(&hash).to_string();
    let resp = app
        .raw(
            app.get("/graphql")
                .bearer_auth(&tok)
                .header("accept", GQL)
                .query(&[("operationName", "Me"), ("extensions", extensions.as_str())]),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    assert_eq!(resp.json()["data"]["me"]["role"], "VIEWER");

    // A miss over GET must not be cached by whatever sits in between.
    let other = apq(&sha256("{ __typename }")).to_string();
    let resp = app
        .raw(
            app.get("/graphql")
                .bearer_auth(&tok)
                .query(&[("extensions", other.as_str())]),
        )
        .await;
    assert_eq!(resp.code(), "PERSISTED_QUERY_NOT_FOUND");
    assert!(
        resp.header("cache-control")
            .is_some_and(|v| v.contains("no-cache")),
        "{:?}",
        resp.headers
    );

    // A mutation registered by hash still may not run over GET.
    let mutation = "mutation { updateSharingSettings(input: { version: 99 }) { sharingSettings { version } } }";
    let manager = token(&w.council_a, Role::Manager);
    let m_hash = sha256(mutation);
    post(
        &app,
        &manager,
        json!({ "query": mutation, "extensions": apq(&m_hash) }),
    )
    .await;
    let m_ext = apq(&m_hash).to_string();
    let resp = app
        .raw(
            app.get("/graphql")
                .bearer_auth(&manager)
                .query(&[("extensions", m_ext.as_str())]),
        )
        .await;
    assert_eq!(resp.status, 405, "{}", resp.text);

    // An unsupported version of the protocol is named.
    let (_, body) = post(
        &app,
        &tok,
        json!({ "extensions": { "persistedQuery": { "version": 2, "sha256Hash": hash } } }),
    )
    .await;
    assert_eq!(code(&body), "BAD_REQUEST");
});

api_test!(
    another_organisation_never_finds_a_registered_document,
    |app| {
        let w = World::build(&app).await;
        let alpha = token(&w.council_a, Role::Manager);
        let beta = token(&w.council_b, Role::Manager);
        // A document with another organisation's data in it: whether its hash is held must not
        // tell anyone else that someone sent it.
        let doc = format!(
            r#"query Secret {{ organisation(id: "{}") {{ name }} }}"#,
            w.council_a
        );
        let hash = sha256(&doc);
        let (_, body) = post(
            &app,
            &alpha,
            json!({ "query": doc, "extensions": apq(&hash) }),
        )
        .await;
        assert_eq!(
            body["data"]["organisation"]["name"],
            "Alpha Borough Council"
        );
        let (_, body) = post(&app, &alpha, json!({ "extensions": apq(&hash) })).await;
        assert!(body.get("errors").is_none(), "{body}");

        // Another organisation, and a caller without a token: a miss, as for a hash nobody sent.
        let (_, theirs) = post(&app, &beta, json!({ "extensions": apq(&hash) })).await;
        let (_, nobodys) = post(
            &app,
            &beta,
            json!({ "extensions": apq(&sha256("query Nobody { me { role } }")) }),
        )
        .await;
        assert_eq!(theirs, nobodys);
        assert_eq!(code(&theirs), "PERSISTED_QUERY_NOT_FOUND");
        let anonymous = app
            .raw(
                app.post()
                    .header("accept", GQL)
                    .json(&json!({ "extensions": apq(&hash) })),
            )
            .await;
        assert_eq!(anonymous.code(), "PERSISTED_QUERY_NOT_FOUND");

        // Sending the document itself, the other organisation gets what it may see of it: nothing.
        let (_, body) = post(
            &app,
            &beta,
            json!({ "query": doc, "extensions": apq(&hash) }),
        )
        .await;
        assert_eq!(code(&body), "NOT_FOUND", "{body}");
    }
);

/// A manifest as Apollo's `generate-persisted-query-manifest` writes it.
fn apollo_manifest(docs: &[(&str, &str)]) -> Value {
    json!({
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": docs.iter().map(|(name, body)| json!({
            "id": sha256(body), "name": name, "type": "query", "body": body
        })).collect::<Vec<_>>(),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_allow_list_runs_only_trusted_documents() {
    let dashboard = "query Dashboard($first: Int) { organisations(first: $first) { totalCount nodes { name } } }";
    for engine in engines() {
        for format in ["apollo", "codegen"] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("manifest.json");
            let manifest = match format {
                "apollo" => apollo_manifest(&[("Me", ME), ("Dashboard", dashboard)]),
                // GraphQL Code Generator's client preset: `persisted-documents.json`.
                _ => json!({
                    format!("sha256:{}", sha256(ME)): ME,
                    format!("sha256:{}", sha256(dashboard)): dashboard,
                }),
            };
            std::fs::write(&path, manifest.to_string()).unwrap();
            let app = TestApp::spawn_with(engine.clone(), |c| {
                c.persisted = PersistedSettings {
                    mode: PersistedMode::Allowlist,
                    manifest: Some(path.clone()),
                    ..Default::default()
                };
            })
            .await;
            // Built directly: the allow-list refuses the mutations the world is built with.
            let council = app
                .bootstrap_org("council-a", "Alpha Borough Council", OrgKind::Council)
                .await;
            let tok = token(&council, Role::Viewer);

            // By id, as the codegen client sends it, and by Apollo's hash; and whole.
            let (status, body) = post(
                &app,
                &tok,
                json!({ "documentId": format!("sha256:{}", sha256(ME)) }),
            )
            .await;
            assert_eq!(status, 200, "{format}: {body}");
            assert_eq!(body["data"]["me"]["role"], "VIEWER");
            let (_, body) = post(
                &app,
                &tok,
                json!({ "extensions": apq(&sha256(dashboard)), "variables": { "first": 1 } }),
            )
            .await;
            assert_eq!(
                body["data"]["organisations"]["nodes"][0]["name"], "Alpha Borough Council",
                "{format}: {body}"
            );
            let (_, body) = post(&app, &tok, json!({ "query": ME })).await;
            assert!(body.get("errors").is_none(), "{format}: {body}");

            // Anything else: another document, an unknown id, introspection, a registration.
            let other = "{ me { role } }";
            for request in [
                json!({ "query": other }),
                json!({ "documentId": "sha256:0000" }),
                json!({ "extensions": apq(&sha256(other)) }),
                json!({ "query": other, "extensions": apq(&sha256(other)) }),
                json!({ "query": "{ __schema { types { name } } }" }),
            ] {
                let before = app.snapshot().await;
                let (status, body) = post(&app, &tok, request.clone()).await;
                assert_eq!(status, 400, "{format} {request}: {body}");
                assert_eq!(
                    code(&body),
                    "PERSISTED_QUERY_NOT_IN_LIST",
                    "{format} {request}: {body}"
                );
                assert_eq!(app.snapshot().await, before);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_persisted_queries_off_ids_are_not_supported() {
    let app = TestApp::spawn_with(Engine::Sqlite, |c| {
        c.persisted.mode = PersistedMode::Off;
    })
    .await;
    let w = World::build(&app).await;
    let tok = token(&w.council_a, Role::Viewer);
    let (_, body) = post(
        &app,
        &tok,
        json!({ "query": ME, "extensions": apq(&sha256(ME)) }),
    )
    .await;
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_SUPPORTED");
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotSupported");
    let (_, body) = post(&app, &tok, json!({ "query": ME })).await;
    assert_eq!(body["data"]["me"]["role"], "VIEWER");
}

api_test!(
    a_document_sent_again_is_answered_afresh_for_each_caller,
    |app| {
        // The service parses a document once and keeps it by its text; what each request brings
        // (its caller, its operation's name, its variables) must still decide each answer.
        let w = World::build(&app).await;
        let doc = "query Who { me { organisation { name } } }
               query Directory($first: Int = 1) { organisations(first: $first) { nodes { name } } }";
        let ask = |org: &str, operation: &str, variables: Value| {
            let body = json!({ "query": doc, "operationName": operation, "variables": variables });
            let tok = token(org, Role::Viewer);
            let app = &app;
            async move { post(app, &tok, body).await }
        };
        let name = |body: &Value| body["data"]["me"]["organisation"]["name"].clone();
        let count = |body: &Value| {
            body["data"]["organisations"]["nodes"]
                .as_array()
                .map_or(usize::MAX, Vec::len)
        };

        let (_, a) = ask(&w.council_a, "Who", json!({})).await;
        let (_, b) = ask(&w.council_b, "Who", json!({})).await;
        assert!(name(&a).is_string(), "{a}");
        assert!(name(&b).is_string(), "{b}");
        assert_ne!(name(&a), name(&b), "each caller is answered as itself");

        // The variable's default is the document's, filled per request: a value sent once does
        // not stay for the next request that sends none.
        let (_, one) = ask(&w.panel, "Directory", json!({})).await;
        let (_, three) = ask(&w.panel, "Directory", json!({ "first": 3 })).await;
        let (_, again) = ask(&w.panel, "Directory", json!({})).await;
        assert_eq!(count(&one), 1, "{one}");
        assert_eq!(count(&three), 3, "{three}");
        assert_eq!(count(&again), 1, "{again}");

        // An operation the document does not hold is refused every time it is asked for.
        for _ in 0..2 {
            let (status, body) = ask(&w.council_a, "Nobody", json!({})).await;
            assert_eq!(status, 400, "{body}");
            assert!(body["data"].is_null(), "{body}");
        }

        // A refused document stays refused when sent again, with the same code.
        let broken = json!({ "query": "{ me { organisation { name } }" });
        let tok = token(&w.council_a, Role::Viewer);
        let (_, first) = post(&app, &tok, broken.clone()).await;
        let (_, second) = post(&app, &tok, broken).await;
        assert_eq!(code(&first), "GRAPHQL_PARSE_FAILED", "{first}");
        assert_eq!(first, second);
    }
);
