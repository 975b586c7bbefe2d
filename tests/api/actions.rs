//! Actions: roles, delivery-date changes, validation, and RAG as it stood on any day.

use resilience_hub::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{api_test, token};
use crate::plan::{
    ATTACH, CHANGE_DUE, CREATE_ACTION, UPDATE_ACTION, action, ok, recommendation, review, setup,
    standing, update, version,
};

api_test!(rag_follows_the_rules_at_the_boundary_dates, |app| {
    let (_w, people) = setup(&app).await;
    let rid = review(&app, &people.manager, "Peer review").await;
    let rec = recommendation(&app, &people.manager, &rid, "R1").await;
    let a = action(
        &app,
        &people.manager,
        &rec,
        "Establish an out of hours system",
        "2021-01-29",
        "2021-03-31",
    )
    .await;
    let m = &people.manager;

    // Before it was agreed, it has no standing.
    assert_eq!(standing(&app, m, &a, "2021-01-28").await, json!(null));
    // On its delivery date it is still AMBER; the day after, RED.
    assert_eq!(standing(&app, m, &a, "2021-03-31").await["rag"], "AMBER");
    assert_eq!(standing(&app, m, &a, "2021-04-01").await["rag"], "RED");

    // An extension made after the date had passed: RED until it was made, AMBER from then.
    let v = version(&app, m, &a).await;
    let change = ok(
        &app,
        m,
        CHANGE_DUE,
        json!({ "input": { "id": a, "version": v, "newDueOn": "2021-06-30", "reason": "Rota consultation ran late", "effectiveOn": "2021-04-15" } }),
        &["changeActionDueDate"],
    )
    .await;
    assert_eq!(change["action"]["dueOn"], "2021-06-30");
    assert_eq!(
        change["action"]["originalDueOn"], "2021-03-31",
        "the original date stays visible"
    );
    assert_eq!(change["dueDateChange"]["previousDueOn"], "2021-03-31");
    let before_ext = standing(&app, m, &a, "2021-04-14").await;
    assert_eq!(
        (before_ext["rag"].clone(), before_ext["dueOn"].clone()),
        (json!("RED"), json!("2021-03-31"))
    );
    let after_ext = standing(&app, m, &a, "2021-04-15").await;
    assert_eq!(
        (after_ext["rag"].clone(), after_ext["dueOn"].clone()),
        (json!("AMBER"), json!("2021-06-30"))
    );

    // The change is kept with the action, whoever reads it later.
    let resp = app
        .gql(
            Some(&people.viewer),
            "query($id: ID!) { action(id: $id) { dueDateChanges { previousDueOn newDueOn reason effectiveOn } } }",
            json!({ "id": a }),
        )
        .await;
    assert_eq!(
        resp.data()["action"]["dueDateChanges"],
        json!([{ "previousDueOn": "2021-03-31", "newDueOn": "2021-06-30", "reason": "Rota consultation ran late", "effectiveOn": "2021-04-15" }])
    );
    // A completion dated before the day asked about is GREEN from its date on.
    update(
        &app,
        &people.contributor,
        &a,
        "2021-06-20",
        Some("COMPLETE"),
    )
    .await;
    assert_eq!(standing(&app, m, &a, "2021-06-19").await["rag"], "AMBER");
    let done = standing(&app, m, &a, "2021-06-20").await;
    assert_eq!(
        (done["rag"].clone(), done["completedOn"].clone()),
        (json!("GREEN"), json!("2021-06-20"))
    );
    assert_eq!(standing(&app, m, &a, "2021-12-31").await["rag"], "GREEN");
    // Today too, and `rag` without a date means today.
    let resp = app
        .gql(
            Some(m),
            "query($id: ID!) { action(id: $id) { rag status completedOn } }",
            json!({ "id": a }),
        )
        .await;
    assert_eq!(
        resp.data()["action"],
        json!({ "rag": "GREEN", "status": "COMPLETE", "completedOn": "2021-06-20" })
    );
});

