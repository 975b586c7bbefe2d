//! History that never changes its mind: entries arrive in order, an entry dated before the
//! latest of its history is a correction (a manager's, with a reason, marked wherever histories
//! are listed), and every as-at view can be asked as known at a moment, which later corrections
//! never change.

use resilience_hub::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, api_test, token};
use crate::plan::{self, ADD_UPDATE, People, ok, setup};

/// How an action stood, as known now or at a moment.
const STANDING: &str = r#"query($id: ID!, $d: Date, $k: DateTime) {
  action(id: $id) {
    standing(asOf: $d, knownAt: $k) { asOf knownAt status dueOn completedOn rag percentComplete }
  }
}"#;

const HISTORY: &str = r#"query($id: ID!) {
  action(id: $id) {
    status completedOn
    statusHistory { status effectiveOn isCorrection correctionReason }
    updates(first: 10) { nodes { asAt isCorrection correctionReason } }
  }
}"#;

async fn standing(app: &TestApp, tok: &str, id: &str, day: &str, known: Option<&str>) -> Value {
    let resp = app
        .gql(
            Some(tok),
            STANDING,
            json!({ "id": id, "d": day, "k": known }),
        )
        .await;
    resp.data()["action"]["standing"].clone()
}

/// This moment, as a `DateTime` argument (after a pause, so that what is recorded next is
/// recorded after it).
async fn now() -> String {
    let t = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    t.to_rfc3339()
}

/// An action of council A agreed 2021-01-04, moved to IN_PROGRESS by an update of 2021-03-01.
async fn agreed_then_started(app: &TestApp, people: &People) -> String {
    let review = plan::review(app, &people.manager, "Protection peer review").await;
    let rec = plan::recommendation(app, &people.manager, &review, "R1").await;
    let action = plan::action(
        app,
        &people.manager,
        &rec,
        "Review the risk-based inspection programme",
        "2021-01-04",
        "2021-06-30",
    )
    .await;
    plan::update(
        app,
        &people.contributor,
        &action,
        "2021-03-01",
        Some("IN_PROGRESS"),
    )
    .await;
    action
}

