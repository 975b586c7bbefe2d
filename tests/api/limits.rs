//! Documents that cannot run away: fragment fan-out refused before validation, bounded error
//! lists, the standard introspection query in development, and the service's other callers
//! served meanwhile.

use std::time::{Duration, Instant};

use resilience_hub::auth::Role;
use serde_json::json;

use crate::helpers::{Engine, TestApp, api_test, token};
use crate::world::World;

const ME: &str = "{ me { role } }";

/// `{ ...F0 }` and `n` fragments, each spreading the next twice; the last selects
/// `me { role }`: 2^n fields once expanded, in about 40 bytes a fragment.
fn fan_out(n: usize) -> String {
    let mut q = String::from("{ ...F0 }");
    for i in 0..n - 1 {
        q += &format!(" fragment F{i} on Query {{ ...F{} ...F{} }}", i + 1, i + 1);
    }
    q + &format!(" fragment F{} on Query {{ me {{ role }} }}", n - 1)
}

fn percentile(times: &mut [Duration], p: f64) -> Duration {
    times.sort();
    times[((times.len() - 1) as f64 * p).round() as usize]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fragment_fan_out_is_refused_in_milliseconds_while_other_callers_are_served() {
    // No rate limit: the attack must meet the document limits, not its organisation's share.
    let app = TestApp::spawn_with(Engine::Sqlite, |c| c.fair_share.per_second = 0).await;
    let w = World::build(&app).await;
    let attacker = token(&w.council_a, Role::Viewer);
    let bystander = token(&w.council_b, Role::Viewer);
    let attack = fan_out(27);
    assert!(attack.len() < 1200, "a 1 KB document");

    // Four attackers send the document over and over while a bystander asks for `me`.
    let until = Instant::now() + Duration::from_secs(2);
    let mut attackers = Vec::new();
    for _ in 0..4 {
        let (client, base, tok, q) = (
            app.client.clone(),
            app.base.clone(),
            attacker.clone(),
            attack.clone(),
        );
        attackers.push(tokio::spawn(async move {
            let mut times = Vec::new();
            while Instant::now() < until {
                let started = Instant::now();
                let resp = client
                    .post(format!("{base}/graphql"))
                    .bearer_auth(&tok)
                    .header("accept", "application/graphql-response+json")
                    .json(&json!({ "query": q }))
                    .send()
                    .await
                    .expect("sent");
                let status = resp.status().as_u16();
                let body: serde_json::Value = resp.json().await.expect("JSON");
                times.push(started.elapsed());
                assert_eq!(status, 400, "{body}");
                assert_eq!(body["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX");
                assert!(
                    body["errors"][0]["message"]
                        .as_str()
                        .unwrap()
                        .contains("134217728 fields"),
                    "{body}"
                );
            }
            times
        }));
    }
    let mut simple = Vec::new();
    while Instant::now() < until {
        let started = Instant::now();
        let resp = app.gql(Some(&bystander), ME, json!({})).await;
        simple.push(started.elapsed());
        assert_eq!(resp.data()["me"]["role"], "VIEWER");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut refused = Vec::new();
    for a in attackers {
        refused.extend(a.await.expect("attacker"));
    }
    let (refusal_p50, refusal_max) = (
        percentile(&mut refused, 0.5),
        *refused.iter().max().unwrap(),
    );
    let (simple_p95, simple_max) = (percentile(&mut simple, 0.95), *simple.iter().max().unwrap());
    eprintln!(
        "{} refusals: p50 {refusal_p50:?}, max {refusal_max:?}; {} simple queries: p95 {simple_p95:?}, max {simple_max:?}",
        refused.len(),
        simple.len()
    );
    // Before the document was measured ahead of validation, one refusal took 48 s and the
    // bystander's query timed out. The percentiles leave room for a test machine running other
    // tests at the same time; the maximum would catch a return of the stall.
    assert!(refusal_p50 < Duration::from_millis(50), "{refusal_p50:?}");
    assert!(simple_p95 < Duration::from_millis(100), "{simple_p95:?}");
    assert!(simple_max < Duration::from_secs(1), "{simple_max:?}");
}

api_test!(
    fragment_cycles_and_chains_are_refused_before_validation,
    |app| {
        let w = World::build(&app).await;
        let tok = token(&w.council_a, Role::Viewer);
        let resp = app
            .gql(
                Some(&tok),
                "{ ...A } fragment A on Query { me { role } ...B } fragment B on Query { ...A }",
                json!({}),
            )
            .await;
        assert_eq!(resp.status, 400);
        assert!(
            resp.error("GRAPHQL_VALIDATION_FAILED")["message"]
                .as_str()
                .unwrap()
                .contains("spreads itself")
        );

        // A chain of fragments, each spreading the next: validation expands the rest of the
        // chain from every fragment, which is quadratic work in the document's length.
        let n = 4000;
        let mut chain = String::from("{ ...C0 }");
        for i in 0..n {
            chain += &format!(" fragment C{i} on Query {{ __typename ...C{} }}", i + 1);
        }
        chain += &format!(" fragment C{n} on Query {{ __typename }}");
        let started = Instant::now();
        let resp = app.gql(Some(&tok), &chain, json!({})).await;
        let err = resp.error("QUERY_TOO_COMPLEX");
        assert!(
            err["message"]
                .as_str()
                .unwrap()
                .contains("fragments are expanded"),
            "{err}"
        );
        eprintln!(
            "a chain of {n} fragments refused in {:?}",
            started.elapsed()
        );
        app.gql(Some(&tok), ME, json!({})).await.data();
    }
);

api_test!(directive_floods_get_a_bounded_list_of_errors, |app| {
    let w = World::build(&app).await;
    let tok = token(&w.council_a, Role::Viewer);
    let flood = format!(
        "{{ me {} {{ role }} }}",
        "@include(if: true) ".repeat(10_000)
    );
    assert!(flood.len() > 180_000);
    let resp = app.gql(Some(&tok), &flood, json!({})).await;
    assert_eq!(resp.status, 400);
    let errors = resp.body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 50, "{}", &resp.body.to_string()[..500]);
    assert!(
        errors[..49]
            .iter()
            .all(|e| e["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"),
        "{}",
        errors[0]
    );
    let last = &errors[49];
    assert_eq!(last["message"], "… and 9950 more errors");
    assert_eq!(last["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED");
    assert_eq!(last["extensions"]["omitted"], 9950);
    assert!(resp.body.to_string().len() < 20_000);

    // Field errors are bounded too: 200 aliases of an organisation that is not the caller's.
    let many = format!(
        "{{ {} }}",
        (0..200)
            .map(|i| format!("o{i}: organisation(id: \"{}\") {{ name }}", w.council_b))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let resp = app.gql(Some(&tok), &many, json!({})).await;
    let errors = resp.body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 50);
    assert!(
        errors
            .iter()
            .all(|e| e["extensions"]["code"] == "NOT_FOUND")
    );
    assert_eq!(errors[49]["extensions"]["omitted"], 151);
    assert_eq!(resp.body["data"]["o199"], serde_json::Value::Null);
});

/// The introspection queries schema-loading tools send, as graphql-js 16 and graphql-core 3
/// generate them (`tests/fixtures/introspection/`).
fn standard_introspection_queries() -> Vec<(&'static str, String)> {
    [
        "graphql-js-16.graphql",
        "graphql-js-16-default.graphql",
        "graphql-core-3.graphql",
    ]
    .into_iter()
    .map(|name| {
        let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/introspection")
            .join(name);
        (name, std::fs::read_to_string(path).expect("fixture"))
    })
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standard_introspection_query_works_in_development_and_is_refused_in_production() {
    let dev = TestApp::spawn(Engine::Sqlite).await;
    for (name, query) in standard_introspection_queries() {
        // Schema-loading tools send it without a token.
        let resp = dev.gql(None, &query, json!({})).await;
        assert_eq!(resp.status, 200, "{name}: {}", resp.body);
        let types = resp.data()["__schema"]["types"].as_array().unwrap();
        assert!(types.iter().any(|t| t["name"] == "Organisation"), "{name}");
        assert_eq!(resp.data()["__schema"]["queryType"]["name"], "Query");
    }
    // The exemption is for introspection only, and only to the standard query's depth.
    let mut deep = String::from("name");
    for _ in 0..15 {
        deep = format!("ofType {{ {deep} }}");
    }
    let resp = dev
        .gql(
            None,
            &format!("{{ __type(name: \"Organisation\") {{ {deep} }} }}"),
            json!({}),
        )
        .await;
    assert!(
        resp.error("QUERY_TOO_COMPLEX")["message"]
            .as_str()
            .unwrap()
            .contains("introspection query nests 17 levels")
    );

    let production = TestApp::spawn_with(Engine::Sqlite, |c| c.introspection = false).await;
    for (name, query) in standard_introspection_queries() {
        let resp = production.gql(None, &query, json!({})).await;
        assert_eq!(resp.status, 400, "{name}");
        resp.error("GRAPHQL_VALIDATION_FAILED");
    }
}
