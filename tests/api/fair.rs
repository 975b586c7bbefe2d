//! Fair shares: one organisation past its rate or its lane is refused with `429
//! RATE_LIMITED` and `Retry-After` while another is served; a request past its statement
//! budget is rolled back.

use std::time::Duration;

use resilience_hub::auth::Role;
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;

use crate::helpers::{Engine, TestApp, engines, postgres_only, token};
use crate::plan::{CREATE_REVIEW, People, review};
use crate::world::World;

const ME: &str = "{ me { role } }";
const GQL: &str = "application/graphql-response+json";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organisation_past_its_rate_is_refused_while_another_is_served() {
    for engine in engines() {
        let app = TestApp::spawn_with(engine, |c| {
            c.fair_share.per_second = 2;
            c.fair_share.burst = 20;
        })
        .await;
        let w = World::build(&app).await;
        let (flooder, other) = (
            token(&w.council_a, Role::Viewer),
            token(&w.council_b, Role::Viewer),
        );
        // Let the flooder's allowance fill up again after World::build's one request.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let mut served = 0;
        let mut refused = Vec::new();
        for i in 0..30 {
            // The legacy media type too: a request not served is 429 under either.
            let media = if i % 2 == 0 { GQL } else { "application/json" };
            let resp = app
                .raw(
                    app.post()
                        .bearer_auth(&flooder)
                        .header("accept", media)
                        .json(&json!({ "query": ME })),
                )
                .await;
            match resp.status {
                200 => {
                    assert_eq!(resp.json()["data"]["me"]["role"], "VIEWER");
                    served += 1;
                }
                429 => refused.push(resp),
                other => panic!("{other}: {}", resp.text),
            }
        }
        assert!((20..=23).contains(&served), "the burst is served: {served}");
        assert!(refused.len() >= 7);
        for resp in &refused {
            assert_eq!(resp.code(), "RATE_LIMITED");
            assert!(resp.json().get("data").is_none());
            let retry: u64 = resp.header("retry-after").unwrap().parse().unwrap();
            assert!((1..=2).contains(&retry), "{retry}");
        }
        // Another organisation's allowance is its own.
        for _ in 0..10 {
            let resp = app.gql(Some(&other), ME, json!({})).await;
            assert_eq!(resp.data()["me"]["role"], "VIEWER");
        }
        // And the flooder is served again once its rate allows.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        app.gql(Some(&flooder), ME, json!({})).await.data();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_lane_refuses_its_own_organisation_and_nobody_else() {
    // Postgres lets the test hold a lock that keeps one request running for as long as it
    // likes; the lane's own rules are unit-tested for every engine.
    let Some(engine) = postgres_only("holding a request on a lock").map(Engine::Postgres) else {
        return;
    };
    let app = TestApp::spawn_with(engine, |c| {
        c.fair_share.concurrent = 1;
        c.fair_share.queued = 1;
    })
    .await;
    let w = World::build(&app).await;
    let people = People::of(&w.council_a);
    review(&app, &people.manager, "Protection peer review").await;
    let other = token(&w.council_b, Role::Viewer);

    let locker = app.database().conn().begin().await.unwrap();
    locker
        .execute_unprepared("LOCK TABLE reviews IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let send = |query: &'static str| {
        let (client, base, tok) = (app.client.clone(), app.base.clone(), people.viewer.clone());
        tokio::spawn(async move {
            let resp = client
                .post(format!("{base}/graphql"))
                .bearer_auth(tok)
                .json(&json!({ "query": query }))
                .send()
                .await
                .unwrap();
            (
                resp.status().as_u16(),
                resp.json::<serde_json::Value>().await.unwrap(),
            )
        })
    };
    // The first holds the organisation's one place, waiting on the lock…
    let first = send("{ reviews { totalCount } }");
    tokio::time::sleep(Duration::from_millis(300)).await;
    // …the second waits in line behind it…
    let second = send(ME);
    tokio::time::sleep(Duration::from_millis(300)).await;
    // …the third finds the line full…
    let third = app
        .raw(
            app.post()
                .bearer_auth(&people.viewer)
                .header("accept", GQL)
                .json(&json!({ "query": ME })),
        )
        .await;
    assert_eq!(third.status, 429, "{}", third.text);
    assert_eq!(third.code(), "RATE_LIMITED");
    assert_eq!(third.header("retry-after"), Some("1"));
    // …while another organisation is served at once.
    let resp = app.gql(Some(&other), ME, json!({})).await;
    assert_eq!(resp.data()["me"]["role"], "VIEWER");
    assert!(!first.is_finished() && !second.is_finished());

    locker.rollback().await.unwrap();
    let (status, first) = first.await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(first["data"]["reviews"]["totalCount"], 1, "{first}");
    assert_eq!(second.await.unwrap().0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_past_its_statement_budget_is_refused_and_rolled_back() {
    for engine in engines() {
        a_request_past_its_statement_budget(engine).await;
    }
}

async fn a_request_past_its_statement_budget(engine: Engine) {
    let app = TestApp::spawn_with(engine, |c| c.limits.max_statements = 12).await;
    let w = World::build(&app).await;
    let people = People::of(&w.council_a);
    let create = |title: &str| {
        json!({ "query": CREATE_REVIEW, "variables": { "input": {
            "kind": "PEER_REVIEW", "title": title, "reviewer": "Gamma Fire and Rescue Service",
            "reportedOn": "2021-01-29" } } })
    };
    // One review is within the budget…
    let resp = app
        .raw(
            app.post()
                .bearer_auth(&people.manager)
                .json(&create("First")),
        )
        .await;
    assert!(
        resp.json()["data"]["createReview"]["review"]["id"].is_string(),
        "{}",
        resp.text
    );
    let reviews = "SELECT COUNT(*) FROM reviews";
    assert_eq!(app.scalar(reviews).await, 1);
    // …three in one batch are not: the batch is refused whole, and nothing of it is kept.
    let before = app.snapshot().await;
    let resp = app
        .raw(
            app.post()
                .bearer_auth(&people.manager)
                .header("accept", GQL)
                .json(&json!([
                    create("Second"),
                    create("Third"),
                    create("Fourth")
                ])),
        )
        .await;
    assert_eq!(resp.status, 400, "{}", resp.text);
    assert_eq!(resp.code(), "QUERY_TOO_COMPLEX");
    assert!(
        resp.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("more than 12 SQL statements")
    );
    assert_eq!(app.scalar(reviews).await, 1);
    assert_eq!(app.snapshot().await, before);
    // Under the legacy media type, as every request error there, it answers 200.
    let resp = app
        .raw(app.post().bearer_auth(&people.manager).json(&json!([
            create("Second"),
            create("Third"),
            create("Fourth")
        ])))
        .await;
    assert_eq!(
        (resp.status, resp.code()),
        (200, "QUERY_TOO_COMPLEX".to_owned())
    );
    assert_eq!(app.scalar(reviews).await, 1);
    // The service goes on serving.
    app.gql(Some(&people.viewer), ME, json!({})).await.data();
}
