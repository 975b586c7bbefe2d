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

const NRS: &str = r#"{ frameworks(code: "NRS-LRF") { nodes { id name standards { code } } } me { organisation { id } } }"#;

api_test!(
    the_demo_gives_the_sub_regional_lead_a_heat_map_and_the_partner_progress,
    |app| {
        app.seed_demo().await;
        let lead = token("london-central", Role::Manager);
        let resp = app.gql(Some(&lead), NRS, json!({})).await;
        let data = resp.data();
        let fw = data["frameworks"]["nodes"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            data["frameworks"]["nodes"][0]["standards"]
                .as_array()
                .unwrap()
                .len(),
            15
        );
        let panel = data["me"]["organisation"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let resp = app
            .gql(
                Some(&lead),
                crate::assurance::COMPARISON,
                json!({ "panel": panel, "fw": fw, "cycle": "2024-25" }),
            )
            .await;
        let rows = resp.data()["panelComparison"]["rows"]
            .as_array()
            .unwrap()
            .clone();
        let row = |name: &str| {
            rows.iter()
                .find(|r| r["organisation"]["name"].as_str().unwrap().contains(name))
                .unwrap_or_else(|| panic!("{name} in the heat map"))
                .clone()
        };
        assert_eq!(rows.len(), 6, "the six central boroughs");
        // The City: moderated, one standard adjusted down; both levels are shown.
        let city = row("City of London");
        assert_eq!(city["cells"][2]["selfLevel"]["code"], "GOOD_PRACTICE");
        assert_eq!(city["cells"][2]["moderatedLevel"]["code"], "DEVELOPING");
        assert_eq!(city["cells"][2]["outcome"], "ADJUSTED");
        assert_eq!(city["lastChallengedOn"], "2025-02-20");
        // Hammersmith & Fulham: challenged part-way.
        let hf = row("Hammersmith");
        let challenged = hf["cells"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["challenged"] == true)
            .count();
        assert_eq!(challenged, 5);
        // Kensington and Chelsea is still drafting: nothing shown.
        let kc = row("Kensington");
        assert!(kc["assessment"].is_null());
        assert!(
            kc["cells"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["selfLevel"].is_null())
        );
        // Every borough has a plan behind its levels, some of it overdue.
        let overdue: i64 = rows.iter().map(|r| r["overdue"].as_i64().unwrap()).sum();
        assert!(overdue > 0);
        assert!(rows.iter().all(|r| r["actions"]["total"] == 3));

        // The LGA analyst: nine organisations share, five by name; Kensington and Chelsea,
        // Newham and Hereford & Worcester share nothing.
        let analyst = token("lga", Role::Viewer);
        let resp = app
            .gql(
                Some(&analyst),
                crate::assurance::PROGRESS,
                json!({ "fw": fw, "cycles": ["2023-24", "2024-25"] }),
            )
            .await;
        let progress = &resp.data()["standardsProgress"];
        assert_eq!(progress["suppressing"], true);
        let rows = progress["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 30);
        assert!(rows.iter().all(|r| r["assessed"] == 9));
        assert!(rows.iter().any(|r| {
            r["levels"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["selfSuppressed"] == true)
        }));
        assert!(rows.iter().any(|r| {
            r["levels"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["selfChange"].as_i64().is_some_and(|c| c > 0))
        }));
        let text = resp.body.to_string();
        for named in [
            "City of London",
            "Camden",
            "Croydon",
            "Rotherham",
            "Hertfordshire",
        ] {
            assert!(text.contains(named), "{named} is named");
        }
        for unnamed in [
            "Westminster",
            "Islington",
            "Hammersmith",
            "Essex",
            "Kensington",
            "Newham",
            "Hereford",
        ] {
            assert!(!text.contains(unnamed), "{unnamed} is not named");
        }
    }
);