api_test!(
    a_withdrawn_action_has_no_rag_and_is_left_out_of_summaries,
    |app| {
        let (_w, people) = setup(&app).await;
        let rid = review(&app, &people.manager, "Peer review").await;
        let rec = recommendation(&app, &people.manager, &rid, "R1").await;
        let a = action(
            &app,
            &people.manager,
            &rec,
            "Withdrawn one",
            "2021-01-29",
            "2021-02-28",
        )
        .await;
        action(
            &app,
            &people.manager,
            &rec,
            "Kept one",
            "2021-01-29",
            "2021-02-28",
        )
        .await;
        let v = version(&app, &people.manager, &a).await;
        let resp = ok(
            &app,
            &people.contributor,
            UPDATE_ACTION,
            json!({ "input": { "id": a, "version": v, "status": "WITHDRAWN" } }),
            &["updateAction", "action"],
        )
        .await;
        assert_eq!(resp["status"], "WITHDRAWN");
        let today = standing(
            &app,
            &people.manager,
            &a,
            &chrono::Utc::now().date_naive().to_string(),
        )
        .await;
        assert_eq!(today["rag"], json!(null));
        let resp = app
        .gql(
            Some(&people.viewer),
            "query($id: ID!) { review(id: $id) { progress { actionsTotal red withdrawn percentComplete } } }",
            json!({ "id": rid }),
        )
        .await;
        assert_eq!(
            resp.data()["review"]["progress"],
            json!({ "actionsTotal": 1, "red": 1, "withdrawn": 1, "percentComplete": 0.0 })
        );
    }
);

api_test!(contributors_move_status_and_managers_do_the_rest, |app| {
    let (_w, people) = setup(&app).await;
    let rid = review(&app, &people.manager, "Peer review").await;
    let rec = recommendation(&app, &people.manager, &rid, "R1").await;
    let a = action(
        &app,
        &people.manager,
        &rec,
        "Review the enforcement policy",
        "2021-01-29",
        "2021-02-28",
    )
    .await;
    let before = app.snapshot().await;
    // A contributor may not record actions, rename them or move their dates.
    let create = json!({ "input": { "recommendationId": rec, "title": "T", "owner": "O", "dueOn": "2021-12-31" } });
    app.gql(Some(&people.contributor), CREATE_ACTION, create.clone())
        .await
        .error("FORBIDDEN");
    app.gql(
        Some(&people.contributor),
        UPDATE_ACTION,
        json!({ "input": { "id": a, "version": 1, "title": "Renamed" } }),
    )
    .await
    .error("FORBIDDEN");
    app.gql(
        Some(&people.contributor),
        CHANGE_DUE,
        json!({ "input": { "id": a, "version": 1, "newDueOn": "2022-01-01", "reason": "R" } }),
    )
    .await
    .error("FORBIDDEN");
    // A viewer changes nothing at all.
    app.gql(Some(&people.viewer), CREATE_ACTION, create)
        .await
        .error("FORBIDDEN");
    app.gql(
        Some(&people.viewer),
        UPDATE_ACTION,
        json!({ "input": { "id": a, "version": 1, "status": "IN_PROGRESS" } }),
    )
    .await
    .error("FORBIDDEN");
    app.gql(
        Some(&people.viewer),
        crate::plan::ADD_UPDATE,
        json!({ "input": { "actionId": a, "asAt": "2021-02-01", "narrative": "N" } }),
    )
    .await
    .error("FORBIDDEN");
    app.gql(
        Some(&people.viewer),
        ATTACH,
        json!({ "input": { "actionId": a, "title": "T", "url": "https://example.org" } }),
    )
    .await
    .error("FORBIDDEN");
    assert_eq!(app.snapshot().await, before);

    // The contributor moves the status; the manager renames and names an owner.
    let moved = ok(
        &app,
        &people.contributor,
        UPDATE_ACTION,
        json!({ "input": { "id": a, "version": 1, "status": "IN_PROGRESS" } }),
        &["updateAction", "action"],
    )
    .await;
    assert_eq!(
        (moved["status"].clone(), moved["version"].clone()),
        (json!("IN_PROGRESS"), json!(2))
    );
    let me = app
        .gql(
            Some(&people.contributor),
            "{ me { user { id } } }",
            json!({}),
        )
        .await;
    let contributor_id = me.data()["me"]["user"]["id"].clone();
    let renamed = ok(
        &app,
        &people.manager,
        UPDATE_ACTION,
        json!({ "input": { "id": a, "version": 2, "title": "Review the Enforcement Policy", "owner": "Head of Protection", "ownerUserId": contributor_id } }),
        &["updateAction", "action"],
    )
    .await;
    assert_eq!(renamed["title"], "Review the Enforcement Policy");
    // A stale version is a conflict, and changes nothing.
    let before = app.snapshot().await;
    app.gql(
        Some(&people.manager),
        UPDATE_ACTION,
        json!({ "input": { "id": a, "version": 2, "title": "Lost" } }),
    )
    .await
    .error("CONFLICT");
    app.gql(
        Some(&people.manager),
        CHANGE_DUE,
        json!({ "input": { "id": a, "version": 2, "newDueOn": "2022-01-01", "reason": "R" } }),
    )
    .await
    .error("CONFLICT");
    assert_eq!(app.snapshot().await, before);
});