api_test!(
    a_backdated_status_is_a_managers_correction_with_a_reason,
    |app| {
        let (_w, people) = setup(&app).await;
        let action = agreed_then_started(&app, &people).await;
        let before = standing(&app, &people.viewer, &action, "2021-02-15", None).await;
        assert_eq!(
            (&before["status"], &before["rag"]),
            (&json!("NOT_STARTED"), &json!("AMBER"))
        );
        let known = now().await;
        let snapshot = app.snapshot().await;

        // The issue's defect: a progress update dated before the latest rewrote the past.
        let backdated = json!({ "input": { "actionId": action, "asAt": "2021-02-01",
        "narrative": "Completed early", "newStatus": "COMPLETE" } });
        let resp = app
            .gql(Some(&people.contributor), ADD_UPDATE, backdated.clone())
            .await;
        assert_eq!(resp.codes(), ["FORBIDDEN"], "{}", resp.body);
        let resp = app
            .gql(Some(&people.manager), ADD_UPDATE, backdated.clone())
            .await;
        assert_eq!(
            resp.error("BAD_USER_INPUT")["extensions"]["field"],
            "input.correctionReason"
        );
        let blank = json!({ "input": { "actionId": action, "asAt": "2021-02-01",
        "narrative": "Completed early", "newStatus": "COMPLETE", "correctionReason": "   " } });
        let resp = app.gql(Some(&people.manager), ADD_UPDATE, blank).await;
        assert_eq!(resp.codes(), ["BAD_USER_INPUT"]);
        assert_eq!(app.snapshot().await, snapshot, "refusals change nothing");
        assert_eq!(
            standing(&app, &people.viewer, &action, "2021-02-15", None).await,
            before
        );

        // The manager corrects, with the reason.
        let mut corrected = backdated;
        corrected["input"]["correctionReason"] = json!("The February sign-off was missed");
        let done = ok(
            &app,
            &people.manager,
            ADD_UPDATE,
            corrected,
            &["addProgressUpdate"],
        )
        .await;
        assert_eq!(
            done["action"]["status"], "IN_PROGRESS",
            "today is unchanged"
        );
        let after = standing(&app, &people.viewer, &action, "2021-02-15", None).await;
        assert_eq!(
            (&after["status"], &after["rag"]),
            (&json!("COMPLETE"), &json!("GREEN"))
        );
        assert_eq!(after["completedOn"], "2021-02-01");
        // As known before the correction, the answer is what it was, byte for byte.
        let then = standing(&app, &people.viewer, &action, "2021-02-15", Some(&known)).await;
        assert_eq!(then["status"], "NOT_STARTED");
        assert_eq!(then["rag"], "AMBER");
        assert_eq!(then["knownAt"].as_str().map(|k| k.len() > 10), Some(true));
        let again = standing(&app, &people.viewer, &action, "2021-02-15", Some(&known)).await;
        assert_eq!(then.to_string(), again.to_string());

        // Listed, and marked, with the reason.
        let resp = app
            .gql(Some(&people.viewer), HISTORY, json!({ "id": action }))
            .await;
        let a = &resp.data()["action"];
        assert_eq!(
            a["statusHistory"],
            json!([
                { "status": "NOT_STARTED", "effectiveOn": "2021-01-04", "isCorrection": false, "correctionReason": null },
                { "status": "COMPLETE", "effectiveOn": "2021-02-01", "isCorrection": true,
                  "correctionReason": "The February sign-off was missed" },
                { "status": "IN_PROGRESS", "effectiveOn": "2021-03-01", "isCorrection": false, "correctionReason": null },
            ])
        );
        assert_eq!(
            a["updates"]["nodes"][1],
            json!({ "asAt": "2021-02-01", "isCorrection": true,
                "correctionReason": "The February sign-off was missed" })
        );
        // And audited with it.
        let audit = app
            .gql(
                Some(&people.manager),
                r#"{ auditEvents(first: 50) { nodes { entityType operation after } } }"#,
                json!({}),
            )
            .await;
        let events = audit.data()["auditEvents"]["nodes"]
            .as_array()
            .unwrap()
            .clone();
        assert!(
            events.iter().any(|e| e["entityType"] == "PROGRESS_UPDATE"
                && e["after"]
                    .to_string()
                    .contains("The February sign-off was missed")),
            "{events:?}"
        );
    }
);

