//! Reviews and recommendations: managers record and change them; nobody else's are reachable.

use resilience_hub::auth::Role;
use serde_json::json;

use crate::helpers::{Claims, api_test, token};
use crate::plan::{
    ADD_RECOMMENDATION, CREATE_REVIEW, UPDATE_RECOMMENDATION, UPDATE_REVIEW, id, ok,
    recommendation, review, setup,
};

const REVIEW: &str = r#"query($id: ID!) {
    review(id: $id) {
        id title kind status reviewer reviewerOrganisation { id } commissionedOn reportedOn
        summary sourceUrl version organisation { id }
        judgements { area grade }
        recommendations { reference kind text status }
    }
}"#;

api_test!(a_manager_records_changes_and_closes_a_review, |app| {
    let (w, people) = setup(&app).await;
    let created = ok(
        &app,
        &people.manager,
        CREATE_REVIEW,
        json!({ "input": {
            "kind": "INSPECTION", "title": "HMICFRS inspection 2021", "reviewer": "HMICFRS",
            "reviewerOrganisationId": w.panel, "reportedOn": "2021-06-29",
            "summary": "Cause of concern on prevention.\nPlan by 31 August.",
            "sourceUrl": "https://example.org/report.pdf",
            "judgements": [
                { "area": "Preventing fires and other risks", "grade": "INADEQUATE" },
                { "area": "Protecting the public through fire regulation", "grade": "GOOD" }
            ]
        } }),
        &["createReview", "review"],
    )
    .await;
    assert_eq!(created["status"], "REPORTED", "the default status");
    assert_eq!(created["version"], 1);
    let rid = id(&created);

    let read = app
        .gql(Some(&people.viewer), REVIEW, json!({ "id": rid }))
        .await;
    let r = &read.data()["review"];
    assert_eq!(
        r["organisation"]["id"],
        json!(w.council_a),
        "owned by the reviewed"
    );
    assert_eq!(
        r["judgements"][0],
        json!({ "area": "Preventing fires and other risks", "grade": "INADEQUATE" })
    );
    assert_eq!(
        r["reviewerOrganisation"],
        json!({ "id": w.panel }),
        "council_a's panel is in its directory"
    );
    assert_eq!(r["reviewer"], "HMICFRS");

    let updated = ok(
        &app,
        &people.manager,
        UPDATE_REVIEW,
        json!({ "input": { "id": rid, "version": 1, "status": "CLOSED", "summary": null,
                           "judgements": [{ "area": "Overall", "grade": "ADEQUATE" }] } }),
        &["updateReview", "review"],
    )
    .await;
    assert_eq!(updated["status"], "CLOSED");
    assert_eq!(updated["version"], 2);
    assert_eq!(
        updated["judgements"],
        json!([{ "area": "Overall", "grade": "ADEQUATE" }])
    );
    let read = app
        .gql(Some(&people.viewer), REVIEW, json!({ "id": rid }))
        .await;
    assert_eq!(read.data()["review"]["summary"], json!(null));

    // The trail keeps both images.
    let trail = app
        .gql(
            Some(&people.manager),
            "query($id: ID) { auditEvents(entityId: $id) { nodes { entityType operation before after } } }",
            json!({ "id": rid }),
        )
        .await;
    let events = trail.data()["auditEvents"]["nodes"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["entityType"], "REVIEW");
    assert_eq!(events[0]["before"]["status"], "REPORTED");
    assert_eq!(events[0]["after"]["status"], "CLOSED");
    assert_eq!(
        events[0]["before"]["judgements"].as_array().unwrap().len(),
        2
    );
});

api_test!(
    only_managers_record_or_change_reviews_and_recommendations,
    |app| {
        let (_w, people) = setup(&app).await;
        let rid = review(&app, &people.manager, "Peer review").await;
        let rec = recommendation(&app, &people.manager, &rid, "R1").await;
        let before = app.snapshot().await;
        for tok in [&people.viewer, &people.contributor] {
            let resp = app
                .gql(
                    Some(tok),
                    CREATE_REVIEW,
                    json!({ "input": { "kind": "PEER_REVIEW", "title": "X" } }),
                )
                .await;
            resp.error("FORBIDDEN");
            app.gql(
                Some(tok),
                UPDATE_REVIEW,
                json!({ "input": { "id": rid, "version": 1, "title": "Y" } }),
            )
            .await
            .error("FORBIDDEN");
            app.gql(
                Some(tok),
                ADD_RECOMMENDATION,
                json!({ "input": { "reviewId": rid, "reference": "R9", "text": "T" } }),
            )
            .await
            .error("FORBIDDEN");
            app.gql(
                Some(tok),
                UPDATE_RECOMMENDATION,
                json!({ "input": { "id": rec, "version": 1, "text": "T" } }),
            )
            .await
            .error("FORBIDDEN");
        }
        assert_eq!(app.snapshot().await, before);
    }
);

