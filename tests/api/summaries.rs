//! Summaries as at a day, what changed between two committee dates, and reproducing a past
//! report after the plan moved on.

use resilience_hub::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, api_test, token};
use crate::plan::{
    CHANGE_DUE, People, UPDATE_RECOMMENDATION, action, ok, recommendation, review, setup, update,
    version,
};

/// A small plan of council_a: 3 recommendations and 4 actions with a history through 2021.
struct Plan {
    review: String,
    actions: Vec<String>,
}

async fn plan(app: &TestApp, people: &People) -> Plan {
    let m = &people.manager;
    let rid = review(app, m, "Protection peer review").await;
    let r1 = recommendation(app, m, &rid, "R1").await;
    let r2 = recommendation(app, m, &rid, "R2").await;
    recommendation(app, m, &rid, "R3").await;
    // R1 discharged in October.
    ok(
        app,
        m,
        UPDATE_RECOMMENDATION,
        json!({ "input": { "id": r1, "version": 1, "status": "DISCHARGED", "statusOn": "2021-10-18" } }),
        &["updateRecommendation"],
    )
    .await;
    let a1 = action(
        app,
        m,
        &r1,
        "Out of hours cover",
        "2021-01-29",
        "2021-02-28",
    )
    .await;
    let a2 = action(
        app,
        m,
        &r1,
        "Rebalance the rota",
        "2021-01-29",
        "2021-07-31",
    )
    .await;
    let a3 = action(
        app,
        m,
        &r2,
        "Communications plan",
        "2021-01-29",
        "2021-12-31",
    )
    .await;
    let a4 = action(
        app,
        m,
        &r2,
        "Enforcement policy",
        "2021-01-29",
        "2021-02-28",
    )
    .await;
    let c = &people.contributor;
    update(app, c, &a1, "2021-02-20", Some("COMPLETE")).await;
    update(app, c, &a2, "2021-03-01", Some("IN_PROGRESS")).await;
    update(app, c, &a2, "2021-07-20", Some("COMPLETE")).await;
    update(app, c, &a3, "2021-09-01", Some("IN_PROGRESS")).await;
    // a4 slipped: extended in March, done in May.
    let v = version(app, m, &a4).await;
    ok(
        app,
        m,
        CHANGE_DUE,
        json!({ "input": { "id": a4, "version": v, "newDueOn": "2021-05-31", "reason": "Policy review", "effectiveOn": "2021-03-10" } }),
        &["changeActionDueDate"],
    )
    .await;
    update(app, c, &a4, "2021-05-10", Some("COMPLETE")).await;
    Plan {
        review: rid,
        actions: vec![a1, a2, a3, a4],
    }
}

const PROGRESS: &str = r#"query($id: ID!, $asOf: Date) {
    review(id: $id) {
        progress(asOf: $asOf) {
            asOf recommendationsTotal recommendationsOutstanding recommendationsDischarged
            recommendationsByStatus { status count }
            actionsTotal green amber red overdue withdrawn percentComplete nextDueOn
        }
    }
}"#;

async fn review_progress(app: &TestApp, tok: &str, review: &str, day: &str) -> Value {
    app.gql(Some(tok), PROGRESS, json!({ "id": review, "asOf": day }))
        .await
        .data()["review"]["progress"]
        .clone()
}

api_test!(a_review_summary_counts_as_at_a_day, |app| {
    let (_w, people) = setup(&app).await;
    let p = plan(&app, &people).await;
    let nov = review_progress(&app, &people.viewer, &p.review, "2021-11-30").await;
    assert_eq!(
        nov,
        json!({
            "asOf": "2021-11-30",
            "recommendationsTotal": 3, "recommendationsOutstanding": 2, "recommendationsDischarged": 1,
            "recommendationsByStatus": [{ "status": "OPEN", "count": 2 }, { "status": "DISCHARGED", "count": 1 }],
            "actionsTotal": 4, "green": 3, "amber": 1, "red": 0, "overdue": 0, "withdrawn": 0,
            "percentComplete": 75.0, "nextDueOn": "2021-12-31"
        })
    );
    // In early March the first deadline had passed for one action, and the plan was young.
    let march = review_progress(&app, &people.viewer, &p.review, "2021-03-05").await;
    assert_eq!(
        (
            march["green"].clone(),
            march["amber"].clone(),
            march["red"].clone(),
            march["nextDueOn"].clone()
        ),
        (json!(1), json!(2), json!(1), json!("2021-07-31"))
    );
    assert_eq!(
        march["recommendationsDischarged"], 0,
        "R1 was discharged in October"
    );
    // Before the review reported, nothing had been made.
    let before = review_progress(&app, &people.viewer, &p.review, "2021-01-01").await;
    assert_eq!(
        (
            before["recommendationsTotal"].clone(),
            before["actionsTotal"].clone()
        ),
        (json!(0), json!(0))
    );
    assert_eq!(before["percentComplete"], json!(null));
});