api_test!(bad_action_input_is_refused_naming_the_field, |app| {
    let (w, people) = setup(&app).await;
    let rid = review(&app, &people.manager, "Peer review").await;
    let rec = recommendation(&app, &people.manager, &rid, "R1").await;
    let a = action(
        &app,
        &people.manager,
        &rec,
        "Act",
        "2021-01-29",
        "2021-03-31",
    )
    .await;
    let other_review = review(&app, &people.manager, "Other").await;
    let outsider = token(&w.council_b, Role::Viewer);
    let outsider_id = app
        .gql(Some(&outsider), "{ me { user { id } } }", json!({}))
        .await
        .data()["me"]["user"]["id"]
        .clone();
    let before = app.snapshot().await;
    let base = json!({ "recommendationId": rec, "title": "T", "owner": "O", "dueOn": "2021-12-31", "openedOn": "2021-01-29" });
    let with = |patch: Value| {
        let mut v = base.clone();
        for (k, val) in patch.as_object().unwrap() {
            v[k] = val.clone();
        }
        json!({ "input": v })
    };
    let cases = [
        (with(json!({ "title": "" })), "input.title"),
        (with(json!({ "owner": "o".repeat(201) })), "input.owner"),
        (with(json!({ "dueOn": "2021-13-01" })), "input.dueOn"),
        (with(json!({ "dueOn": "2021-01-01" })), "input.dueOn"),
        (with(json!({ "openedOn": "2099-01-01" })), "input.openedOn"),
        (with(json!({ "status": "DONE" })), "input.status"),
        (
            with(json!({ "ownerUserId": outsider_id })),
            "input.ownerUserId",
        ),
        (with(json!({ "reviewId": other_review })), "input.reviewId"),
    ];
    for (input, field) in cases {
        let resp = app
            .gql(Some(&people.manager), CREATE_ACTION, input.clone())
            .await;
        assert_eq!(
            resp.error("BAD_USER_INPUT")["extensions"]["field"],
            field,
            "{input}"
        );
    }
    // Delivery-date changes: a reason, a real move, in the past at most, in order.
    let due = |patch: Value| {
        let mut v = json!({ "id": a, "version": 1, "newDueOn": "2021-06-30", "reason": "Slipped" });
        for (k, val) in patch.as_object().unwrap() {
            v[k] = val.clone();
        }
        json!({ "input": v })
    };
    for (input, field) in [
        (due(json!({ "reason": "  " })), "input.reason"),
        (due(json!({ "newDueOn": "2021-03-31" })), "input.newDueOn"),
        (
            due(json!({ "effectiveOn": "2099-01-01" })),
            "input.effectiveOn",
        ),
        (
            due(json!({ "effectiveOn": "2020-12-31" })),
            "input.effectiveOn",
        ),
    ] {
        let resp = app
            .gql(Some(&people.manager), CHANGE_DUE, input.clone())
            .await;
        assert_eq!(
            resp.error("BAD_USER_INPUT")["extensions"]["field"],
            field,
            "{input}"
        );
    }
    // Progress: not in the future, not before the action, a real percentage.
    let upd = |patch: Value| {
        let mut v = json!({ "actionId": a, "asAt": "2021-02-01", "narrative": "N" });
        for (k, val) in patch.as_object().unwrap() {
            v[k] = val.clone();
        }
        json!({ "input": v })
    };
    for (input, field) in [
        (upd(json!({ "asAt": "2099-01-01" })), "input.asAt"),
        (upd(json!({ "asAt": "2021-01-28" })), "input.asAt"),
        (
            upd(json!({ "percentComplete": 101 })),
            "input.percentComplete",
        ),
        (
            upd(json!({ "percentComplete": -1 })),
            "input.percentComplete",
        ),
        (upd(json!({ "narrative": "" })), "input.narrative"),
        (upd(json!({ "newStatus": "FINISHED" })), "input.newStatus"),
    ] {
        let resp = app
            .gql(
                Some(&people.contributor),
                crate::plan::ADD_UPDATE,
                input.clone(),
            )
            .await;
        assert_eq!(
            resp.error("BAD_USER_INPUT")["extensions"]["field"],
            field,
            "{input}"
        );
    }
    for (input, field) in [
        (
            json!({ "input": { "actionId": a, "title": "Plan", "url": "ftp://x" } }),
            "input.url",
        ),
        (
            json!({ "input": { "actionId": a, "title": "Plan" } }),
            "input.url",
        ),
        (
            json!({ "input": { "actionId": a, "title": "", "reference": "Doc 1" } }),
            "input.title",
        ),
    ] {
        let resp = app
            .gql(Some(&people.contributor), ATTACH, input.clone())
            .await;
        assert_eq!(
            resp.error("BAD_USER_INPUT")["extensions"]["field"],
            field,
            "{input}"
        );
    }
    assert_eq!(app.snapshot().await, before, "no partial write");
});

