//! Reading organisations: who sees whom.

use resilience_hub::auth::Role;
use serde_json::json;

use crate::helpers::{api_test, token};
use crate::world::{World, edge_ids};

const ORG: &str = "query($id: ID!) { organisation(id: $id) { id slug name kind region } }";

const LIST: &str = r#"
    query($kind: OrganisationKind, $first: Int, $after: String) {
        organisations(kind: $kind, first: $first, after: $after) {
            totalCount
            pageInfo { hasNextPage hasPreviousPage endCursor }
            edges { cursor node { id name } }
        }
    }"#;

/// The organisations `viewer` lists, as ids.
async fn listed(app: &crate::helpers::TestApp, viewer: &str) -> Vec<String> {
    let resp = app.gql(Some(viewer), LIST, json!({ "first": 100 })).await;
    let mut ids = edge_ids(&resp.data()["organisations"]);
    ids.sort();
    ids
}

fn sorted(ids: &[&String]) -> Vec<String> {
    let mut v: Vec<String> = ids.iter().map(|s| (*s).clone()).collect();
    v.sort();
    v
}

api_test!(
    every_role_sees_its_own_organisation_and_no_stranger,
    |app| {
        let w = World::build(&app).await;
        for role in [Role::Viewer, Role::Contributor, Role::Manager] {
            let tok = token(&w.council_b, role);
            let own = app.gql(Some(&tok), ORG, json!({ "id": w.council_b })).await;
            assert_eq!(own.data()["organisation"]["slug"], "council-b");
            for stranger in [&w.council_a, &w.fire, &w.panel, &w.partner, &w.operator] {
                let resp = app.gql(Some(&tok), ORG, json!({ "id": stranger })).await;
                resp.error("NOT_FOUND");
                assert_eq!(resp.body["data"]["organisation"], json!(null));
            }
            // Its own panel is visible to it: it must know who reads its data.
            let panel = app
                .gql(Some(&tok), ORG, json!({ "id": w.other_panel }))
                .await;
            assert_eq!(panel.data()["organisation"]["slug"], "panel-q");
            assert_eq!(
                listed(&app, &tok).await,
                sorted(&[&w.council_b, &w.other_panel])
            );
        }
    }
);

api_test!(
    a_panel_sees_its_members_but_not_other_organisations,
    |app| {
        let w = World::build(&app).await;
        let lead = token(&w.panel, Role::Viewer);
        for member in [&w.council_a, &w.fire] {
            let resp = app.gql(Some(&lead), ORG, json!({ "id": member })).await;
            assert_eq!(resp.data()["organisation"]["id"], json!(member));
        }
        for outsider in [&w.council_b, &w.other_panel, &w.partner] {
            app.gql(Some(&lead), ORG, json!({ "id": outsider }))
                .await
                .error("NOT_FOUND");
        }
        assert_eq!(
            listed(&app, &lead).await,
            sorted(&[&w.panel, &w.council_a, &w.fire])
        );
    }
);

api_test!(
    a_partner_sees_only_organisations_that_share_by_name,
    |app| {
        let w = World::build(&app).await;
        let analyst = token(&w.partner, Role::Viewer);
        // council_a shares NAMED, council_b AGGREGATE (counted, never named), fire NONE.
        let named = app
            .gql(Some(&analyst), ORG, json!({ "id": w.council_a }))
            .await;
        assert_eq!(named.data()["organisation"]["slug"], "council-a");
        for hidden in [&w.council_b, &w.fire, &w.panel] {
            app.gql(Some(&analyst), ORG, json!({ "id": hidden }))
                .await
                .error("NOT_FOUND");
        }
        assert_eq!(
            listed(&app, &analyst).await,
            sorted(&[&w.partner, &w.council_a])
        );
    }
);

api_test!(a_platform_admin_sees_every_organisation, |app| {
    let w = World::build(&app).await;
    let mut expected: Vec<String> = w.all().into_iter().map(|(_, id)| id.to_owned()).collect();
    expected.sort();
    assert_eq!(listed(&app, &w.admin).await, expected);
});

api_test!(the_kind_filter_narrows_the_list, |app| {
    let w = World::build(&app).await;
    let resp = app
        .gql(Some(&w.admin), LIST, json!({ "kind": "REGIONAL_PANEL" }))
        .await;
    let mut ids = edge_ids(&resp.data()["organisations"]);
    ids.sort();
    assert_eq!(ids, sorted(&[&w.panel, &w.other_panel]));
    assert_eq!(resp.data()["organisations"]["totalCount"], 2);
    // A panel filtering for councils sees only its member council.
    let lead = token(&w.panel, Role::Manager);
    let resp = app
        .gql(Some(&lead), LIST, json!({ "kind": "COUNCIL" }))
        .await;
    assert_eq!(
        edge_ids(&resp.data()["organisations"]),
        vec![w.council_a.clone()]
    );
});