api_test!(a_past_report_is_reproduced_after_the_plan_moved_on, |app| {
    let (_w, people) = setup(&app).await;
    let p = plan(&app, &people).await;
    let report = r#"query($id: ID!, $asOf: Date) {
        review(id: $id) {
            progress(asOf: $asOf) { recommendationsByStatus { status count } green amber red nextDueOn }
            actions(asOf: $asOf, first: 100) {
                nodes { title rag standing { status dueOn completedOn } }
            }
        }
    }"#;
    let day = "2021-11-30";
    let then = app
        .gql(
            Some(&people.viewer),
            report,
            json!({ "id": p.review, "asOf": day }),
        )
        .await
        .data()
        .clone();

    // The plan moves on: a3 is extended and then completed, R2 is discharged, a new action.
    let m = &people.manager;
    let a3 = &p.actions[2];
    let v = version(&app, m, a3).await;
    ok(
        &app,
        m,
        CHANGE_DUE,
        json!({ "input": { "id": a3, "version": v, "newDueOn": "2022-03-31", "reason": "Awaiting approval", "effectiveOn": "2021-12-15" } }),
        &["changeActionDueDate"],
    )
    .await;
    update(
        &app,
        &people.contributor,
        a3,
        "2022-03-01",
        Some("COMPLETE"),
    )
    .await;
    let recs = app
        .gql(
            Some(m),
            "query($id: ID!) { review(id: $id) { recommendations { id reference version } } }",
            json!({ "id": p.review }),
        )
        .await
        .data()["review"]["recommendations"]
        .clone();
    let r2 = recs
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["reference"] == "R2")
        .unwrap()
        .clone();
    ok(
        &app,
        m,
        UPDATE_RECOMMENDATION,
        json!({ "input": { "id": r2["id"], "version": r2["version"], "status": "DISCHARGED", "statusOn": "2022-03-02" } }),
        &["updateRecommendation"],
    )
    .await;
    let r3 = recs
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["reference"] == "R3")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    action(&app, m, &r3, "A new action", "2022-01-10", "2022-06-30").await;

    let again = app
        .gql(
            Some(&people.viewer),
            report,
            json!({ "id": p.review, "asOf": day }),
        )
        .await
        .data()
        .clone();
    assert_eq!(then, again, "the November 2021 report is exactly as it was");
    // Today's view did move.
    let now = app
        .gql(Some(&people.viewer), report, json!({ "id": p.review }))
        .await
        .data()
        .clone();
    assert_ne!(then["review"]["progress"], now["review"]["progress"]);
});

api_test!(
    changes_between_committee_dates_are_listed_and_counted,
    |app| {
        let (_w, people) = setup(&app).await;
        let p = plan(&app, &people).await;
        let query = r#"query($id: ID!, $from: Date!, $to: Date!) {
        review(id: $id) {
            changes(from: $from, to: $to) {
                from to
                completedCount completed { title standing { completedOn } }
                newlyOverdueCount newlyOverdue { title }
                dueDateChangeCount dueDateChanges { previousDueOn newDueOn reason }
                updateCount updates { asAt }
            }
        }
    }"#;
        let resp = app
            .gql(
                Some(&people.viewer),
                query,
                json!({ "id": p.review, "from": "2021-02-25", "to": "2021-05-31" }),
            )
            .await;
        let c = &resp.data()["review"]["changes"];
        assert_eq!(c["completedCount"], 1);
        assert_eq!(
            c["completed"],
            json!([{ "title": "Enforcement policy", "standing": { "completedOn": "2021-05-10" } }])
        );
        // Out of hours cover was complete before; the enforcement policy went overdue on 1 March
        // and was extended on 10 March: overdue at neither end of the window.
        assert_eq!(c["newlyOverdueCount"], 0);
        assert_eq!(c["dueDateChangeCount"], 1);
        assert_eq!(c["dueDateChanges"][0]["reason"], "Policy review");
        assert_eq!(c["updateCount"], 2, "the March and May updates");
        // Over the first month, the enforcement policy became overdue.
        let resp = app
            .gql(
                Some(&people.viewer),
                query,
                json!({ "id": p.review, "from": "2021-02-01", "to": "2021-03-05" }),
            )
            .await;
        let c = &resp.data()["review"]["changes"];
        assert_eq!(
            c["newlyOverdue"],
            json!([{ "title": "Enforcement policy" }])
        );
        assert_eq!(
            c["completed"],
            json!([{ "title": "Out of hours cover", "standing": { "completedOn": "2021-02-20" } }])
        );
        // The same across the organisation.
        let org = app
        .gql(
            Some(&people.viewer),
            "query($id: ID!) { organisation(id: $id) { changes(from: \"2021-02-01\", to: \"2021-03-05\") { newlyOverdueCount completedCount } } }",
            json!({ "id": people_org(&app, &people.viewer).await }),
        )
        .await;
        assert_eq!(
            org.data()["organisation"]["changes"],
            json!({ "newlyOverdueCount": 1, "completedCount": 1 })
        );
        // The window must run forwards.
        let resp = app
            .gql(
                Some(&people.viewer),
                query,
                json!({ "id": p.review, "from": "2021-05-31", "to": "2021-05-31" }),
            )
            .await;
        assert_eq!(resp.error("BAD_USER_INPUT")["extensions"]["field"], "from");
    }
);