api_test!(
    due_dates_and_recommendation_statuses_are_corrected_the_same_way,
    |app| {
        let (_w, people) = setup(&app).await;
        let action = agreed_then_started(&app, &people).await;
        let v = plan::version(&app, &people.manager, &action).await;
        ok(
            &app,
            &people.manager,
            plan::CHANGE_DUE,
            json!({ "input": { "id": action, "version": v, "newDueOn": "2021-09-30",
                "reason": "Inspection team vacancies", "effectiveOn": "2021-05-01" } }),
            &["changeActionDueDate"],
        )
        .await;
        let v = plan::version(&app, &people.manager, &action).await;
        // An earlier extension, entered late: a correction.
        let late = json!({ "input": { "id": action, "version": v, "newDueOn": "2021-07-31",
            "reason": "First extension", "effectiveOn": "2021-04-01" } });
        let resp = app
            .gql(Some(&people.manager), plan::CHANGE_DUE, late.clone())
            .await;
        assert_eq!(
            resp.error("BAD_USER_INPUT")["extensions"]["field"],
            "input.correctionReason"
        );
        let mut corrected = late;
        corrected["input"]["correctionReason"] = json!("Missed from the April update");
        let changed = ok(
            &app,
            &people.manager,
            plan::CHANGE_DUE,
            corrected,
            &["changeActionDueDate"],
        )
        .await;
        assert_eq!(
            changed["action"]["dueOn"], "2021-09-30",
            "today's date stands"
        );
        assert_eq!(changed["dueDateChange"]["previousDueOn"], "2021-06-30");
        assert_eq!(
            standing(&app, &people.viewer, &action, "2021-04-15", None).await["dueOn"],
            "2021-07-31"
        );

        let review = plan::review(&app, &people.manager, "Scrutiny review").await;
        let rec = plan::recommendation(&app, &people.manager, &review, "S1").await;
        let discharged = ok(
            &app,
            &people.manager,
            plan::UPDATE_RECOMMENDATION,
            json!({ "input": { "id": rec, "version": 1, "status": "DISCHARGED", "statusOn": "2021-06-01" } }),
            &["updateRecommendation", "recommendation"],
        )
        .await;
        let resp = app
            .gql(
                Some(&people.contributor),
                plan::UPDATE_RECOMMENDATION,
                json!({ "input": { "id": rec, "version": discharged["version"], "status": "IN_PROGRESS",
                    "statusOn": "2021-03-01", "correctionReason": "Work began in March" } }),
            )
            .await;
        assert_eq!(resp.codes(), ["FORBIDDEN"]);
        let corrected = ok(
            &app,
            &people.manager,
            plan::UPDATE_RECOMMENDATION,
            json!({ "input": { "id": rec, "version": discharged["version"], "status": "IN_PROGRESS",
                "statusOn": "2021-03-01", "correctionReason": "Work began in March" } }),
            &["updateRecommendation", "recommendation"],
        )
        .await;
        assert_eq!(corrected["status"], "DISCHARGED");
        assert_eq!(corrected["dischargedOn"], "2021-06-01");
        let resp = app
            .gql(
                Some(&people.viewer),
                r#"query($id: ID!) { node(id: $id) { ... on Recommendation {
                    march: standing(asOf: "2021-03-15") { status outstanding dischargedOn }
                    june: standing(asOf: "2021-06-01") { status outstanding dischargedOn }
                    statusHistory { status effectiveOn isCorrection correctionReason }
                } } }"#,
                json!({ "id": rec }),
            )
            .await;
        let r = &resp.data()["node"];
        assert_eq!(
            r["march"],
            json!({ "status": "IN_PROGRESS", "outstanding": true, "dischargedOn": null })
        );
        assert_eq!(
            r["june"],
            json!({ "status": "DISCHARGED", "outstanding": false, "dischargedOn": "2021-06-01" })
        );
        assert_eq!(r["statusHistory"][1]["isCorrection"], true);
        assert_eq!(
            r["statusHistory"][1]["correctionReason"],
            "Work began in March"
        );
        // The trail says why the past was rewritten, each time.
        let audit = app
            .gql(
                Some(&people.manager),
                r#"{ auditEvents(first: 100) { nodes { entityType after } } }"#,
                json!({}),
            )
            .await;
        let events = audit.data()["auditEvents"]["nodes"]
            .as_array()
            .unwrap()
            .clone();
        for (entity, reason) in [
            ("ACTION", "Missed from the April update"),
            ("RECOMMENDATION", "Work began in March"),
        ] {
            assert!(
                events
                    .iter()
                    .any(|e| e["entityType"] == entity && e["after"]["correctionReason"] == reason),
                "{entity}: {events:?}"
            );
        }
    }
);

api_test!(saying_complete_again_keeps_the_completion_date, |app| {
    let (_w, people) = setup(&app).await;
    let action = agreed_then_started(&app, &people).await;
    plan::update(
        &app,
        &people.contributor,
        &action,
        "2021-03-25",
        Some("COMPLETE"),
    )
    .await;
    let today = resilience_hub::dates::london_today().to_string();
    let yesterday = (resilience_hub::dates::london_today() - chrono::Duration::days(1)).to_string();
    let signed = plan::update(&app, &people.contributor, &action, &today, Some("COMPLETE")).await;
    assert_eq!(signed["action"]["completedOn"], "2021-03-25");
    for day in ["2021-03-25", "2021-12-31", &today] {
        assert_eq!(
            standing(&app, &people.viewer, &action, day, None).await["completedOn"],
            "2021-03-25",
            "{day}"
        );
    }
    assert_eq!(
        standing(&app, &people.viewer, &action, "2021-03-24", None).await["completedOn"],
        Value::Null
    );
    let resp = app
        .gql(
            Some(&people.viewer),
            r#"query($from: Date!, $to: Date!) { me { organisation {
                changes(from: $from, to: $to) { completedCount } } } }"#,
            json!({ "from": yesterday, "to": today }),
        )
        .await;
    assert_eq!(
        resp.data()["me"]["organisation"]["changes"]["completedCount"],
        0
    );
    // Reopened and completed again: a new run of completeness, a new date.
    let v = plan::version(&app, &people.manager, &action).await;
    ok(
        &app,
        &people.manager,
        plan::UPDATE_ACTION,
        json!({ "input": { "id": action, "version": v, "status": "IN_PROGRESS" } }),
        &["updateAction"],
    )
    .await;
    let v = plan::version(&app, &people.manager, &action).await;
    let again = ok(
        &app,
        &people.manager,
        plan::UPDATE_ACTION,
        json!({ "input": { "id": action, "version": v, "status": "COMPLETE" } }),
        &["updateAction", "action"],
    )
    .await;
    assert_eq!(again["completedOn"], today);
});