api_test!(
    another_organisation_can_neither_read_nor_change_them,
    |app| {
        let (w, people) = setup(&app).await;
        let rid = review(&app, &people.manager, "Peer review").await;
        let rec = recommendation(&app, &people.manager, &rid, "R1").await;
        let before = app.snapshot().await;
        // council_b, the panel of council_a (which does not share detail), the partner that
        // council_a names itself to, and the platform admin.
        for tok in [
            token(&w.council_b, Role::Manager),
            token(&w.panel, Role::Manager),
            token(&w.partner, Role::Manager),
            w.admin.clone(),
        ] {
            app.gql(Some(&tok), REVIEW, json!({ "id": rid }))
                .await
                .error("NOT_FOUND");
            app.gql(
                Some(&tok),
                "query($id: ID!) { recommendation(id: $id) { id } }",
                json!({ "id": rec }),
            )
            .await
            .error("NOT_FOUND");
            for node in [&rid, &rec] {
                app.gql(
                    Some(&tok),
                    "query($id: ID!) { node(id: $id) { id } }",
                    json!({ "id": node }),
                )
                .await
                .error("NOT_FOUND");
            }
            let list = app
                .gql(Some(&tok), "{ reviews { totalCount } }", json!({}))
                .await;
            assert_eq!(list.data()["reviews"]["totalCount"], 0);
            app.gql(
                Some(&tok),
                UPDATE_REVIEW,
                json!({ "input": { "id": rid, "version": 1, "title": "Taken" } }),
            )
            .await
            .error("NOT_FOUND");
            app.gql(
                Some(&tok),
                ADD_RECOMMENDATION,
                json!({ "input": { "reviewId": rid, "reference": "R9", "text": "T" } }),
            )
            .await
            .error("NOT_FOUND");
            app.gql(
                Some(&tok),
                UPDATE_RECOMMENDATION,
                json!({ "input": { "id": rec, "version": 1, "status": "DISCHARGED" } }),
            )
            .await
            .error("NOT_FOUND");
        }
        assert_eq!(app.snapshot().await, before, "nothing changed");
    }
);

api_test!(
    a_panel_reads_the_reviews_of_members_that_share_detail,
    |app| {
        let (w, people) = setup(&app).await;
        let rid = review(&app, &people.manager, "Peer review").await;
        let lead = token(&w.panel, Role::Viewer);
        app.gql(Some(&lead), REVIEW, json!({ "id": rid }))
            .await
            .error("NOT_FOUND");
        ok(
            &app,
            &people.manager,
            crate::world::SHARING,
            json!({ "input": { "version": 2, "panelDetail": true } }),
            &["updateSharingSettings"],
        )
        .await;
        let resp = app.gql(Some(&lead), REVIEW, json!({ "id": rid })).await;
        assert_eq!(resp.data()["review"]["title"], "Peer review");
        // Reading is not changing.
        app.gql(
            Some(&token(&w.panel, Role::Manager)),
            UPDATE_REVIEW,
            json!({ "input": { "id": rid, "version": 1, "title": "Ours" } }),
        )
        .await
        .error("NOT_FOUND");
        // A panel council_a is not in sees nothing.
        let other = token(&w.other_panel, Role::Viewer);
        app.gql(Some(&other), REVIEW, json!({ "id": rid }))
            .await
            .error("NOT_FOUND");
    }
);