async fn people_org(app: &TestApp, tok: &str) -> String {
    let resp = app
        .gql(Some(tok), "{ me { organisation { id } } }", json!({}))
        .await;
    resp.data()["me"]["organisation"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

const ORG_PROGRESS: &str = r#"query($id: ID!) {
    organisation(id: $id) {
        progress(asOf: "2021-11-30") { recommendationsTotal green amber red }
        changes(from: "2021-01-01", to: "2021-11-30") { completedCount }
    }
}"#;

api_test!(panels_and_partners_read_summaries_as_shared, |app| {
    let (w, people) = setup(&app).await;
    plan(&app, &people).await;
    let expected = json!({ "recommendationsTotal": 3, "green": 3, "amber": 1, "red": 0 });
    let own = app
        .gql(
            Some(&people.viewer),
            ORG_PROGRESS,
            json!({ "id": w.council_a }),
        )
        .await;
    assert_eq!(own.data()["organisation"]["progress"], expected);

    // The panel reads council_a's RAG summary, though council_a shares no detail...
    let lead = token(&w.panel, Role::Viewer);
    let resp = app
        .gql(Some(&lead), ORG_PROGRESS, json!({ "id": w.council_a }))
        .await;
    assert_eq!(resp.data()["organisation"]["progress"], expected);
    // ...but none of its actions, so no changes either.
    assert_eq!(resp.data()["organisation"]["changes"]["completedCount"], 0);
    let list = app
        .gql(Some(&lead), "{ actions { totalCount } }", json!({}))
        .await;
    assert_eq!(list.data()["actions"]["totalCount"], 0);

    // The partner reads the summary of an organisation that shares by name, never its actions.
    let analyst = token(&w.partner, Role::Viewer);
    let resp = app
        .gql(Some(&analyst), ORG_PROGRESS, json!({ "id": w.council_a }))
        .await;
    assert_eq!(resp.data()["organisation"]["progress"], expected);
    assert_eq!(resp.data()["organisation"]["changes"]["completedCount"], 0);
    let list = app
        .gql(
            Some(&analyst),
            "{ actions { totalCount } reviews { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(list.data()["actions"]["totalCount"], 0);
    assert_eq!(list.data()["reviews"]["totalCount"], 0);

    // Once council_a shares detail with its panels, the panel reads its actions too.
    ok(
        &app,
        &people.manager,
        crate::world::SHARING,
        json!({ "input": { "version": 2, "panelDetail": true } }),
        &["updateSharingSettings"],
    )
    .await;
    let list = app
        .gql(Some(&lead), "{ actions { totalCount } }", json!({}))
        .await;
    assert_eq!(list.data()["actions"]["totalCount"], 4);
    // Partners still never see actions.
    let list = app
        .gql(Some(&analyst), "{ actions { totalCount } }", json!({}))
        .await;
    assert_eq!(list.data()["actions"]["totalCount"], 0);

    // An organisation that shares only in aggregate is not summarised by name, nor is a
    // stranger's; the platform admin reads no tenant content.
    for (tok, org) in [
        (analyst.clone(), &w.council_b),
        (token(&w.council_b, Role::Manager), &w.council_a),
        (w.admin.clone(), &w.council_a),
    ] {
        let resp = app
            .gql(
                Some(&tok),
                "query($id: ID!) { organisation(id: $id) { progress { green } } }",
                json!({ "id": org }),
            )
            .await;
        let progress = resp.body["data"]["organisation"]["progress"].clone();
        assert!(progress.is_null(), "{}", resp.body);
    }
});

api_test!(
    a_panel_compares_its_members_in_the_same_number_of_statements_at_any_size,
    |app| {
        let operator = app.bootstrap_operator("ops", "Operations").await;
        let admin = token(&operator, Role::PlatformAdmin);
        let panel =
            crate::world::create_org(&app, &admin, "big-panel", "Big Panel", "REGIONAL_PANEL")
                .await;
        for i in 0..30 {
            let org = crate::world::create_org(
                &app,
                &admin,
                &format!("borough-{i:02}"),
                &format!("Borough {i:02}"),
                "COUNCIL",
            )
            .await;
            app.gql(
                Some(&admin),
                crate::world::ADD_MEMBER,
                json!({ "panel": panel, "member": org }),
            )
            .await
            .data();
            let m = token(&org, Role::Manager);
            let rid = review(&app, &m, "Peer review").await;
            let rec = recommendation(&app, &m, &rid, "R1").await;
            // Every borough has one action, overdue since 2021.
            action(&app, &m, &rec, "Act", "2021-01-29", "2021-06-30").await;
        }
        let lead = token(&panel, Role::Viewer);
        // The lead is recorded, and its own organisation remembered, before counting.
        app.gql(
            Some(&lead),
            "{ me { role organisation { id } } }",
            json!({}),
        )
        .await
        .data();
        let query = r#"query($first: Int) { me { organisation { members(first: $first) {
        nodes { name progress { red amber green } before: progress(asOf: "2021-03-01") { amber } }
    } } } }"#;
        let mut costs = Vec::new();
        for first in [5, 30] {
            let before = app.statements();
            let resp = app.gql(Some(&lead), query, json!({ "first": first })).await;
            let nodes = resp.data()["me"]["organisation"]["members"]["nodes"]
                .as_array()
                .unwrap()
                .clone();
            assert_eq!(nodes.len(), first);
            for node in &nodes {
                assert_eq!(
                    node["progress"],
                    json!({ "red": 1, "amber": 0, "green": 0 })
                );
                assert_eq!(node["before"], json!({ "amber": 1 }));
            }
            costs.push(app.statements() - before);
        }
        eprintln!("statements for 5 and 30 members: {costs:?}");
        assert_eq!(
            costs[0], costs[1],
            "statements for 5 and 30 members: {costs:?}"
        );
    }
);