api_test!(update_action_takes_the_day_its_status_took_effect, |app| {
    let (_w, people) = setup(&app).await;
    let review = plan::review(&app, &people.manager, "Peer challenge").await;
    let rec = plan::recommendation(&app, &people.manager, &review, "P1").await;
    let action = plan::action(
        &app,
        &people.manager,
        &rec,
        "Train",
        "2021-01-04",
        "2021-12-31",
    )
    .await;
    let set = |v: i64, status: &str, on: &str| json!({ "input": { "id": action, "version": v, "status": status, "statusOn": on } });
    for (on, field) in [
        ("2099-01-01", "input.statusOn"),
        ("2021-01-03", "input.statusOn"),
    ] {
        let resp = app
            .gql(
                Some(&people.contributor),
                plan::UPDATE_ACTION,
                set(1, "IN_PROGRESS", on),
            )
            .await;
        assert_eq!(
            resp.error("BAD_USER_INPUT")["extensions"]["field"],
            field,
            "{on}"
        );
    }
    let resp = app
        .gql(
            Some(&people.manager),
            plan::UPDATE_ACTION,
            json!({ "input": { "id": action, "version": 1, "statusOn": "2021-02-01", "title": "Train crews" } }),
        )
        .await;
    assert_eq!(
        resp.error("BAD_USER_INPUT")["extensions"]["field"],
        "input.statusOn"
    );
    // The plan's past entered in order, as the README's mutations go.
    ok(
        &app,
        &people.contributor,
        plan::UPDATE_ACTION,
        set(1, "IN_PROGRESS", "2021-02-01"),
        &["updateAction"],
    )
    .await;
    let v = plan::version(&app, &people.manager, &action).await;
    ok(
        &app,
        &people.contributor,
        plan::UPDATE_ACTION,
        set(v, "COMPLETE", "2021-06-30"),
        &["updateAction"],
    )
    .await;
    let day = |d: &'static str| standing(&app, &people.viewer, &action, d, None);
    assert_eq!(day("2021-01-31").await["status"], "NOT_STARTED");
    assert_eq!(day("2021-02-01").await["status"], "IN_PROGRESS");
    assert_eq!(day("2021-06-29").await["status"], "IN_PROGRESS");
    let done = day("2021-06-30").await;
    assert_eq!(
        (&done["status"], &done["completedOn"]),
        (&json!("COMPLETE"), &json!("2021-06-30"))
    );
    // A contributor cannot slip one in before.
    let v = plan::version(&app, &people.manager, &action).await;
    let resp = app
        .gql(
            Some(&people.contributor),
            plan::UPDATE_ACTION,
            set(v, "WITHDRAWN", "2021-03-01"),
        )
        .await;
    assert_eq!(resp.codes(), ["FORBIDDEN"]);
});

