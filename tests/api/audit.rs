//! The audit trail: every mutation leaves an event, and each organisation reads its own.

use resilience_hub::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{api_test, token};
use crate::world::{SHARING, World};

const TRAIL: &str = r#"
    query($first: Int, $after: String, $entity: ID) {
        auditEvents(first: $first, after: $after, entityId: $entity) {
            totalCount
            pageInfo { hasNextPage endCursor }
            nodes {
                id entityType entityId operation before after actorRole requestId
                actor { displayName }
                actorOrganisation { id }
            }
        }
    }"#;

fn events(resp: &crate::helpers::Gql) -> Vec<Value> {
    resp.data()["auditEvents"]["nodes"]
        .as_array()
        .unwrap()
        .clone()
}

fn kinds(events: &[Value]) -> Vec<(String, String, String)> {
    events
        .iter()
        .map(|e| {
            (
                e["entityType"].as_str().unwrap().to_owned(),
                e["operation"].as_str().unwrap().to_owned(),
                e["entityId"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

api_test!(a_manager_reads_its_own_trail_newest_first, |app| {
    let w = World::build(&app).await;
    let resp = app
        .gql(Some(&token(&w.council_a, Role::Manager)), TRAIL, json!({}))
        .await;
    let evs = events(&resp);
    assert_eq!(
        kinds(&evs),
        vec![
            (
                "SHARING_SETTINGS".into(),
                "UPDATE".into(),
                w.council_a.clone()
            ),
            (
                "PANEL_MEMBERSHIP".into(),
                "CREATE".into(),
                w.council_a.clone()
            ),
            ("ORGANISATION".into(), "CREATE".into(), w.council_a.clone()),
        ]
    );
    let sharing = &evs[0];
    assert_eq!(sharing["before"]["partners"], "NONE");
    assert_eq!(sharing["after"]["partners"], "NAMED");
    assert_eq!(sharing["actorRole"], "MANAGER");
    assert_eq!(sharing["actorOrganisation"]["id"], json!(w.council_a));
    let membership = &evs[1];
    assert_eq!(
        membership["after"],
        json!({ "panelId": w.panel, "memberId": w.council_a })
    );
    assert_eq!(membership["actorRole"], "PLATFORM_ADMIN");
    // The operator's organisation is not visible to the council.
    assert_eq!(membership["actorOrganisation"], json!(null));
    assert_eq!(evs[2]["after"]["slug"], "council-a");
    assert_eq!(evs[2]["before"], json!(null));
});

api_test!(no_organisation_reads_anothers_trail, |app| {
    let w = World::build(&app).await;
    let resp = app
        .gql(Some(&token(&w.council_b, Role::Manager)), TRAIL, json!({}))
        .await;
    for (_, _, entity) in kinds(&events(&resp)) {
        assert_eq!(entity, w.council_b, "only council_b's own events");
    }
    // Asking about another organisation's entity gives nothing, not its events.
    let resp = app
        .gql(
            Some(&token(&w.council_b, Role::Manager)),
            TRAIL,
            json!({ "entity": w.council_a }),
        )
        .await;
    assert_eq!(resp.data()["auditEvents"]["totalCount"], 0);
    // The panel sees the membership change in its own trail, not the member's sharing change.
    let resp = app
        .gql(Some(&token(&w.panel, Role::Manager)), TRAIL, json!({}))
        .await;
    let panel_kinds = kinds(&events(&resp));
    assert!(panel_kinds.contains(&(
        "PANEL_MEMBERSHIP".into(),
        "CREATE".into(),
        w.council_a.clone()
    )));
    assert!(!panel_kinds.iter().any(|(t, _, _)| t == "SHARING_SETTINGS"));
});

api_test!(only_managers_and_platform_admins_read_trails, |app| {
    let w = World::build(&app).await;
    for role in [Role::Viewer, Role::Contributor] {
        app.gql(Some(&token(&w.council_a, role)), TRAIL, json!({}))
            .await
            .error("FORBIDDEN");
    }
    // The platform admin reads the provisioning trail, never tenants' sharing decisions.
    let resp = app
        .gql(Some(&w.admin), TRAIL, json!({ "first": 100 }))
        .await;
    let all = kinds(&events(&resp));
    // Seven organisations created, and the operator's mark (made from the command line).
    assert_eq!(
        all.iter()
            .filter(|(t, op, _)| t == "ORGANISATION" && op == "CREATE")
            .count(),
        7
    );
    assert!(all.contains(&("ORGANISATION".into(), "UPDATE".into(), w.operator.clone())));
    assert_eq!(
        all.iter()
            .filter(|(t, _, _)| t == "PANEL_MEMBERSHIP")
            .count(),
        3
    );
    assert!(!all.iter().any(|(t, _, _)| t == "SHARING_SETTINGS"));
});

api_test!(the_trail_pages_and_filters_by_entity, |app| {
    let w = World::build(&app).await;
    let manager = token(&w.council_a, Role::Manager);
    let first = app.gql(Some(&manager), TRAIL, json!({ "first": 2 })).await;
    let conn = &first.data()["auditEvents"];
    assert_eq!(conn["totalCount"], 3);
    assert_eq!(conn["pageInfo"]["hasNextPage"], true);
    let second = app
        .gql(
            Some(&manager),
            TRAIL,
            json!({ "first": 2, "after": conn["pageInfo"]["endCursor"] }),
        )
        .await;
    let rest = events(&second);
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0]["entityType"], "ORGANISATION");

    let resp = app
        .gql(
            Some(&w.admin),
            TRAIL,
            json!({ "entity": w.fire, "first": 100 }),
        )
        .await;
    let fire = kinds(&events(&resp));
    assert_eq!(fire.len(), 2, "created, then joined the panel: {fire:?}");
    assert!(fire.iter().all(|(_, _, e)| *e == w.fire));
});

api_test!(
    an_audit_event_is_a_node_for_its_own_organisation_only,
    |app| {
        let w = World::build(&app).await;
        let manager = token(&w.council_a, Role::Manager);
        let resp = app.gql(Some(&manager), TRAIL, json!({ "first": 1 })).await;
        let id = events(&resp)[0]["id"].clone();
        let node = "query($id: ID!) { node(id: $id) { id ... on AuditEvent { operation } } }";
        let resp = app.gql(Some(&manager), node, json!({ "id": id })).await;
        assert_eq!(resp.data()["node"]["operation"], "UPDATE");
        app.gql(
            Some(&token(&w.council_b, Role::Manager)),
            node,
            json!({ "id": id }),
        )
        .await
        .error("NOT_FOUND");
    }
);

api_test!(an_event_records_the_request_that_made_it, |app| {
    let w = World::build(&app).await;
    let mut claims = crate::helpers::Claims::new(&w.fire, Role::Manager);
    claims.name = Some("Chris Parker".into());
    let manager = claims.sign();
    let resp = app
        .raw(
            app.post()
                .bearer_auth(&manager)
                .header("x-request-id", "committee-paper-42")
                .json(&json!({ "query": SHARING, "variables": { "input": { "version": 1, "panelDetail": true } } })),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    assert_eq!(resp.header("x-request-id"), Some("committee-paper-42"));
    let trail = app.gql(Some(&manager), TRAIL, json!({ "first": 1 })).await;
    assert_eq!(events(&trail)[0]["requestId"], "committee-paper-42");
    assert_eq!(events(&trail)[0]["actor"]["displayName"], "Chris Parker");
});

api_test!(every_tracker_mutation_writes_its_audit_event, |app| {
    use crate::plan::*;
    let (_w, people) = setup(&app).await;
    let m = &people.manager;
    let latest = || async {
        let resp = app
            .gql(
                Some(m),
                "{ auditEvents(first: 1) { totalCount nodes { entityType operation entityId } } }",
                json!({}),
            )
            .await;
        resp.data()["auditEvents"].clone()
    };
    let mut count = latest().await["totalCount"].as_i64().unwrap();
    let mut expect = |event: Value, entity: &str, operation: &str| {
        count += 1;
        assert_eq!(event["totalCount"], count, "one event per mutation");
        assert_eq!(event["nodes"][0]["entityType"], entity);
        assert_eq!(event["nodes"][0]["operation"], operation);
    };
    let rid = review(&app, m, "Peer review").await;
    expect(latest().await, "REVIEW", "CREATE");
    ok(
        &app,
        m,
        UPDATE_REVIEW,
        json!({ "input": { "id": rid, "version": 1, "title": "Renamed" } }),
        &["updateReview"],
    )
    .await;
    expect(latest().await, "REVIEW", "UPDATE");
    let rec = recommendation(&app, m, &rid, "R1").await;
    expect(latest().await, "RECOMMENDATION", "CREATE");
    ok(
        &app,
        m,
        UPDATE_RECOMMENDATION,
        json!({ "input": { "id": rec, "version": 1, "status": "IN_PROGRESS" } }),
        &["updateRecommendation"],
    )
    .await;
    expect(latest().await, "RECOMMENDATION", "UPDATE");
    let a = action(&app, m, &rec, "Act", "2021-01-29", "2021-06-30").await;
    expect(latest().await, "ACTION", "CREATE");
    ok(
        &app,
        m,
        UPDATE_ACTION,
        json!({ "input": { "id": a, "version": 1, "owner": "Head of Protection" } }),
        &["updateAction"],
    )
    .await;
    expect(latest().await, "ACTION", "UPDATE");
    ok(&app, m, CHANGE_DUE, json!({ "input": { "id": a, "version": 2, "newDueOn": "2021-09-30", "reason": "Slipped" } }), &["changeActionDueDate"]).await;
    let event = latest().await;
    assert_eq!(event["nodes"][0]["entityId"], json!(a));
    expect(event, "ACTION", "UPDATE");
    update(
        &app,
        &people.contributor,
        &a,
        "2021-03-01",
        Some("IN_PROGRESS"),
    )
    .await;
    expect(latest().await, "PROGRESS_UPDATE", "CREATE");
    ok(
        &app,
        &people.contributor,
        ATTACH,
        json!({ "input": { "actionId": a, "title": "Doc", "reference": "Ref 1" } }),
        &["attachEvidence"],
    )
    .await;
    expect(latest().await, "EVIDENCE", "CREATE");
});