/// `tok`'s reading of `org`'s actions today as (total, green, amber, red), and the statements
/// the request took.
async fn today(app: &TestApp, tok: &str, org: &str) -> ((i64, i64, i64, i64), u64) {
    let before = app.statements();
    let resp = app
        .gql(
            Some(tok),
            "query($id: ID!) { organisation(id: $id) { progress { actionsTotal green amber red } } }",
            json!({ "id": org }),
        )
        .await;
    let cost = app.statements() - before;
    let p = &resp.data()["organisation"]["progress"];
    let n = |f: &str| p[f].as_i64().unwrap();
    ((n("actionsTotal"), n("green"), n("amber"), n("red")), cost)
}

api_test!(
    an_organisations_counts_are_remembered_until_its_actions_change,
    |app| {
        let (w, people) = setup(&app).await;
        let m = &people.manager;
        let lead = token(&w.panel, Role::Viewer);
        let (counts, _) = today(&app, &lead, &w.council_a).await;
        assert_eq!(counts, (0, 0, 0, 0));

        let rid = review(&app, m, "Business continuity scrutiny review").await;
        let rec = recommendation(&app, m, &rid, "R1").await;
        let later = action(
            &app,
            m,
            &rec,
            "Exercise the plan",
            "2021-02-01",
            "2099-12-31",
        )
        .await;
        let (counts, counted) = today(&app, &lead, &w.council_a).await;
        assert_eq!(counts, (1, 0, 1, 0));
        // Asked again with nothing changed: the same figures, without counting again.
        let (counts, remembered) = today(&app, &lead, &w.council_a).await;
        assert_eq!(counts, (1, 0, 1, 0));
        assert!(
            remembered < counted,
            "remembered figures cost {remembered} statements, counting {counted}"
        );
        // The organisation's own reading is the same.
        assert_eq!(today(&app, m, &w.council_a).await.0, (1, 0, 1, 0));

        // Another organisation's change leaves these figures as they were.
        let other = People::of(&w.council_b);
        let other_review = review(&app, &other.manager, "Flood plan review").await;
        let other_rec = recommendation(&app, &other.manager, &other_review, "F1").await;
        action(
            &app,
            &other.manager,
            &other_rec,
            "Sandbags",
            "2021-02-01",
            "2021-03-01",
        )
        .await;
        assert_eq!(today(&app, &lead, &w.council_a).await.0, (1, 0, 1, 0));

        // An overdue action, then a progress update completing the other: counted at once.
        action(
            &app,
            m,
            &rec,
            "Train the loggists",
            "2021-02-01",
            "2021-06-30",
        )
        .await;
        assert_eq!(today(&app, &lead, &w.council_a).await.0, (2, 0, 1, 1));
        update(&app, m, &later, "2021-09-01", Some("COMPLETE")).await;
        assert_eq!(today(&app, &lead, &w.council_a).await.0, (2, 1, 0, 1));
    }
);

