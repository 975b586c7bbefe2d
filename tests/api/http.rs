//! GraphQL over HTTP: media types, methods, statuses, limits and failures.

use resilience_hub::auth::Role;
use serde_json::json;

use crate::helpers::{Engine, TestApp, api_test, token};
use crate::world::{CREATE_ORG, World};

const ME: &str = "{ me { role } }";
const GQL: &str = "application/graphql-response+json";

api_test!(queries_work_over_get_but_mutations_do_not, |app| {
    let w = World::build(&app).await;
    let tok = token(&w.council_a, Role::Manager);
    let resp = app
        .raw(
            app.get("/graphql")
                .query(&[("query", ME)])
                .bearer_auth(&tok)
                .header("accept", GQL),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    assert_eq!(resp.json()["data"]["me"]["role"], "MANAGER");
    assert!(resp.header("content-type").unwrap().starts_with(GQL));

    let before = app.snapshot().await;
    let mutation = r#"mutation { updateSharingSettings(input: { version: 1, panelDetail: true }) { sharingSettings { version } } }"#;
    let resp = app
        .raw(
            app.get("/graphql")
                .query(&[("query", mutation)])
                .bearer_auth(&tok)
                .header("accept", GQL),
        )
        .await;
    assert_eq!(resp.status, 405);
    assert_eq!(resp.header("allow"), Some("POST"));
    assert_eq!(resp.code(), "BAD_REQUEST");
    assert_eq!(app.snapshot().await, before);

    let resp = app
        .raw(
            app.get("/graphql")
                .query(&[("query", ME), ("variables", "[1,2")])
                .bearer_auth(&tok),
        )
        .await;
    assert_eq!(resp.status, 400);
    assert_eq!(resp.code(), "BAD_REQUEST");
});

api_test!(malformed_bodies_get_bad_request, |app| {
    let w = World::build(&app).await;
    let tok = token(&w.council_a, Role::Manager);
    for (body, case) in [
        ("{\"query\": ", "truncated JSON"),
        ("[]", "empty batch"),
        ("42", "not an object"),
        ("{\"query\": 7}", "query not a string"),
        (
            "{\"query\": \"{ me { role } }\", \"variables\": \"nope\"}",
            "variables not an object",
        ),
        ("{}", "no query"),
    ] {
        let resp = app
            .raw(
                app.post()
                    .bearer_auth(&tok)
                    .header("accept", GQL)
                    .header("content-type", "application/json")
                    .body(body),
            )
            .await;
        assert_eq!(resp.status, 400, "{case}: {}", resp.text);
        assert_eq!(resp.code(), "BAD_REQUEST", "{case}");
    }
    let resp = app
        .raw(
            app.post()
                .bearer_auth(&tok)
                .header("content-type", "text/plain")
                .body(ME),
        )
        .await;
    assert_eq!(resp.status, 415);
    assert_eq!(resp.code(), "BAD_REQUEST");
});

api_test!(
    request_errors_are_400_under_the_new_media_type_and_200_under_json,
    |app| {
        let w = World::build(&app).await;
        let tok = token(&w.council_a, Role::Manager);
        let cases = [
            ("{ me { role", "GRAPHQL_PARSE_FAILED"),
            ("{ me { shoeSize } }", "GRAPHQL_VALIDATION_FAILED"),
            (
                "query A { me { role } } query B { me { role } }",
                "BAD_REQUEST",
            ),
        ];
        for (query, code) in cases {
            let resp = app.gql(Some(&tok), query, json!({})).await;
            assert_eq!(resp.status, 400, "{query}");
            assert_eq!(resp.codes(), vec![code.to_owned()], "{query}");
            assert!(
                resp.body.get("data").is_none(),
                "a request error has no data"
            );

            let legacy = app
                .raw(
                    app.post()
                        .bearer_auth(&tok)
                        .json(&json!({ "query": query })),
                )
                .await;
            assert_eq!(legacy.status, 200, "{query}");
            assert_eq!(legacy.code(), code);
            assert!(
                legacy
                    .header("content-type")
                    .unwrap()
                    .starts_with("application/json")
            );
        }
    }
);

api_test!(
    wrong_variable_types_are_bad_user_input_naming_the_field,
    |app| {
        let w = World::build(&app).await;
        let before = app.snapshot().await;
        let resp = app
            .gql(
                Some(&w.admin),
                CREATE_ORG,
                json!({ "input": { "slug": 7, "name": "X", "kind": "COUNCIL" } }),
            )
            .await;
        assert_eq!(resp.status, 400, "refused before execution");
        assert_eq!(
            resp.error("BAD_USER_INPUT")["extensions"]["field"],
            "input.slug"
        );
        let resp = app
            .gql(
                Some(&w.admin),
                "query($n: Int) { organisations(first: $n) { totalCount } }",
                json!({ "n": "ten" }),
            )
            .await;
        assert_eq!(resp.status, 400);
        let first = &resp.body["errors"][0];
        assert_eq!(
            first["extensions"]["code"], "BAD_USER_INPUT",
            "{}",
            resp.body
        );
        assert_eq!(first["extensions"]["field"], "first");
        // Unknown fields of output types are the document's fault, not the input's.
        let resp = app
            .gql(Some(&w.admin), "{ me { shoeSize } }", json!({}))
            .await;
        resp.error("GRAPHQL_VALIDATION_FAILED");
        assert_eq!(app.snapshot().await, before);
    }
);

api_test!(batches_are_answered_in_order_and_bounded, |app| {
    let w = World::build(&app).await;
    let tok = token(&w.council_a, Role::Manager);
    let one = json!({ "query": ME });
    let resp = app
        .raw(
            app.post()
                .bearer_auth(&tok)
                .json(&json!([one, { "query": "{ me { organisation { slug } } }" }])),
        )
        .await;
    assert_eq!(resp.status, 200);
    let body = resp.json();
    assert_eq!(body[0]["data"]["me"]["role"], "MANAGER");
    assert_eq!(body[1]["data"]["me"]["organisation"]["slug"], "council-a");

    let eleven: Vec<_> = (0..11).map(|_| one.clone()).collect();
    let resp = app
        .raw(
            app.post()
                .bearer_auth(&tok)
                .header("accept", GQL)
                .json(&eleven),
        )
        .await;
    assert_eq!(resp.status, 400);
    assert_eq!(resp.code(), "BAD_REQUEST");
});

api_test!(oversized_bodies_are_refused, |app| {
    let w = World::build(&app).await;
    let before = app.snapshot().await;
    let huge_name = "x".repeat(300 * 1024);
    let resp = app
        .raw(
            app.post()
                .bearer_auth(&w.admin)
                .header("accept", GQL)
                .json(&json!({ "query": CREATE_ORG, "variables": { "input": { "slug": "huge", "name": huge_name, "kind": "COUNCIL" } } })),
        )
        .await;
    assert_eq!(resp.status, 413);
    assert_eq!(resp.code(), "BAD_REQUEST");
    assert_eq!(app.snapshot().await, before);
});

api_test!(deep_and_costly_queries_are_too_complex, |app| {
    let w = World::build(&app).await;
    let tok = token(&w.panel, Role::Manager);
    // Panels of members of panels of members…: deeper than the limit of 12.
    let mut deep = String::from("id");
    for _ in 0..7 {
        deep = format!("members {{ nodes {{ panels {{ {deep} }} }} }}");
    }
    let resp = app
        .gql(
            Some(&tok),
            &format!("{{ me {{ organisation {{ {deep} }} }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(resp.status, 400);
    resp.error("QUERY_TOO_COMPLEX");

    // Shallow enough, but 100 × 100 × 100 rows would be asked for.
    let costly = "{ organisations(first: 100) { nodes { members(first: 100) { nodes { members(first: 100) { nodes { id } } } } } } }";
    let resp = app.gql(Some(&tok), costly, json!({})).await;
    resp.error("QUERY_TOO_COMPLEX");

    // A bracket bomb is refused before parsing, and the service stays up.
    let bomb = format!("{}{}", "{".repeat(100_000), "}".repeat(100_000));
    let resp = app.gql(Some(&tok), &bomb, json!({})).await;
    resp.error("QUERY_TOO_COMPLEX");
    let resp = app.gql(Some(&tok), ME, json!({})).await;
    resp.data();
});

#[tokio::test]
async fn introspection_and_graphiql_can_be_switched_off() {
    let app = TestApp::spawn_with(Engine::Sqlite, |c| {
        c.introspection = false;
        c.graphiql = false;
    })
    .await;
    let resp = app
        .gql(None, "{ __schema { queryType { name } } }", json!({}))
        .await;
    resp.error("GRAPHQL_VALIDATION_FAILED");
    let page = app
        .raw(app.get("/graphql").header("accept", "text/html"))
        .await;
    assert_eq!(page.status, 400);
    assert_eq!(page.code(), "BAD_REQUEST");

    let on = TestApp::spawn(Engine::Sqlite).await;
    let page = on
        .raw(on.get("/graphql").header("accept", "text/html"))
        .await;
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.text.contains("graphiql"));
}

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let health = app.raw(app.get("/healthz")).await;
    assert_eq!(
        (health.status, health.json()["status"].as_str()),
        (200, Some("ok"))
    );
    let ready = app.raw(app.get("/readyz")).await;
    assert_eq!(
        (ready.status, ready.json()["status"].as_str()),
        (200, Some("ready"))
    );
    assert!(ready.header("x-request-id").is_some());
}

api_test!(
    an_internal_error_is_generic_and_carries_the_request_id,
    |app| {
        let w = World::build(&app).await;
        let tok = token(&w.council_a, Role::Viewer);
        // Break the database behind the service's back.
        app.sql("ALTER TABLE sharing_settings RENAME TO sharing_settings_gone")
            .await;
        let resp = app
        .raw(
            app.post()
                .bearer_auth(&tok)
                .header("accept", GQL)
                .json(&json!({ "query": "query($id: ID!) { organisation(id: $id) { slug sharingSettings { partners } } }", "variables": { "id": w.council_a } })),
        )
        .await;
        assert_eq!(
            resp.status, 200,
            "a field error, the rest of the answer stands"
        );
        let body = resp.json();
        assert_eq!(body["data"]["organisation"]["slug"], "council-a");
        let err = &body["errors"][0];
        assert_eq!(err["extensions"]["code"], "INTERNAL_SERVER_ERROR");
        assert_eq!(err["message"], "internal server error");
        assert!(
            !resp.text.contains("sharing_settings"),
            "no database detail leaks: {}",
            resp.text
        );
        assert_eq!(
            err["extensions"]["requestId"].as_str(),
            resp.header("x-request-id")
        );
        app.sql("ALTER TABLE sharing_settings_gone RENAME TO sharing_settings")
            .await;
    }
);

api_test!(request_ids_are_echoed_only_when_sane, |app| {
    let resp = app
        .raw(app.get("/healthz").header("x-request-id", "abc-123"))
        .await;
    assert_eq!(resp.header("x-request-id"), Some("abc-123"));
    let resp = app
        .raw(
            app.get("/healthz")
                .header("x-request-id", "evil\tvalue with spaces"),
        )
        .await;
    let id = resp.header("x-request-id").unwrap();
    assert!(id.len() == 36 && !id.contains(' '), "{id}");
});

api_test!(
    the_service_recovers_when_the_database_drops_its_connections,
    |app| {
        let w = World::build(&app).await;
        let tok = token(&w.council_a, Role::Viewer);
        app.gql(Some(&tok), ME, json!({})).await.data();
        // SQLite lives in the process: only Postgres can drop the service's connections.
        if let Some(killed) = app.kill_connections().await {
            assert!(killed > 0, "the app held connections");
            // The pool checks a connection before handing it out, so the next request reconnects.
            let resp = app.gql(Some(&tok), ME, json!({})).await;
            assert_eq!(resp.data()["me"]["role"], "VIEWER", "engine {}", app.engine);
        }
    }
);

/// The value of `sample` (a metric name with its labels) in a `/metrics` body.
fn sample(body: &str, name: &str) -> f64 {
    body.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {body}"))
}

api_test!(
    metrics_count_requests_their_errors_by_code_and_the_sql_statements,
    |app| {
        let w = World::build(&app).await;
        let tok = token(&w.council_a, Role::Viewer);
        let before = app.raw(app.get("/metrics")).await;
        assert_eq!(before.status, 200);
        assert!(
            before
                .header("content-type")
                .unwrap()
                .starts_with("text/plain")
        );

        app.gql(Some(&tok), ME, json!({})).await.data();
        let refused = app.gql(Some("not-a-token"), ME, json!({})).await;
        assert_eq!(refused.codes(), vec!["UNAUTHENTICATED"]);
        let missing = app
            .gql(
                Some(&tok),
                "query($id: ID!) { organisation(id: $id) { name } }",
                json!({ "id": w.council_b }),
            )
            .await;
        assert_eq!(missing.codes(), vec!["NOT_FOUND"]);
        // A GET refused before execution counts too.
        let no_query = app.raw(app.get("/graphql").header("accept", GQL)).await;
        assert_eq!(no_query.code(), "BAD_REQUEST");

        let after = app.raw(app.get("/metrics")).await;
        let delta = |name: &str| sample(&after.text, name) - sample(&before.text, name);
        assert_eq!(delta("resilience_hub_graphql_requests_total"), 4.0);
        assert_eq!(delta("resilience_hub_graphql_failed_requests_total"), 3.0);
        assert_eq!(
            delta(r#"resilience_hub_graphql_errors_total{code="BAD_REQUEST"}"#),
            1.0
        );
        assert_eq!(
            delta(r#"resilience_hub_graphql_errors_total{code="UNAUTHENTICATED"}"#),
            1.0
        );
        assert_eq!(
            delta(r#"resilience_hub_graphql_errors_total{code="NOT_FOUND"}"#),
            1.0
        );
        assert_eq!(
            delta(r#"resilience_hub_graphql_errors_total{code="CONFLICT"}"#),
            0.0
        );
        assert!(delta("resilience_hub_sql_statements_total") >= 3.0);
        assert!(
            sample(
                &after.text,
                r#"resilience_hub_db_connections{state="open"}"#
            ) >= 1.0
        );
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_can_be_turned_off() {
    let app = TestApp::spawn_with(Engine::Sqlite, |c| c.metrics = false).await;
    assert_eq!(app.raw(app.get("/metrics")).await.status, 404);
}

api_test!(
    metrics_hold_latency_histograms_by_operation_and_error_code,
    |app| {
        let w = World::build(&app).await;
        let tok = token(&w.council_a, Role::Viewer);
        app.gql(Some(&tok), "query Me { me { role } }", json!({}))
            .await
            .data();
        let missing = app
            .gql(
                Some(&tok),
                "query Neighbour($id: ID!) { organisation(id: $id) { name } }",
                json!({ "id": w.council_b }),
            )
            .await;
        assert_eq!(missing.codes(), vec!["NOT_FOUND"]);
        let body = app.raw(app.get("/metrics")).await.text;
        let histogram = "resilience_hub_graphql_request_duration_seconds";
        assert!(
            body.contains(&format!("# TYPE {histogram} histogram")),
            "{body}"
        );
        assert_eq!(
            sample(
                &body,
                &format!(r#"{histogram}_count{{operation="Me",code="OK"}}"#)
            ),
            1.0
        );
        assert_eq!(
            sample(
                &body,
                &format!(r#"{histogram}_count{{operation="Neighbour",code="NOT_FOUND"}}"#)
            ),
            1.0
        );
        // Every request falls in the last bucket; the buckets are cumulative.
        assert_eq!(
            sample(
                &body,
                &format!(r#"{histogram}_bucket{{operation="Me",code="OK",le="+Inf"}}"#)
            ),
            1.0
        );
        assert!(
            sample(
                &body,
                &format!(r#"{histogram}_sum{{operation="Me",code="OK"}}"#)
            ) > 0.0
        );
        // And the statements each request ran.
        assert_eq!(
            sample(
                &body,
                r#"resilience_hub_graphql_request_statements_count{operation="Me"}"#
            ),
            1.0
        );
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_development_key_never_listens_on_a_public_address() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bind.db").display());
    for addr in ["0.0.0.0:0", "[::]:0", "192.0.2.1:0"] {
        let mut config = crate::helpers::test_config(url.clone());
        config.bind_addr = addr.parse().unwrap();
        let err = resilience_hub::app::Application::build(config)
            .await
            .err()
            .unwrap_or_else(|| panic!("{addr}: the service started"));
        let message = format!("{err:#}");
        assert!(message.contains("development key"), "{addr}: {message}");
    }
    // With a key of its own, the address is the deployer's choice.
    let mut config = crate::helpers::test_config(url);
    config.bind_addr = "0.0.0.0:0".parse().unwrap();
    config.keys.secret = Some("a-configured-secret-that-is-long-enough-for-hs256".to_owned());
    assert!(
        resilience_hub::app::Application::build(config)
            .await
            .is_ok()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browsers_may_send_trace_context_from_another_origin() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let resp = app
        .raw(
            app.client
                .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.base))
                .header("origin", "https://tracker.example.gov.uk")
                .header("access-control-request-method", "POST")
                .header(
                    "access-control-request-headers",
                    "authorization,content-type,traceparent,tracestate",
                ),
        )
        .await;
    assert_eq!(resp.status, 200, "{:?}", resp.headers);
    let allowed = resp
        .header("access-control-allow-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    for header in ["traceparent", "tracestate", "authorization"] {
        assert!(allowed.contains(header), "{header}: {allowed}");
    }
}