api_test!(
    an_action_is_agreed_when_its_review_reported_unless_told,
    |app| {
        let (_w, people) = setup(&app).await;
        // The review reported on 2021-01-29 (see `plan::review`).
        let review = plan::review(&app, &people.manager, "Inspection").await;
        let rec = plan::recommendation(&app, &people.manager, &review, "I1").await;
        let create = |input: Value| {
            app.gql(
                Some(&people.manager),
                plan::CREATE_ACTION,
                json!({ "input": input }),
            )
        };
        let resp = create(
            json!({ "recommendationId": rec, "title": "Audit", "owner": "Head of Prevention",
        "dueOn": "2021-03-31" }),
        )
        .await;
        assert_eq!(
            resp.data()["createAction"]["action"]["openedOn"],
            "2021-01-29"
        );
        // The boundary: due the day it was agreed is fine, the day before is not, and the message
        // names where the day came from.
        let resp = create(
            json!({ "reviewId": review, "title": "Same day", "owner": "Head of Prevention",
        "dueOn": "2021-01-29" }),
        )
        .await;
        assert_eq!(
            resp.data()["createAction"]["action"]["openedOn"],
            "2021-01-29"
        );
        let resp = create(
            json!({ "reviewId": review, "title": "Too early", "owner": "Head of Prevention",
        "dueOn": "2021-01-28" }),
        )
        .await;
        let err = resp.error("BAD_USER_INPUT");
        assert_eq!(err["extensions"]["field"], "input.dueOn");
        assert!(
            err["message"].as_str().unwrap().contains("openedOn"),
            "{err}"
        );
        // Given, it stands; without a review, it is today.
        let resp = create(
            json!({ "reviewId": review, "title": "Told", "owner": "Head of Prevention",
        "dueOn": "2021-03-31", "openedOn": "2021-02-10" }),
        )
        .await;
        assert_eq!(
            resp.data()["createAction"]["action"]["openedOn"],
            "2021-02-10"
        );
        let resp = create(json!({ "title": "Free-standing", "owner": "Head of Prevention", "dueOn": "2099-03-31" }))
        .await;
        assert_eq!(
            resp.data()["createAction"]["action"]["openedOn"],
            resilience_hub::dates::london_today().to_string()
        );
    }
);

api_test!(
    a_standing_carries_the_percentage_complete_of_its_day,
    |app| {
        let (_w, people) = setup(&app).await;
        let action = agreed_then_started(&app, &people).await;
        for (on, pct) in [("2021-03-10", 40), ("2021-04-10", 80)] {
            ok(
            &app,
            &people.contributor,
            ADD_UPDATE,
            json!({ "input": { "actionId": action, "asAt": on, "narrative": "Progress", "percentComplete": pct } }),
            &["addProgressUpdate"],
        )
        .await;
        }
        let pct = |d: &'static str| standing(&app, &people.viewer, &action, d, None);
        assert_eq!(pct("2021-03-09").await["percentComplete"], Value::Null);
        assert_eq!(pct("2021-03-10").await["percentComplete"], 40);
        assert_eq!(pct("2021-04-09").await["percentComplete"], 40);
        assert_eq!(pct("2021-04-10").await["percentComplete"], 80);
    }
);