api_test!(
    progress_updates_move_the_status_and_are_append_only,
    |app| {
        let (_w, people) = setup(&app).await;
        let rid = review(&app, &people.manager, "Peer review").await;
        let rec = recommendation(&app, &people.manager, &rid, "R1").await;
        let a = action(
            &app,
            &people.manager,
            &rec,
            "Act",
            "2021-01-29",
            "2021-12-31",
        )
        .await;
        let first = ok(
        &app,
        &people.contributor,
        crate::plan::ADD_UPDATE,
        json!({ "input": { "actionId": a, "asAt": "2021-05-01", "narrative": "Started", "newStatus": "IN_PROGRESS", "percentComplete": 40 } }),
        &["addProgressUpdate"],
    )
    .await;
        assert_eq!(first["action"]["status"], "IN_PROGRESS");
        assert_eq!(first["action"]["percentComplete"], 40);
        assert_eq!(
            first["action"]["version"], 2,
            "an update moves the action's version on"
        );
        // A late-entered update about an earlier day is a correction: a manager's, with a
        // reason, and it does not override the later one today.
        let late = json!({ "input": { "actionId": a, "asAt": "2021-03-01", "narrative": "Late",
            "newStatus": "NOT_STARTED" } });
        let refused = app
            .gql(
                Some(&people.contributor),
                crate::plan::ADD_UPDATE,
                late.clone(),
            )
            .await;
        assert_eq!(refused.codes(), ["FORBIDDEN"]);
        let mut corrected = late;
        corrected["input"]["correctionReason"] = json!("Entered late from the March minutes");
        let second = ok(
            &app,
            &people.manager,
            crate::plan::ADD_UPDATE,
            corrected,
            &["addProgressUpdate"],
        )
        .await;
        assert_eq!(second["action"]["status"], "IN_PROGRESS");
        assert_eq!(
            standing(&app, &people.manager, &a, "2021-03-15").await["status"],
            "NOT_STARTED"
        );
        let attached = ok(
        &app,
        &people.contributor,
        ATTACH,
        json!({ "input": { "actionId": a, "title": "Rota", "url": "https://intranet.example/rota.pdf" } }),
        &["attachEvidence", "evidence"],
    )
    .await;
        assert_eq!(attached["title"], "Rota");
        let resp = app
            .gql(
                Some(&people.viewer),
                r#"query($id: ID!) { action(id: $id) {
                latestUpdate { asAt narrative }
                updates { totalCount nodes { asAt } }
                evidence { title url }
            } }"#,
                json!({ "id": a }),
            )
            .await;
        let action = &resp.data()["action"];
        assert_eq!(action["latestUpdate"]["asAt"], "2021-05-01");
        assert_eq!(
            action["updates"]["nodes"],
            json!([{ "asAt": "2021-05-01" }, { "asAt": "2021-03-01" }])
        );
        assert_eq!(
            action["evidence"][0]["url"],
            "https://intranet.example/rota.pdf"
        );

        // No mutation edits or deletes an update.
        let resp = app
            .gql(
                None,
                r#"{ __type(name: "Mutation") { fields { name } } }"#,
                json!({}),
            )
            .await;
        let names: Vec<String> = resp.data()["__type"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_owned())
            .collect();
        assert!(names.contains(&"addProgressUpdate".to_owned()));
        assert!(
            !names
                .iter()
                .any(|n| (n.contains("ProgressUpdate") || n.contains("Update"))
                    && (n.starts_with("delete")
                        || n.starts_with("remove")
                        || n == "updateProgressUpdate")),
            "{names:?}"
        );
    }
);