api_test!(pages_follow_cursors_without_gaps_or_repeats, |app| {
    let w = World::build(&app).await;
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let resp = app
            .gql(Some(&w.admin), LIST, json!({ "first": 2, "after": after }))
            .await;
        let conn = &resp.data()["organisations"];
        assert_eq!(conn["totalCount"], 7);
        assert_eq!(conn["pageInfo"]["hasPreviousPage"], json!(after.is_some()));
        let names: Vec<String> = conn["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["name"].as_str().unwrap().to_owned())
            .collect();
        assert!(names.len() <= 2);
        seen.extend(names);
        if conn["pageInfo"]["hasNextPage"] == json!(false) {
            break;
        }
        after = conn["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    let mut sorted_names = seen.clone();
    sorted_names.sort();
    assert_eq!(seen, sorted_names, "listed by name");
    assert_eq!(seen.len(), 7);
});

api_test!(page_arguments_are_checked, |app| {
    let w = World::build(&app).await;
    for first in [0, -1, 101] {
        let resp = app
            .gql(Some(&w.admin), LIST, json!({ "first": first }))
            .await;
        assert_eq!(resp.error("BAD_USER_INPUT")["extensions"]["field"], "first");
    }
    let resp = app
        .gql(Some(&w.admin), LIST, json!({ "after": "not-a-cursor" }))
        .await;
    assert_eq!(resp.error("BAD_USER_INPUT")["extensions"]["field"], "after");
});

api_test!(malformed_and_foreign_ids_are_bad_input, |app| {
    let w = World::build(&app).await;
    let tok = token(&w.council_a, Role::Viewer);
    for id in [
        "",
        "42",
        "org_zz",
        "usr_0193a6f0c1d27c3a9f0e4b5a6c7d8e9f",
        &"x".repeat(5000),
    ] {
        let resp = app.gql(Some(&tok), ORG, json!({ "id": id })).await;
        assert_eq!(
            resp.error("BAD_USER_INPUT")["extensions"]["field"],
            "id",
            "{id}"
        );
    }
    // Well formed, but nobody's: indistinguishable from somebody else's.
    let resp = app
        .gql(
            Some(&tok),
            ORG,
            json!({ "id": "org_0193a6f0c1d27c3a9f0e4b5a6c7d8e9f" }),
        )
        .await;
    resp.error("NOT_FOUND");
});

const PANELS_AND_MEMBERS: &str = r#"
    query($id: ID!) {
        organisation(id: $id) {
            panels { id }
            members(first: 10) { totalCount edges { node { id panels { id } } } }
        }
    }"#;

api_test!(panels_and_members_show_only_what_is_visible, |app| {
    let w = World::build(&app).await;
    // The platform admin sees the whole membership.
    let resp = app
        .gql(Some(&w.admin), PANELS_AND_MEMBERS, json!({ "id": w.panel }))
        .await;
    let org = &resp.data()["organisation"];
    let mut members = edge_ids(&org["members"]);
    members.sort();
    assert_eq!(members, sorted(&[&w.council_a, &w.fire]));
    assert_eq!(org["members"]["totalCount"], 2);

    // A member sees its panel, and within it only itself.
    let member = token(&w.council_a, Role::Viewer);
    let resp = app
        .gql(Some(&member), PANELS_AND_MEMBERS, json!({ "id": w.panel }))
        .await;
    assert_eq!(
        edge_ids(&resp.data()["organisation"]["members"]),
        vec![w.council_a.clone()]
    );
    let resp = app
        .gql(
            Some(&member),
            PANELS_AND_MEMBERS,
            json!({ "id": w.council_a }),
        )
        .await;
    let org = &resp.data()["organisation"];
    assert_eq!(org["panels"], json!([{ "id": w.panel }]));
    assert_eq!(org["members"], json!(null), "a council has no members");

    // A panel looking at a member sees only itself among the member's panels.
    let lead = token(&w.panel, Role::Viewer);
    let resp = app
        .gql(Some(&lead), PANELS_AND_MEMBERS, json!({ "id": w.panel }))
        .await;
    for edge in resp.data()["organisation"]["members"]["edges"]
        .as_array()
        .unwrap()
    {
        assert_eq!(edge["node"]["panels"], json!([{ "id": w.panel }]));
    }
});

api_test!(
    a_list_of_organisations_costs_the_same_number_of_statements_at_any_length,
    |app| {
        let operator = app.bootstrap_operator("ops", "Operations").await;
        let admin = token(&operator, Role::PlatformAdmin);
        let panel =
            crate::world::create_org(&app, &admin, "big-panel", "Big Panel", "REGIONAL_PANEL")
                .await;
        for i in 0..50 {
            let id = crate::world::create_org(
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
                json!({ "panel": panel, "member": id }),
            )
            .await
            .data();
        }
        let query = "query($first: Int) { organisations(first: $first, kind: COUNCIL) { totalCount nodes { name panels { name } } } }";
        // Once unmeasured: the members just added moved what every caller's visibility is
        // remembered under, and the first request after reads it again.
        app.gql(Some(&admin), query, json!({ "first": 1 }))
            .await
            .data();
        let mut costs = Vec::new();
        for first in [5, 50] {
            let before = app.statements();
            let resp = app
                .gql(Some(&admin), query, json!({ "first": first }))
                .await;
            assert_eq!(
                resp.data()["organisations"]["nodes"]
                    .as_array()
                    .unwrap()
                    .len(),
                first
            );
            costs.push(app.statements() - before);
        }
        eprintln!("statements for pages of 5 and 50: {costs:?}");
        assert_eq!(
            costs[0], costs[1],
            "statements for 5 and 50 organisations: {costs:?}"
        );
    }
);