api_test!(recommendations_can_be_named_as_they_stood_on_a_day, |app| {
    let (_w, people) = setup(&app).await;
    let review = plan::review(&app, &people.manager, "MIP review").await;
    let mut recs = Vec::new();
    for reference in ["R1", "R2", "R3"] {
        recs.push(plan::recommendation(&app, &people.manager, &review, reference).await);
    }
    ok(
            &app,
            &people.manager,
            plan::UPDATE_RECOMMENDATION,
            json!({ "input": { "id": recs[1], "version": 1, "status": "DISCHARGED", "statusOn": "2021-03-01" } }),
            &["updateRecommendation"],
        )
        .await;
    let query = r#"query($id: ID!, $d: Date, $s: RecommendationStatus) { review(id: $id) {
            recommendations(asOf: $d, status: $s) { reference standing { status dischargedOn outstanding } }
            progress(asOf: $d) { recommendationsOutstanding }
        } }"#;
    let at = |d: &'static str, s: Option<&'static str>| {
        app.gql(
            Some(&people.viewer),
            query,
            json!({ "id": review, "d": d, "s": s }),
        )
    };
    let refs = |v: &Value| -> Vec<String> {
        v["review"]["recommendations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["reference"].as_str().unwrap().to_owned())
            .collect()
    };
    // Before they were made: none.
    let resp = at("2021-01-28", None).await;
    assert!(refs(resp.data()).is_empty());
    // The three outstanding on the day before the discharge, named.
    let resp = at("2021-02-28", Some("OPEN")).await;
    assert_eq!(refs(resp.data()), ["R1", "R2", "R3"]);
    assert_eq!(
        resp.data()["review"]["progress"]["recommendationsOutstanding"],
        3
    );
    // On the day: two open, one discharged that day.
    let resp = at("2021-03-01", Some("OPEN")).await;
    assert_eq!(refs(resp.data()), ["R1", "R3"]);
    let resp = at("2021-03-01", Some("DISCHARGED")).await;
    assert_eq!(refs(resp.data()), ["R2"]);
    assert_eq!(
        resp.data()["review"]["recommendations"][0]["standing"],
        json!({ "status": "DISCHARGED", "dischargedOn": "2021-03-01", "outstanding": false })
    );
    // Without a day, all of them as they stand.
    let resp = app
        .gql(
            Some(&people.viewer),
            r#"query($id: ID!) { review(id: $id) { recommendations { reference status } } }"#,
            json!({ "id": review }),
        )
        .await;
    assert_eq!(
        resp.data()["review"]["recommendations"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
});

/// Everything a committee of Essex was told about its protection plan, in one request.
const COMMITTEE_PAPER: &str = r#"query($review: ID!, $d: Date!, $k: DateTime) {
  review(id: $review) {
    progress(asOf: $d, knownAt: $k) { asOf knownAt actionsTotal green amber red recommendationsOutstanding }
    actions(asOf: $d, knownAt: $k, first: 50, orderBy: TITLE) {
      totalCount
      nodes { title rag standing { status dueOn completedOn percentComplete } }
    }
    recommendations(asOf: $d, knownAt: $k) { reference standing { status outstanding } }
  }
}"#;