api_test!(
    another_organisation_can_neither_read_nor_change_actions,
    |app| {
        let (w, people) = setup(&app).await;
        let rid = review(&app, &people.manager, "Peer review").await;
        let rec = recommendation(&app, &people.manager, &rid, "R1").await;
        let a = action(
            &app,
            &people.manager,
            &rec,
            "Act",
            "2021-01-29",
            "2021-12-31",
        )
        .await;
        let upd = update(&app, &people.contributor, &a, "2021-02-01", None).await;
        let upd_id = upd["update"]["id"].clone();
        let before = app.snapshot().await;
        for tok in [
            token(&w.council_b, Role::Manager),
            token(&w.panel, Role::Manager),
            token(&w.partner, Role::Viewer),
            w.admin.clone(),
        ] {
            app.gql(
                Some(&tok),
                "query($id: ID!) { action(id: $id) { id } }",
                json!({ "id": a }),
            )
            .await
            .error("NOT_FOUND");
            for node in [json!(a), upd_id.clone()] {
                app.gql(
                    Some(&tok),
                    "query($id: ID!) { node(id: $id) { id } }",
                    json!({ "id": node }),
                )
                .await
                .error("NOT_FOUND");
            }
            let list = app
                .gql(Some(&tok), "{ actions { totalCount } }", json!({}))
                .await;
            assert_eq!(list.data()["actions"]["totalCount"], 0);
            app.gql(
                Some(&tok),
                UPDATE_ACTION,
                json!({ "input": { "id": a, "version": 2, "status": "COMPLETE" } }),
            )
            .await
            .error("NOT_FOUND");
            app.gql(Some(&tok), CHANGE_DUE, json!({ "input": { "id": a, "version": 2, "newDueOn": "2030-01-01", "reason": "Ours now" } }))
            .await
            .error("NOT_FOUND");
            app.gql(
                Some(&tok),
                crate::plan::ADD_UPDATE,
                json!({ "input": { "actionId": a, "asAt": "2021-03-01", "narrative": "Hi" } }),
            )
            .await
            .error("NOT_FOUND");
            app.gql(
                Some(&tok),
                ATTACH,
                json!({ "input": { "actionId": a, "title": "T", "url": "https://x.example" } }),
            )
            .await
            .error("NOT_FOUND");
            // Refused, and exactly as for a recommendation nobody has.
            let create = |rec: &str| json!({ "input": { "recommendationId": rec, "title": "T", "owner": "O", "dueOn": "2030-01-01" } });
            let made_up = format!("rec_{}", uuid::Uuid::now_v7().simple());
            let theirs = app.gql(Some(&tok), CREATE_ACTION, create(&rec)).await;
            let none = app.gql(Some(&tok), CREATE_ACTION, create(&made_up)).await;
            assert!(!theirs.codes().is_empty(), "createAction is refused");
            assert_eq!(
                theirs.body.to_string().replace(&rec, "<ID>"),
                none.body.to_string().replace(&made_up, "<ID>")
            );
        }
        assert_eq!(app.snapshot().await, before, "nothing changed");
    }
);

const ACTIONS: &str = r#"query($f: ActionFilterInput, $asOf: Date, $order: ActionOrder, $first: Int, $after: String) {
    actions(filter: $f, asOf: $asOf, orderBy: $order, first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes { title rag standing { dueOn status } }
    }
}"#;

fn titles(resp: &crate::helpers::Gql) -> Vec<String> {
    resp.data()["actions"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap().to_owned())
        .collect()
}

