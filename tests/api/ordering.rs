//! The same question gets the same bytes: every object's fields come in the order the request
//! asked for them (aliases, fragments, `@include` and `@skip` included), however the resolvers'
//! concurrent work finishes.

use resilience_hub::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, api_test, token};

/// The issue's question: a review's progress and its actions as at 30 November 2021.
const AS_AT: &str = r#"query Plan($id: ID!) {
  review(id: $id) {
    progress(asOf: "2021-11-30") { green amber red }
    actions(asOf: "2021-11-30", first: 3) { totalCount nodes { id } }
  }
  me { organisation { name } }
}"#;

/// The same question with every selection set reversed.
const REVERSED: &str = r#"query Plan($id: ID!) {
  me { organisation { name } }
  review(id: $id) {
    actions(asOf: "2021-11-30", first: 3) { nodes { id } totalCount }
    progress(asOf: "2021-11-30") { red amber green }
  }
}"#;

/// The keys of every object in `value`, depth first, in the order the body had them.
fn key_order(value: &Value, out: &mut Vec<String>, path: &str) {
    match value {
        Value::Object(map) => {
            out.push(format!(
                "{path}: {}",
                map.keys().cloned().collect::<Vec<_>>().join(",")
            ));
            for (k, v) in map {
                key_order(v, out, &format!("{path}.{k}"));
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                key_order(v, out, &format!("{path}.{i}"));
            }
        }
        _ => {}
    }
}

fn keys(value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    key_order(value, &mut out, "");
    out
}

/// Sends `query` `times` times and returns its one body, failing if any two differ.
async fn same_every_time(
    app: &TestApp,
    tok: &str,
    query: &str,
    variables: Value,
    times: usize,
) -> Value {
    let mut first: Option<String> = None;
    for i in 0..times {
        let raw = app
            .raw(
                app.post()
                    .bearer_auth(tok)
                    .json(&json!({ "query": query, "variables": variables })),
            )
            .await;
        assert_eq!(raw.status, 200, "{}", raw.text);
        match &first {
            None => first = Some(raw.text),
            Some(body) => assert_eq!(&raw.text, body, "answer {i} differs from the first"),
        }
    }
    serde_json::from_str(&first.unwrap()).unwrap()
}

async fn essex_review(app: &TestApp, tok: &str) -> String {
    let resp = app
        .gql(
            Some(tok),
            "{ reviews(first: 1) { nodes { id } } }",
            json!({}),
        )
        .await;
    resp.data()["reviews"]["nodes"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

api_test!(
    an_as_at_answer_is_the_same_bytes_every_time_in_the_order_asked,
    |app| {
        app.seed_demo().await;
        let essex = token("essex-fire", Role::Viewer);
        let id = essex_review(&app, &essex).await;
        let body = same_every_time(&app, &essex, AS_AT, json!({ "id": id }), 20).await;
        assert!(body.get("errors").is_none(), "{body}");
        assert_eq!(
            keys(&body["data"]),
            vec![
                ": review,me",
                ".review: progress,actions",
                ".review.progress: green,amber,red",
                ".review.actions: totalCount,nodes",
                ".review.actions.nodes.0: id",
                ".review.actions.nodes.1: id",
                ".review.actions.nodes.2: id",
                ".me: organisation",
                ".me.organisation: name",
            ]
        );
        let body = same_every_time(&app, &essex, REVERSED, json!({ "id": id }), 20).await;
        assert_eq!(
            keys(&body["data"])[..5],
            [
                ": me,review",
                ".me: organisation",
                ".me.organisation: name",
                ".review: actions,progress",
                ".review.actions: nodes,totalCount",
            ]
        );
        assert_eq!(
            keys(&body["data"]).last().unwrap(),
            ".review.progress: red,amber,green"
        );
    }
);

api_test!(aliases_fragments_and_conditions_keep_their_place, |app| {
    app.seed_demo().await;
    let essex = token("essex-fire", Role::Viewer);
    let id = essex_review(&app, &essex).await;
    let query = r#"
            query Shaped($id: ID!, $withTitle: Boolean!, $skipKind: Boolean = true) {
              second: node(id: $id) {
                ... on Review { title @include(if: $withTitle) ...Dates }
                id
                ... on Action { owner }
              }
              first: review(id: $id) {
                kind @skip(if: $skipKind)
                ...Counts
                later: title
                ... @include(if: false) { id }
                earlier: id
              }
            }
            fragment Dates on Review { reportedOn kind }
            fragment Counts on Review { progress { red green } id }
        "#;
    let body = same_every_time(
        &app,
        &essex,
        query,
        json!({ "id": id, "withTitle": true }),
        10,
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(
        keys(&body["data"]),
        vec![
            ": second,first",
            ".second: title,reportedOn,kind,id",
            ".first: progress,id,later,earlier",
            ".first.progress: red,green",
        ]
    );
    // The object's own type is asked for behind the scenes, never shown.
    assert!(!body.to_string().contains("Typename"), "{body}");
    let body = same_every_time(
        &app,
        &essex,
        query,
        json!({ "id": id, "withTitle": false, "skipKind": false }),
        10,
    )
    .await;
    assert_eq!(
        keys(&body["data"])[1..3],
        [
            ".second: reportedOn,kind,id",
            ".first: kind,progress,id,later,earlier"
        ]
    );
});

api_test!(errors_come_in_the_same_order_every_time, |app| {
    app.seed_demo().await;
    let essex = token("essex-fire", Role::Viewer);
    // Three lookups that fail, each for its own reason, resolved concurrently.
    let query = r#"{
            a: review(id: "rev_00000000000000000000000000") { id }
            b: action(id: "not an id") { id }
            c: organisation(id: "org_00000000000000000000000000") { id }
        }"#;
    let body = same_every_time(&app, &essex, query, json!({}), 10).await;
    let paths: Vec<Value> = body["errors"]
        .as_array()
        .map(|errors| errors.iter().map(|e| e["path"].clone()).collect())
        .unwrap_or_default();
    assert_eq!(paths.len(), body["errors"].as_array().map_or(0, Vec::len));
    let order: Vec<&Value> = paths.iter().filter(|p| !p.is_null()).collect();
    let mut sorted = order.clone();
    sorted.sort_by_key(|p| p[0].as_str().unwrap_or("").to_owned());
    assert_eq!(order, sorted, "{body}");
});