api_test!(bad_review_input_is_refused_naming_the_field, |app| {
    let (_w, people) = setup(&app).await;
    let before = app.snapshot().await;
    let base = json!({ "kind": "PEER_REVIEW", "title": "T" });
    let with = |patch: serde_json::Value| {
        let mut v = base.clone();
        for (k, val) in patch.as_object().unwrap() {
            v[k] = val.clone();
        }
        json!({ "input": v })
    };
    let cases = [
        (with(json!({ "title": "  " })), "input.title"),
        (with(json!({ "title": "t".repeat(301) })), "input.title"),
        (
            with(json!({ "sourceUrl": "javascript:alert(1)" })),
            "input.sourceUrl",
        ),
        (
            with(json!({ "commissionedOn": "2021-02-01", "reportedOn": "2021-01-01" })),
            "input.reportedOn",
        ),
        (
            with(json!({ "reportedOn": "2021-02-30" })),
            "input.reportedOn",
        ),
        (
            with(json!({ "reportedOn": "30/11/2021" })),
            "input.reportedOn",
        ),
        (with(json!({ "kind": "GUESSWORK" })), "input.kind"),
        (
            with(json!({ "reviewerOrganisationId": "org_0193a6f0c1d27c3a9f0e4b5a6c7d8e9f" })),
            "input.reviewerOrganisationId",
        ),
        (
            with(json!({ "judgements": [{ "area": "", "grade": "GOOD" }] })),
            "input.judgements.0.area",
        ),
        (
            with(
                json!({ "judgements": (0..51).map(|i| json!({ "area": format!("A{i}"), "grade": "GOOD" })).collect::<Vec<_>>() }),
            ),
            "input.judgements",
        ),
        (
            with(json!({ "summary": "s".repeat(10_001) })),
            "input.summary",
        ),
    ];
    for (input, field) in cases {
        let resp = app
            .gql(Some(&people.manager), CREATE_REVIEW, input.clone())
            .await;
        assert_eq!(
            resp.error("BAD_USER_INPUT")["extensions"]["field"],
            field,
            "{input}"
        );
    }
    assert_eq!(app.snapshot().await, before, "no partial write");
});

api_test!(a_stale_review_version_is_a_conflict, |app| {
    let (_w, people) = setup(&app).await;
    let rid = review(&app, &people.manager, "Peer review").await;
    ok(
        &app,
        &people.manager,
        UPDATE_REVIEW,
        json!({ "input": { "id": rid, "version": 1, "title": "First" } }),
        &["updateReview"],
    )
    .await;
    let before = app.snapshot().await;
    app.gql(
        Some(&people.manager),
        UPDATE_REVIEW,
        json!({ "input": { "id": rid, "version": 1, "title": "Second" } }),
    )
    .await
    .error("CONFLICT");
    assert_eq!(app.snapshot().await, before);
    let resp = app
        .gql(Some(&people.manager), REVIEW, json!({ "id": rid }))
        .await;
    assert_eq!(resp.data()["review"]["title"], "First");
});