api_test!(action_lists_filter_and_order_as_of_a_day, |app| {
    let (_w, people) = setup(&app).await;
    let m = &people.manager;
    let rid = review(&app, m, "Peer review").await;
    let r1 = recommendation(&app, m, &rid, "R1").await;
    let r2 = recommendation(&app, m, &rid, "R2").await;
    let a = action(&app, m, &r1, "A early", "2021-01-29", "2021-02-28").await;
    action(&app, m, &r1, "B middle", "2021-01-29", "2021-06-30").await;
    let c = action(&app, m, &r2, "C late", "2021-01-29", "2021-12-31").await;
    update(
        &app,
        &people.contributor,
        &c,
        "2021-05-01",
        Some("COMPLETE"),
    )
    .await;
    ok(
        &app,
        m,
        UPDATE_ACTION,
        json!({ "input": { "id": a, "version": 1, "owner": "Corporate Comms" } }),
        &["updateAction"],
    )
    .await;
    let day = "2021-07-01";
    let q = |f: Value, order: &str| json!({ "f": f, "asOf": day, "order": order });

    let all = app
        .gql(Some(&people.viewer), ACTIONS, q(json!({}), "DUE_ON"))
        .await;
    assert_eq!(titles(&all), vec!["A early", "B middle", "C late"]);
    let nodes = &all.data()["actions"]["nodes"];
    assert_eq!(nodes[0]["rag"], "RED", "rag defaults to the list's asOf");
    assert_eq!(nodes[2]["rag"], "GREEN");
    let desc = app
        .gql(Some(&people.viewer), ACTIONS, q(json!({}), "DUE_ON_DESC"))
        .await;
    assert_eq!(titles(&desc), vec!["C late", "B middle", "A early"]);
    let by_title = app
        .gql(Some(&people.viewer), ACTIONS, q(json!({}), "TITLE"))
        .await;
    assert_eq!(titles(&by_title), vec!["A early", "B middle", "C late"]);

    for (filter, expected) in [
        (json!({ "overdue": true }), vec!["A early", "B middle"]),
        (json!({ "overdue": false }), vec!["C late"]),
        (json!({ "rag": "GREEN" }), vec!["C late"]),
        (json!({ "status": "COMPLETE" }), vec!["C late"]),
        (
            json!({ "status": "NOT_STARTED" }),
            vec!["A early", "B middle"],
        ),
        (json!({ "dueBefore": "2021-06-30" }), vec!["A early"]),
        (json!({ "dueAfter": "2021-06-30" }), vec!["C late"]),
        (json!({ "owner": "comms" }), vec!["A early"]),
        (json!({ "recommendationId": r2 }), vec!["C late"]),
        (
            json!({ "reviewId": rid }),
            vec!["A early", "B middle", "C late"],
        ),
    ] {
        let resp = app
            .gql(Some(&people.viewer), ACTIONS, q(filter.clone(), "DUE_ON"))
            .await;
        assert_eq!(titles(&resp), expected, "{filter}");
        assert_eq!(
            resp.data()["actions"]["totalCount"],
            expected.len(),
            "{filter}"
        );
    }
    // Before C was complete, it was not green.
    let resp = app
        .gql(
            Some(&people.viewer),
            ACTIONS,
            json!({ "f": { "rag": "GREEN" }, "asOf": "2021-04-30" }),
        )
        .await;
    assert!(titles(&resp).is_empty());
    // Actions agreed after the day are not in a report of the day.
    let resp = app
        .gql(
            Some(&people.viewer),
            ACTIONS,
            json!({ "asOf": "2021-01-28" }),
        )
        .await;
    assert_eq!(resp.data()["actions"]["totalCount"], 0);

    // Pages follow the order without gaps or repeats.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let resp = app
            .gql(
                Some(&people.viewer),
                ACTIONS,
                json!({ "asOf": day, "first": 2, "after": after }),
            )
            .await;
        seen.extend(titles(&resp));
        let info = &resp.data()["actions"]["pageInfo"];
        if info["hasNextPage"] == json!(false) {
            break;
        }
        after = info["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, vec!["A early", "B middle", "C late"]);
});

api_test!(
    a_page_of_reviews_costs_the_same_statements_at_any_length,
    |app| {
        let (_w, people) = setup(&app).await;
        let m = &people.manager;
        for i in 0..50 {
            let rid = review(&app, m, &format!("Review {i:02}")).await;
            let rec = recommendation(&app, m, &rid, "R1").await;
            let a = action(
                &app,
                m,
                &rec,
                &format!("Action {i:02}"),
                "2021-01-29",
                "2021-12-31",
            )
            .await;
            if i % 2 == 0 {
                update(
                    &app,
                    &people.contributor,
                    &a,
                    "2021-03-01",
                    Some("IN_PROGRESS"),
                )
                .await;
            }
        }
        let query = r#"query($first: Int) {
        reviews(first: $first) {
            nodes {
                title
                progress { red amber green }
                recommendations {
                    reference
                    actions { title rag latestUpdate { narrative author { displayName } } }
                }
            }
        }
    }"#;
        // The viewer's first request records the user: make it before counting.
        app.gql(Some(&people.viewer), "{ me { role } }", json!({}))
            .await
            .data();
        let mut costs = Vec::new();
        for first in [5, 50] {
            let before = app.statements();
            let resp = app
                .gql(Some(&people.viewer), query, json!({ "first": first }))
                .await;
            let nodes = resp.data()["reviews"]["nodes"].as_array().unwrap().clone();
            assert_eq!(nodes.len(), first);
            assert_eq!(
                nodes[0]["recommendations"][0]["actions"]
                    .as_array()
                    .unwrap()
                    .len(),
                1
            );
            costs.push(app.statements() - before);
        }
        eprintln!("statements for pages of 5 and 50 reviews: {costs:?}");
        assert_eq!(
            costs[0], costs[1],
            "statements for 5 and 50 reviews: {costs:?}"
        );
    }
);

/// Everything an action of a page answers as plain data, and every kind of field beneath it.
const PLAIN_FIELDS: &str = "id title detail owner openedOn originalDueOn dueOn status completedOn
    percentComplete version createdAt updatedAt rag __typename
    standing { asOf status dueOn completedOn rag knownAt __typename }
    latestUpdate { id isCorrection correctionReason asAt narrative newStatus percentComplete
        recordedAt __typename }
    dueDateChanges { id isCorrection correctionReason previousDueOn newDueOn reason effectiveOn
        changedAt __typename }
    evidence { id title url reference addedAt __typename }";