api_test!(
    committee_papers_as_known_then_never_change_and_corrections_show_as_now,
    |app| {
        app.seed_demo().await;
        let manager = token("essex-fire", Role::Manager);
        let viewer = token("essex-fire", Role::Viewer);
        let resp = app
            .gql(
                Some(&viewer),
                "{ reviews(first: 1) { nodes { id actions(first: 50) { nodes { id title } } } } }",
                json!({}),
            )
            .await;
        let review = resp.data()["reviews"]["nodes"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let actions = resp.data()["reviews"]["nodes"][0]["actions"]["nodes"]
            .as_array()
            .unwrap()
            .clone();
        // The committees that received the monthly updates.
        let mut committees = Vec::new();
        for day in ["2021-03-10", "2021-11-30"] {
            let c = ok(
                &app,
                &manager,
                "mutation($input: RecordCommitteeInput!) { recordCommittee(input: $input) { committee { id meetsOn knownAt } } }",
                json!({ "input": { "name": "Essex Police, Fire and Crime Panel", "meetsOn": day,
                    "paperUrl": "https://example.org/papers.pdf" } }),
                &["recordCommittee", "committee"],
            )
            .await;
            committees.push(c);
        }
        let resp = app
            .gql(
                Some(&token("essex-fire", Role::Contributor)),
                "mutation { recordCommittee(input: { name: \"X\", meetsOn: \"2021-01-01\" }) { committee { id } } }",
                json!({}),
            )
            .await;
        assert_eq!(resp.codes(), ["FORBIDDEN"]);

        // What each committee was told, as known at the end of its day.
        let paper = |day: &str, known: &str| {
            app.raw(app.post().bearer_auth(&viewer).json(&json!({
                "query": COMMITTEE_PAPER,
                "variables": { "review": review, "d": day, "k": known }
            })))
        };
        let mut told = Vec::new();
        for c in &committees {
            let body = paper(
                c["meetsOn"].as_str().unwrap(),
                c["knownAt"].as_str().unwrap(),
            )
            .await
            .text;
            assert!(!body.contains("\"errors\""), "{body}");
            told.push(body);
        }
        let november: Value = serde_json::from_str(&told[1]).unwrap();
        let p = &november["data"]["review"]["progress"];
        assert_eq!(
            (p["green"].clone(), p["amber"].clone(), p["red"].clone()),
            (json!(7), json!(3), json!(0))
        );
        let report = |c: &Value| {
            app.gql(
                Some(&viewer),
                r#"query($id: ID!, $review: ID) { committee(id: $id) {
                    report(reviewId: $review) { asOf actionsTotal green amber red recommendationsOutstanding }
                } }"#,
                json!({ "id": c["id"], "review": review }),
            )
        };
        let report_before = report(&committees[1]).await.body.to_string();
        assert!(report_before.contains("\"green\":7"), "{report_before}");
        // The organisation's figures are remembered between requests: as known then, and now.
        let organisation = |known: Option<&str>| {
            app.gql(
                Some(&viewer),
                r#"query($k: DateTime) { me { organisation {
                    progress(asOf: "2021-11-30", knownAt: $k) { green amber red }
                } } }"#,
                json!({ "k": known }),
            )
        };
        let org_then = organisation(committees[1]["knownAt"].as_str())
            .await
            .body
            .to_string();
        let org_now = organisation(None).await.body.to_string();
        assert_eq!(org_then, org_now, "nothing corrected yet");

        // Corrections, entered today: an action the November paper showed AMBER was in fact
        // complete in October, and another's date had been extended in the summer.
        let amber: Vec<String> = november["data"]["review"]["actions"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["rag"] == "AMBER")
            .map(|a| a["title"].as_str().unwrap().to_owned())
            .collect();
        let id_of = |title: &str| {
            actions
                .iter()
                .find(|a| a["title"] == title)
                .and_then(|a| a["id"].as_str())
                .unwrap()
                .to_owned()
        };
        let first = id_of(&amber[0]);
        ok(
            &app,
            &manager,
            ADD_UPDATE,
            json!({ "input": { "actionId": first, "asAt": "2021-10-15", "narrative": "Completed in October",
                "newStatus": "COMPLETE", "correctionReason": "Sign-off found in the October minutes" } }),
            &["addProgressUpdate"],
        )
        .await;

        // The papers as known then: byte for byte what they were.
        for (c, before) in committees.iter().zip(&told) {
            let body = paper(
                c["meetsOn"].as_str().unwrap(),
                c["knownAt"].as_str().unwrap(),
            )
            .await
            .text;
            assert_eq!(&body, before, "{}", c["meetsOn"]);
        }
        assert_eq!(report(&committees[1]).await.body.to_string(), report_before);
        assert_eq!(
            organisation(committees[1]["knownAt"].as_str())
                .await
                .body
                .to_string(),
            org_then
        );
        assert_ne!(organisation(None).await.body.to_string(), org_now);
        // As now known, November reflects the correction.
        let now = app
            .gql(
                Some(&viewer),
                COMMITTEE_PAPER,
                json!({ "review": review, "d": "2021-11-30" }),
            )
            .await;
        let p = &now.data()["review"]["progress"];
        assert_eq!(
            (p["green"].clone(), p["amber"].clone()),
            (json!(8), json!(2))
        );
        assert_eq!(p["knownAt"], Value::Null);

        // What moved between the two committees, and since the last.
        let resp = app
            .gql(
                Some(&viewer),
                r#"query($review: ID!, $a: ID!, $b: ID!) { review(id: $review) {
                    between: changes(betweenCommittees: [$b, $a]) { from to completedCount }
                    since: changes(sinceCommittee: $b) { from }
                } }"#,
                json!({ "review": review, "a": committees[0]["id"], "b": committees[1]["id"] }),
            )
            .await;
        let between = &resp.data()["review"]["between"];
        assert_eq!(
            (between["from"].clone(), between["to"].clone()),
            (json!("2021-03-10"), json!("2021-11-30"))
        );
        assert!(between["completedCount"].as_i64().unwrap() >= 1);
        assert_eq!(resp.data()["review"]["since"]["from"], "2021-11-30");
        let (a, b) = (
            committees[0]["id"].as_str().unwrap(),
            committees[1]["id"].as_str().unwrap(),
        );
        for args in [
            format!("sinceCommittee: \"{b}\", betweenCommittees: [\"{a}\", \"{b}\"]"),
            format!("betweenCommittees: [\"{a}\"]"),
            format!("from: \"2021-01-01\", betweenCommittees: [\"{a}\", \"{b}\"]"),
            "to: \"2021-12-31\"".to_owned(),
        ] {
            let query = format!(
                "query($review: ID!) {{ review(id: $review) {{ changes({args}) {{ from }} }} }}"
            );
            let resp = app
                .gql(Some(&viewer), &query, json!({ "review": review }))
                .await;
            assert_eq!(resp.codes(), ["BAD_USER_INPUT"], "{args}");
        }
    }
);