/// Which handle of a request a statement runs on.
#[derive(Clone, Copy, Debug)]
enum Via {
    Request,
    Summary,
    HashedSummary,
}

/// The summary purpose and the planner's `enable_sort` as a statement run `via` one of
/// `request`'s handles sees them.
async fn seen(request: &resilience_hub::db::RequestDb, via: Via) -> (String, String) {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let settings = Statement::from_string(
        DbBackend::Postgres,
        "SELECT current_setting('hub.purpose', true) AS purpose, \
         current_setting('enable_sort') AS sort",
    );
    let row = match via {
        Via::Request => request.query_one_raw(settings).await,
        Via::Summary => request.for_summary().query_one_raw(settings).await,
        Via::HashedSummary => request.for_hashed_summary().query_one_raw(settings).await,
    };
    let row = row.unwrap().expect("a row");
    (
        row.try_get::<Option<String>>("", "purpose")
            .unwrap()
            .unwrap_or_default(),
        row.try_get("", "sort").unwrap(),
    )
}

api_test!(
    a_summary_grouped_by_hashing_leaves_no_setting_behind,
    |app| {
        use sea_orm::{ConnectionTrait, DbBackend};
        let db = app.service_database();
        // SQLite has neither the purpose nor the planner's settings.
        if db.conn().get_database_backend() == DbBackend::Postgres {
            let none = || (String::new(), "on".to_owned());
            let summary = || ("summary".to_owned(), "on".to_owned());
            let hashed = || ("summary".to_owned(), "off".to_owned());
            let request = db.begin_request(false, 0).await.unwrap();
            // Each statement sees its own handle's settings, whatever ran before it: the
            // next statement after a summary, a summary or not, sees none of the last's.
            for (via, expected) in [
                (Via::HashedSummary, hashed()),
                (Via::Request, none()),
                (Via::Summary, summary()),
                (Via::HashedSummary, hashed()),
                (Via::Summary, summary()),
            ] {
                assert_eq!(seen(&request, via).await, expected, "{via:?}");
            }
            // A read-only request's summaries in a row share one setting, and its last leaves
            // the reset to the commit: one statement for the second summary, not three.
            let before = request.tally().statements();
            assert_eq!(seen(&request, Via::Summary).await, summary());
            assert_eq!(request.tally().statements() - before, 1);
            assert_eq!(seen(&request, Via::Request).await, none());
            request.finish().await.unwrap();

            // A request that writes resets them straight after each summary: its mutations'
            // savepoints run statements that this handle never sees.
            let request = db.begin_request(true, 0).await.unwrap();
            let savepoint = request.savepoint().await.unwrap();
            assert_eq!(seen(&request, Via::HashedSummary).await, hashed());
            let inside = savepoint
                .query_one_raw(sea_orm::Statement::from_string(
                    DbBackend::Postgres,
                    "SELECT current_setting('hub.purpose', true) AS purpose, \
                     current_setting('enable_sort') AS sort",
                ))
                .await
                .unwrap()
                .expect("a row");
            let purpose: Option<String> = inside.try_get("", "purpose").unwrap();
            let sort: String = inside.try_get("", "sort").unwrap();
            assert_eq!((purpose.unwrap_or_default(), sort), none());
            savepoint.commit().await.unwrap();
            request.abandon().await;
        }
    }
);