/// A review's plan (its progress and first page together: one statement) and the same
/// actions through the organisation's list, each action's fields either listed (`{}`) or
/// through a fragment (`...A`), which the plain path leaves to the resolvers.
fn plan_query(nodes: &str) -> String {
    let fragment = if nodes == "...A" {
        format!("fragment A on Action {{ {PLAIN_FIELDS} }}")
    } else {
        String::new()
    };
    format!(
        r#"query($review: ID!, $org: ID!, $asOf: Date!, $knownAt: DateTime) {{
            review(id: $review) {{
                progress(asOf: $asOf, knownAt: $knownAt) {{ actionsTotal green amber red }}
                actions(asOf: $asOf, knownAt: $knownAt, first: 50) {{
                    totalCount nodes {{ {nodes} }} edges {{ cursor node {{ {nodes} }} }}
                }}
            }}
            actions(filter: {{ organisationId: $org }}, asOf: $asOf, knownAt: $knownAt,
                    orderBy: TITLE, first: 2) {{
                totalCount pageInfo {{ hasNextPage endCursor }} nodes {{ {nodes} }}
            }}
        }}
        {fragment}"#
    )
}

api_test!(
    a_page_of_actions_answers_plainly_what_its_resolvers_answer,
    |app| {
        let (w, people) = setup(&app).await;
        let m = &people.manager;
        let rid = review(&app, m, "Operational assurance peer review").await;
        let rec = recommendation(&app, m, &rid, "R1").await;
        let extended = action(
            &app,
            m,
            &rec,
            "Review the on-call rota",
            "2021-01-29",
            "2021-03-31",
        )
        .await;
        let done = action(
            &app,
            m,
            &rec,
            "Publish the protection plan",
            "2021-01-29",
            "2021-09-30",
        )
        .await;
        action(&app, m, &rec, "Untouched", "2021-02-01", "2021-12-31").await;
        let v = version(&app, m, &extended).await;
        ok(
            &app,
            m,
            CHANGE_DUE,
            json!({ "input": { "id": extended, "version": v, "newDueOn": "2021-06-30",
                "reason": "Consultation ran late", "effectiveOn": "2021-03-15" } }),
            &["changeActionDueDate"],
        )
        .await;
        update(
            &app,
            &people.contributor,
            &extended,
            "2021-05-01",
            Some("IN_PROGRESS"),
        )
        .await;
        ok(
            &app,
            m,
            crate::plan::ADD_UPDATE,
            json!({ "input": { "actionId": extended, "asAt": "2021-04-01",
                "narrative": "Entered late", "percentComplete": 10,
                "correctionReason": "Left out of the April minutes" } }),
            &["addProgressUpdate"],
        )
        .await;
        update(
            &app,
            &people.contributor,
            &done,
            "2021-06-20",
            Some("COMPLETE"),
        )
        .await;
        ok(
            &app,
            &people.contributor,
            ATTACH,
            json!({ "input": { "actionId": done, "title": "Plan", "reference": "PP-2021" } }),
            &["attachEvidence"],
        )
        .await;

        // A moment after every write above, for an answer as known then.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let moment = chrono::Utc::now().to_rfc3339();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;

        let plain = plan_query(PLAIN_FIELDS);
        let resolved = plan_query("...A");
        for (as_of, known_at) in [("2021-07-01", None), ("2021-05-15", Some(moment.as_str()))] {
            let vars =
                json!({ "review": rid, "org": w.council_a, "asOf": as_of, "knownAt": known_at });
            let quick = app.gql(Some(&people.viewer), &plain, vars.clone()).await;
            let slow = app.gql(Some(&people.viewer), &resolved, vars.clone()).await;
            assert_eq!(
                quick.data().to_string(),
                slow.data().to_string(),
                "plain data and resolvers differ as at {as_of}"
            );
            let nodes = &quick.data()["review"]["actions"]["nodes"];
            assert_eq!(nodes.as_array().unwrap().len(), 3, "{nodes}");
            let first = &nodes[0];
            assert_eq!(first["__typename"], "Action");
            assert_eq!(
                first["dueDateChanges"][0]["reason"],
                "Consultation ran late"
            );
            assert_eq!(first["latestUpdate"]["asAt"], "2021-05-01");
            assert_eq!(first["standing"]["knownAt"].is_null(), known_at.is_none());
            assert_eq!(
                quick.data()["actions"]["nodes"].as_array().unwrap().len(),
                2
            );
            if as_of == "2021-07-01" {
                assert_eq!(nodes[1]["standing"]["completedOn"], "2021-06-20");
                assert_eq!(nodes[1]["evidence"][0]["reference"], "PP-2021");
                assert!(nodes[2]["latestUpdate"].is_null(), "{}", nodes[2]);
            }

            // Another organisation's viewer finds neither the review nor its actions, by
            // either path.
            let outsider = token(&w.council_b, Role::Viewer);
            for query in [&plain, &resolved] {
                let resp = app.gql(Some(&outsider), query, vars.clone()).await;
                assert_eq!(resp.codes(), ["NOT_FOUND"], "{}", resp.body);
                assert!(resp.body["data"]["review"].is_null(), "{}", resp.body);
                assert_eq!(
                    resp.body["data"]["actions"]["totalCount"], 0,
                    "{}",
                    resp.body
                );
            }
            let resp = app
                .gql(
                    Some(&outsider),
                    r#"query($org: ID!) { actions(filter: { organisationId: $org }) {
                        totalCount nodes { id title latestUpdate { narrative } } } }"#,
                    json!({ "org": w.council_a }),
                )
                .await;
            assert_eq!(resp.data()["actions"]["totalCount"], 0, "{}", resp.body);
        }
    }
);