api_test!(
    a_panels_heat_map_and_standards_progress_as_known_at_a_moment,
    |app| {
        use crate::assurance::{self, COMPARISON, PROGRESS};
        let w = crate::world::World::build(&app).await;
        let fw = assurance::framework(&app, &w.admin, "NRS", 2).await;
        let panel = token(&w.panel, Role::Manager);
        let before_submission = now().await;
        let a = assurance::assessed(
            &app,
            &token(&w.council_a, Role::Manager),
            &fw,
            "2024-25",
            &["DEVELOPING", "GOOD_PRACTICE"],
        )
        .await;
        let submitted = now().await;
        let c = assurance::challenge(&app, &panel, &a, "2024-12-01").await;
        assurance::moderate_all(
            &app,
            &panel,
            &c,
            &fw,
            &[("GOOD_PRACTICE", "ADJUSTED"), ("GOOD_PRACTICE", "AGREED")],
        )
        .await;
        let served = &app;
        let comparison = |known: Option<String>| {
            let query = COMPARISON
                .replace("$asOf: Date)", "$asOf: Date, $k: DateTime)")
                .replace("asOf: $asOf)", "asOf: $asOf, knownAt: $k)");
            let vars = json!({ "panel": w.panel, "fw": fw.id, "cycle": "2024-25", "k": known });
            let panel = panel.clone();
            async move { served.gql(Some(&panel), &query, vars).await.data().clone() }
        };
        let row = |data: &Value| {
            data["panelComparison"]["rows"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["organisation"]["id"] == json!(w.council_a))
                .cloned()
                .unwrap()
        };
        let now_row = row(&comparison(None).await);
        assert_eq!(
            now_row["cells"][0]["moderatedLevel"]["code"],
            "GOOD_PRACTICE"
        );
        assert_eq!(now_row["lastChallengedOn"], "2024-12-01");
        let then = row(&comparison(Some(submitted.clone())).await);
        assert_eq!(then["cells"][0]["selfLevel"]["code"], "DEVELOPING");
        assert_eq!(then["cells"][0]["moderatedLevel"], Value::Null);
        assert_eq!(then["lastChallengedOn"], Value::Null);
        // Before it was submitted, the panel had nothing of it: as known at the start of the
        // day it was submitted, which the submission's day bounds.
        let start_of_day = {
            let today = resilience_hub::dates::london_today() - chrono::Duration::days(1);
            resilience_hub::dates::end_of_london_day(today).to_rfc3339()
        };
        assert!(start_of_day < before_submission);
        assert_eq!(
            row(&comparison(Some(start_of_day)).await)["assessment"],
            Value::Null
        );

        let progress = |known: Option<String>| {
            let query = PROGRESS
                .replace("$cycles: [String!]!)", "$cycles: [String!]!, $k: DateTime)")
                .replace("cycles: $cycles)", "cycles: $cycles, knownAt: $k)");
            let vars = json!({ "fw": fw.id, "cycles": ["2024-25"], "k": known });
            let panel = panel.clone();
            async move { served.gql(Some(&panel), &query, vars).await.data().clone() }
        };
        let moderated = |data: &Value| -> i64 {
            data["standardsProgress"]["rows"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|r| r["levels"].as_array().unwrap().clone())
                .map(|l| l["moderatedCount"].as_i64().unwrap_or(0))
                .sum()
        };
        assert_eq!(moderated(&progress(None).await), 2);
        // Remembered or not, the answer as known before the moderation stays as it was.
        for _ in 0..2 {
            assert_eq!(moderated(&progress(Some(submitted.clone())).await), 0);
        }
    }
);
