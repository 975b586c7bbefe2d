//! The error messages a front-end developer meets first: each mistake is one error, with a
//! code, saying where it is and what would have been right.
//!
//! The messages do not depend on the database, so these run on SQLite alone.

use resilience_hub::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{Engine, TestApp, token};
use crate::world::World;

const GQL: &str = "application/graphql-response+json";

async fn app_and_manager() -> (TestApp, String) {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let w = World::build(&app).await;
    let manager = token(&w.council_a, Role::Manager);
    (app, manager)
}

/// The errors of a response, as (code, field, message).
fn errors(body: &Value) -> Vec<(String, Option<String>, String)> {
    body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {body}"))
        .iter()
        .map(|e| {
            (
                e["extensions"]["code"].as_str().unwrap_or("").to_owned(),
                e["extensions"]["field"].as_str().map(str::to_owned),
                e["message"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parse_error_says_where_and_what_was_expected_in_one_line() {
    let (app, manager) = app_and_manager().await;
    let resp = app.gql(Some(&manager), "{ me { role ", json!({})).await;
    assert_eq!(resp.status, 400);
    let errs = errors(&resp.body);
    assert_eq!(errs.len(), 1, "{}", resp.body);
    let (code, _, message) = &errs[0];
    assert_eq!(code, "GRAPHQL_PARSE_FAILED");
    assert!(
        message.starts_with("Syntax error at line 1, column 13:"),
        "{message}"
    );
    assert!(message.contains("expected"), "{message}");
    assert!(message.contains("end of the document"), "{message}");
    for art in ["-->", "^---", "\n", "selection_set"] {
        assert!(!message.contains(art), "{art:?} in {message:?}");
    }
    assert_eq!(
        resp.body["errors"][0]["locations"],
        json!([{ "line": 1, "column": 13 }])
    );

    // What was found is named, on a later line.
    let resp = app
        .gql(
            Some(&manager),
            "query {\n  me {\n    role)\n  }\n}",
            json!({}),
        )
        .await;
    let (code, _, message) = &errors(&resp.body)[0];
    assert_eq!(code, "GRAPHQL_PARSE_FAILED");
    assert!(
        message.starts_with("Syntax error at line 3, column 9:"),
        "{message}"
    );
    assert!(message.contains("found `)`"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_argument_type_is_one_error_naming_the_argument() {
    let (app, manager) = app_and_manager().await;
    for query in [
        r#"{ organisations(first: "x") { totalCount } }"#,
        r#"{ actions(first: "ten") { totalCount } }"#,
    ] {
        let resp = app.gql(Some(&manager), query, json!({})).await;
        let errs = errors(&resp.body);
        assert_eq!(errs.len(), 1, "{query}: {}", resp.body);
        assert_eq!(errs[0].0, "BAD_USER_INPUT");
        assert_eq!(errs[0].1.as_deref(), Some("first"));
    }
    // Through a variable too.
    let resp = app
        .gql(
            Some(&manager),
            "query($n: Int) { organisations(first: $n) { totalCount } }",
            json!({ "n": "x" }),
        )
        .await;
    assert_eq!(errors(&resp.body).len(), 1, "{}", resp.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_date_says_how_dates_are_written() {
    let (app, manager) = app_and_manager().await;
    let literal = app
        .gql(
            Some(&manager),
            r#"{ actions(asOf: "30/11/2021") { totalCount } }"#,
            json!({}),
        )
        .await;
    let variable = app
        .gql(
            Some(&manager),
            "query($d: Date) { actions(asOf: $d) { totalCount } }",
            json!({ "d": "2021-13-01" }),
        )
        .await;
    for resp in [literal, variable] {
        let errs = errors(&resp.body);
        assert_eq!(errs.len(), 1, "{}", resp.body);
        let (code, field, message) = &errs[0];
        assert_eq!(code, "BAD_USER_INPUT");
        assert_eq!(field.as_deref(), Some("asOf"));
        assert!(message.contains("YYYY-MM-DD"), "{message}");
    }
    // In an input object, the path goes down to the field.
    let resp = app
        .gql(
            Some(&manager),
            r#"mutation { createReview(input: { kind: PEER_REVIEW, title: "T", reportedOn: "29 Jan 2021" }) { review { id } } }"#,
            json!({}),
        )
        .await;
    let (code, field, message) = &errors(&resp.body)[0];
    assert_eq!(code, "BAD_USER_INPUT");
    assert_eq!(field.as_deref(), Some("input.reportedOn"));
    assert!(message.contains("YYYY-MM-DD"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_input_field_is_named_with_its_path() {
    let (app, manager) = app_and_manager().await;
    let resp = app
        .gql(
            Some(&manager),
            r#"mutation { updateAction(input: { id: "act_x", version: 1, stauts: COMPLETE }) { action { id } } }"#,
            json!({}),
        )
        .await;
    let errs = errors(&resp.body);
    assert_eq!(errs.len(), 1, "{}", resp.body);
    let (code, field, message) = &errs[0];
    assert_eq!(code, "BAD_USER_INPUT");
    assert_eq!(field.as_deref(), Some("input.stauts"));
    assert!(message.contains("stauts"), "{message}");

    // Deeper: an element of a list inside the input.
    let resp = app
        .gql(
            Some(&manager),
            r#"mutation { createFramework(input: { code: "X", name: "X", standards: [{ code: "S1", title: "T", titel: "T" }], levels: [] }) { framework { id } } }"#,
            json!({}),
        )
        .await;
    let (code, field, _) = &errors(&resp.body)[0];
    assert_eq!(code, "BAD_USER_INPUT");
    assert_eq!(field.as_deref(), Some("input.standards.0.titel"));

    // A required field left out is named the same way.
    let resp = app
        .gql(
            Some(&manager),
            r#"mutation { createFramework(input: { code: "X", name: "X", standards: [{ code: "S1" }], levels: [] }) { framework { id } } }"#,
            json!({}),
        )
        .await;
    let (_, field, _) = &errors(&resp.body)[0];
    assert_eq!(field.as_deref(), Some("input.standards.0.title"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn variables_sent_as_a_json_string_get_a_hint() {
    let (app, manager) = app_and_manager().await;
    let resp = app
        .raw(
            app.post()
                .bearer_auth(&manager)
                .header("accept", GQL)
                .json(&json!({
                    "query": "query($d: Date) { actions(asOf: $d) { totalCount } }",
                    "variables": "{\"d\": \"2021-11-30\"}",
                })),
        )
        .await;
    assert_eq!(resp.status, 400, "{}", resp.text);
    assert_eq!(resp.code(), "BAD_REQUEST");
    let message = resp.json()["errors"][0]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("`variables` must be a JSON object"),
        "{message}"
    );
    assert!(message.contains("string"), "{message}");

    // Over GET, `variables` is JSON text by definition; a doubly encoded one gets the hint.
    let resp = app
        .raw(
            app.get("/graphql")
                .bearer_auth(&manager)
                .header("accept", GQL)
                .query(&[
                    (
                        "query",
                        "query($d: Date) { actions(asOf: $d) { totalCount } }",
                    ),
                    ("variables", "\"{\\\"d\\\": \\\"2021-11-30\\\"}\""),
                ]),
        )
        .await;
    assert_eq!(resp.status, 400, "{}", resp.text);
    let message = resp.json()["errors"][0]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("string"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_doubled_bearer_gets_a_hint() {
    let (app, manager) = app_and_manager().await;
    let resp = app
        .raw(
            app.post()
                .header("authorization", format!("Bearer Bearer {manager}"))
                .header("accept", GQL)
                .json(&json!({ "query": "{ me { role } }" })),
        )
        .await;
    assert_eq!(resp.status, 401, "{}", resp.text);
    assert_eq!(resp.code(), "UNAUTHENTICATED");
    let message = resp.json()["errors"][0]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("`Bearer` twice"), "{message}");
    assert!(
        message.contains("Authorization: Bearer <token>"),
        "{message}"
    );

    // Other malformed headers say what the header should look like.
    for header in ["Token abc", "Bearer", "Basic dXNlcjpwYXNz"] {
        let resp = app
            .raw(
                app.post()
                    .header("authorization", header)
                    .header("accept", GQL)
                    .json(&json!({ "query": "{ me { role } }" })),
            )
            .await;
        assert_eq!(resp.code(), "UNAUTHENTICATED", "{header}");
        let message = resp.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            message.contains("Authorization: Bearer <token>"),
            "{header}: {message}"
        );
    }
}