const PAGE_BESIDE: &str = r#"
    query($first: Int, $last: Int) {
        actions(orderBy: DUE_ON, first: $first, last: $last) {
            nodes {
                id title dueOn
                recommendation { id reference text status version }
                review { id title status version }
            }
        }
    }"#;

const ONE_BESIDE: &str = r#"
    query($id: ID!) {
        action(id: $id) {
            id title dueOn
            recommendation { id reference text status version }
            review { id title status version }
        }
    }"#;

api_test!(
    a_page_reads_each_actions_recommendation_and_review_in_its_own_statement,
    |app| {
        let (w, people) = setup(&app).await;
        let m = &people.manager;
        let protection = review(&app, m, "Protection peer review").await;
        let prevention = review(&app, m, "Prevention scrutiny review").await;
        let r1 = recommendation(&app, m, &protection, "R1").await;
        let r2 = recommendation(&app, m, &prevention, "R2").await;
        let mut ids = Vec::new();
        for (i, (rec, due)) in [
            (&r1, "2021-03-31"),
            (&r2, "2021-04-30"),
            (&r1, "2021-05-31"),
            (&r2, "2021-06-30"),
        ]
        .into_iter()
        .enumerate()
        {
            ids.push(action(&app, m, rec, &format!("Action {i}"), "2021-01-29", due).await);
        }

        // Each node answers as the action read alone does.
        let page = |first: Option<i64>, last: Option<i64>| {
            let app = &app;
            async move {
                let vars = json!({ "first": first, "last": last });
                app.gql(Some(m), PAGE_BESIDE, vars.clone()).await; // the caller is known
                let before = app.statements();
                let resp = app.gql(Some(m), PAGE_BESIDE, vars).await;
                let cost = app.statements() - before;
                (resp.data()["actions"]["nodes"].clone(), cost)
            }
        };
        let (all, cost) = page(Some(10), None).await;
        let nodes = all.as_array().unwrap();
        let listed: Vec<&str> = nodes.iter().map(|n| n["id"].as_str().unwrap()).collect();
        assert_eq!(listed, ids.iter().map(String::as_str).collect::<Vec<_>>());
        for node in nodes {
            let alone = ok(
                &app,
                m,
                ONE_BESIDE,
                json!({ "id": node["id"] }),
                &["action"],
            )
            .await;
            assert_eq!(node, &alone);
        }
        assert_eq!(nodes[0]["review"]["title"], "Protection peer review");
        assert_eq!(nodes[1]["recommendation"]["reference"], "R2");
        // The opening and the page with both beside: no statement per table.
        assert_eq!(
            cost, 2,
            "statements for a page with its recommendations and reviews"
        );

        // Read backwards, the page keeps the list's order.
        let (last, _) = page(None, Some(2)).await;
        assert_eq!(last.as_array().unwrap().as_slice(), &nodes[2..]);

        // Another organisation's caller lists none of them, nor their recommendations or
        // reviews.
        let other = token(&w.council_b, Role::Manager);
        let resp = app
            .gql(Some(&other), PAGE_BESIDE, json!({ "first": 10 }))
            .await;
        assert_eq!(resp.data()["actions"]["nodes"], json!([]));
    }
);
