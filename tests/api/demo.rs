//! The demo data tells the source papers' stories, as at their own dates.

use resilience_hub::auth::Role;
use serde_json::json;

use crate::helpers::{api_test, token};

const PLAN: &str = r#"query($asOf: Date) {
    reviews(first: 5) { nodes {
        title
        progress(asOf: $asOf) {
            recommendationsTotal recommendationsDischarged recommendationsOutstanding
            recommendationsByStatus { status count }
            actionsTotal green amber red
        }
        actions(asOf: $asOf, first: 100) { nodes { title rag standing { dueOn completedOn } } }
    } }
}"#;

api_test!(
    the_demo_reproduces_the_november_2021_peer_review_update,
    |app| {
        assert_eq!(app.seed_demo().await, 15);
        let essex = token("essex-fire", Role::Viewer);
        let resp = app
            .gql(Some(&essex), PLAN, json!({ "asOf": "2021-11-30" }))
            .await;
        let review = &resp.data()["reviews"]["nodes"][0];
        assert_eq!(review["title"], "Protection Improvement Plan peer review");
        let p = &review["progress"];
        // "All objectives are currently on track for completion": nothing red.
        assert_eq!(
            (
                p["actionsTotal"].clone(),
                p["green"].clone(),
                p["amber"].clone(),
                p["red"].clone()
            ),
            (json!(10), json!(7), json!(3), json!(0))
        );
        let amber: Vec<&str> = review["actions"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["rag"] == "AMBER")
            .map(|a| a["standing"]["dueOn"].as_str().unwrap())
            .collect();
        assert_eq!(
            amber,
            vec!["2021-12-31"; 3],
            "the three due at the end of December"
        );
        // The enforcement policy was three weeks late in March 2021.
        let march = app
            .gql(Some(&essex), PLAN, json!({ "asOf": "2021-03-10" }))
            .await;
        assert_eq!(march.data()["reviews"]["nodes"][0]["progress"]["red"], 1);
        // Today every action is complete, one after an extension.
        let now = app.gql(Some(&essex), PLAN, json!({})).await;
        let p = &now.data()["reviews"]["nodes"][0]["progress"];
        assert_eq!(
            (p["green"].clone(), p["red"].clone()),
            (json!(10), json!(0))
        );
    }
);

api_test!(
    the_demo_reproduces_the_major_incident_plan_briefing,
    |app| {
        app.seed_demo().await;
        let rotherham = token("rotherham", Role::Viewer);
        let resp = app
        .gql(
            Some(&rotherham),
            r#"{ reviews(filter: { kind: SCRUTINY_REVIEW }) { nodes { title progress(asOf: "2020-12-08") {
                recommendationsTotal recommendationsDischarged recommendationsOutstanding
                recommendationsByStatus { status count } } } } }"#,
            json!({}),
        )
        .await;
        let mip = resp.data()["reviews"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["title"] == "Review of the Major Incident Plan (2017)")
            .unwrap()
            .clone();
        let p = &mip["progress"];
        // "Of the 15 recommendations made in 2017, 12 have been discharged", one ongoing by nature.
        assert_eq!(
            (
                p["recommendationsTotal"].clone(),
                p["recommendationsDischarged"].clone(),
                p["recommendationsOutstanding"].clone()
            ),
            (json!(15), json!(12), json!(3))
        );
        assert!(
            p["recommendationsByStatus"]
                .as_array()
                .unwrap()
                .contains(&json!({ "status": "ONGOING", "count": 1 }))
        );
    }
);

api_test!(the_demo_reproduces_the_cause_of_concern_update, |app| {
    app.seed_demo().await;
    let hw = token("hereford-worcester-fire", Role::Viewer);
    let resp = app
        .gql(
            Some(&hw),
            r#"{ actions(asOf: "2021-11-17", filter: { rag: GREEN }) { nodes { title standing { completedOn } } } }"#,
            json!({}),
        )
        .await;
    // The backlog of safe and well visits was eliminated by 18 October 2021.
    assert_eq!(
        resp.data()["actions"]["nodes"],
        json!([{ "title": "Eliminate the backlog of safe and well visits", "standing": { "completedOn": "2021-10-18" } }])
    );
});

api_test!(seeding_the_demo_twice_changes_nothing, |app| {
    app.seed_demo().await;
    let before = app.snapshot().await;
    assert_eq!(app.seed_demo().await, 0);
    assert_eq!(app.snapshot().await, before);
    // The sub-regional lead sees its six boroughs.
    let lead = token("london-central", Role::Manager);
    let resp = app
        .gql(
            Some(&lead),
            "{ me { organisation { members { totalCount } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        resp.data()["me"]["organisation"]["members"]["totalCount"],
        6
    );
});