api_test!(
    recommendations_keep_unique_references_and_record_their_discharge,
    |app| {
        let (_w, people) = setup(&app).await;
        let rid = review(&app, &people.manager, "Peer review").await;
        let r1 = recommendation(&app, &people.manager, &rid, "R1").await;
        recommendation(&app, &people.manager, &rid, "R2").await;
        let resp = app
            .gql(
                Some(&people.manager),
                ADD_RECOMMENDATION,
                json!({ "input": { "reviewId": rid, "reference": "R1", "text": "Again" } }),
            )
            .await;
        assert_eq!(
            resp.error("BAD_USER_INPUT")["extensions"]["field"],
            "input.reference"
        );
        // A reference is unique within its review only.
        let other = review(&app, &people.manager, "Another").await;
        recommendation(&app, &people.manager, &other, "R1").await;

        let mut claims = Claims::new(&people_org(&app, &people.manager).await, Role::Manager);
        claims.name = Some("Moira Bruin".into());
        let named = claims.sign();
        let rec = ok(
        &app,
        &named,
        UPDATE_RECOMMENDATION,
        json!({ "input": { "id": r1, "version": 1, "status": "DISCHARGED", "statusOn": "2021-10-18" } }),
        &["updateRecommendation", "recommendation"],
    )
    .await;
        assert_eq!(rec["status"], "DISCHARGED");
        assert_eq!(rec["dischargedOn"], "2021-10-18");
        assert_eq!(rec["dischargedBy"]["displayName"], "Moira Bruin");

        // The history reads in order: a status slipped in before the latest is a correction,
        // which needs its reason.
        let resp = app
        .gql(Some(&people.manager), UPDATE_RECOMMENDATION, json!({ "input": { "id": r1, "version": 2, "status": "OPEN", "statusOn": "2021-10-01" } }))
        .await;
        assert_eq!(
            resp.error("BAD_USER_INPUT")["extensions"]["field"],
            "input.correctionReason"
        );
        let resp = app
        .gql(Some(&people.manager), UPDATE_RECOMMENDATION, json!({ "input": { "id": r1, "version": 2, "status": "OPEN", "statusOn": "2099-01-01" } }))
        .await;
        assert_eq!(
            resp.error("BAD_USER_INPUT")["extensions"]["field"],
            "input.statusOn"
        );
        let resp = app
            .gql(
                Some(&people.manager),
                UPDATE_RECOMMENDATION,
                json!({ "input": { "id": r1, "version": 2, "statusOn": "2021-11-01" } }),
            )
            .await;
        assert_eq!(
            resp.error("BAD_USER_INPUT")["extensions"]["field"],
            "input.statusOn"
        );
        // A stale version is a conflict, and changes nothing.
        let before = app.snapshot().await;
        app.gql(
            Some(&people.manager),
            UPDATE_RECOMMENDATION,
            json!({ "input": { "id": r1, "version": 1, "text": "Stale" } }),
        )
        .await
        .error("CONFLICT");
        assert_eq!(app.snapshot().await, before);
        // Reopening clears the discharge.
        let rec = ok(
            &app,
            &people.manager,
            UPDATE_RECOMMENDATION,
            json!({ "input": { "id": r1, "version": 2, "status": "IN_PROGRESS" } }),
            &["updateRecommendation", "recommendation"],
        )
        .await;
        assert_eq!(rec["dischargedOn"], json!(null));
        assert_eq!(rec["dischargedBy"], json!(null));
    }
);

/// The organisation id a token names (through `me`).
async fn people_org(app: &crate::helpers::TestApp, tok: &str) -> String {
    let resp = app
        .gql(Some(tok), "{ me { organisation { id } } }", json!({}))
        .await;
    resp.data()["me"]["organisation"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

api_test!(reviews_list_and_filter_and_page, |app| {
    let (w, people) = setup(&app).await;
    for i in 0..5 {
        review(&app, &people.manager, &format!("Review {i}")).await;
    }
    ok(
        &app,
        &people.manager,
        CREATE_REVIEW,
        json!({ "input": { "kind": "INCIDENT_DEBRIEF", "title": "Floods debrief", "status": "IN_PROGRESS" } }),
        &["createReview"],
    )
    .await;
    let list = "query($f: ReviewFilterInput, $first: Int, $after: String) { reviews(filter: $f, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { title } } }";
    let resp = app
        .gql(
            Some(&people.viewer),
            list,
            json!({ "f": { "kind": "INCIDENT_DEBRIEF" } }),
        )
        .await;
    assert_eq!(
        resp.data()["reviews"]["nodes"],
        json!([{ "title": "Floods debrief" }])
    );
    let resp = app
        .gql(
            Some(&people.viewer),
            list,
            json!({ "f": { "status": "REPORTED" } }),
        )
        .await;
    assert_eq!(resp.data()["reviews"]["totalCount"], 5);
    let resp = app
        .gql(
            Some(&people.viewer),
            list,
            json!({ "f": { "organisationId": w.council_b } }),
        )
        .await;
    assert_eq!(
        resp.data()["reviews"]["totalCount"],
        0,
        "narrowing never widens"
    );
    // Newest first, in pages.
    let first = app
        .gql(Some(&people.viewer), list, json!({ "first": 4 }))
        .await;
    let conn = &first.data()["reviews"];
    assert_eq!(conn["nodes"][0]["title"], "Floods debrief");
    assert_eq!(conn["pageInfo"]["hasNextPage"], true);
    let rest = app
        .gql(
            Some(&people.viewer),
            list,
            json!({ "first": 4, "after": conn["pageInfo"]["endCursor"] }),
        )
        .await;
    let titles: Vec<&str> = rest.data()["reviews"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, vec!["Review 1", "Review 0"]);
});
