//! Provisioning: organisations and panel memberships, by platform administrators only.

use resilience_hub::auth::Role;
use serde_json::json;

use crate::helpers::{api_test, token};
use crate::world::{ADD_MEMBER, CREATE_ORG, World, edge_ids};

const UPDATE_ORG: &str = r#"
    mutation($input: UpdateOrganisationInput!) {
        updateOrganisation(input: $input) { organisation { id slug name region version } }
    }"#;

const REMOVE_MEMBER: &str = r#"
    mutation($panel: ID!, $member: ID!) {
        removePanelMember(input: { panelId: $panel, memberId: $member }) {
            panel { id } member { id }
        }
    }"#;

const MEMBERS: &str =
    "query($id: ID!) { organisation(id: $id) { members { totalCount edges { node { id } } } } }";

fn new_org(slug: &str) -> serde_json::Value {
    json!({ "input": { "slug": slug, "name": "Delta District Council", "kind": "COUNCIL" } })
}

api_test!(
    a_platform_admin_creates_an_organisation_with_default_sharing,
    |app| {
        let w = World::build(&app).await;
        let resp = app.gql(Some(&w.admin), CREATE_ORG, new_org("delta")).await;
        let org = &resp.data()["createOrganisation"]["organisation"];
        assert_eq!(org["slug"], "delta");
        assert_eq!(org["kind"], "COUNCIL");
        assert_eq!(org["version"], 1);
        let id = org["id"].as_str().unwrap();
        // Its own manager sees the defaults: panels get summaries, partners nothing.
        let manager = token(id, Role::Manager);
        let resp = app
        .gql(
            Some(&manager),
            "query($id: ID!) { organisation(id: $id) { sharingSettings { panelDetail partners version } } }",
            json!({ "id": id }),
        )
        .await;
        assert_eq!(
            resp.data()["organisation"]["sharingSettings"],
            json!({ "panelDetail": false, "partners": "NONE", "version": 1 })
        );
    }
);

api_test!(no_tenant_role_may_provision, |app| {
    let w = World::build(&app).await;
    let before = app.snapshot().await;
    for role in [Role::Viewer, Role::Contributor, Role::Manager] {
        // Even a panel's own manager cannot change its membership.
        let tok = token(&w.panel, role);
        app.gql(Some(&tok), CREATE_ORG, new_org("sneaky"))
            .await
            .error("FORBIDDEN");
        app.gql(
            Some(&tok),
            UPDATE_ORG,
            json!({ "input": { "id": w.panel, "version": 1, "name": "Renamed" } }),
        )
        .await
        .error("FORBIDDEN");
        app.gql(
            Some(&tok),
            ADD_MEMBER,
            json!({ "panel": w.panel, "member": w.council_b }),
        )
        .await
        .error("FORBIDDEN");
        app.gql(
            Some(&tok),
            REMOVE_MEMBER,
            json!({ "panel": w.panel, "member": w.council_a }),
        )
        .await
        .error("FORBIDDEN");
    }
    assert_eq!(app.snapshot().await, before, "nothing changed");
});

api_test!(bad_organisation_input_is_refused_naming_the_field, |app| {
    let w = World::build(&app).await;
    let before = app.snapshot().await;
    let cases = [
        (
            json!({ "slug": "Bad Slug", "name": "X", "kind": "COUNCIL" }),
            "input.slug",
        ),
        (
            json!({ "slug": "a", "name": "X", "kind": "COUNCIL" }),
            "input.slug",
        ),
        (
            json!({ "slug": "s".repeat(64), "name": "X", "kind": "COUNCIL" }),
            "input.slug",
        ),
        (
            json!({ "slug": "council-a", "name": "Duplicate", "kind": "COUNCIL" }),
            "input.slug",
        ),
        (
            json!({ "slug": "ok-slug", "name": "   ", "kind": "COUNCIL" }),
            "input.name",
        ),
        (
            json!({ "slug": "ok-slug", "name": "n".repeat(201), "kind": "COUNCIL" }),
            "input.name",
        ),
        (
            json!({ "slug": "ok-slug", "name": "Line\nbreak", "kind": "COUNCIL" }),
            "input.name",
        ),
        (
            json!({ "slug": "ok-slug", "name": "Fine", "kind": "COUNCIL", "region": "r".repeat(101) }),
            "input.region",
        ),
    ];
    for (input, field) in cases {
        let resp = app
            .gql(Some(&w.admin), CREATE_ORG, json!({ "input": input }))
            .await;
        assert_eq!(
            resp.error("BAD_USER_INPUT")["extensions"]["field"],
            field,
            "{input}"
        );
    }
    // An unknown kind never reaches a resolver, and is still named.
    let resp = app
        .gql(
            Some(&w.admin),
            CREATE_ORG,
            json!({ "input": { "slug": "ok-slug", "name": "Fine", "kind": "CASTLE" } }),
        )
        .await;
    assert_eq!(
        resp.error("BAD_USER_INPUT")["extensions"]["field"],
        "input.kind"
    );
    assert_eq!(resp.status, 400);
    assert_eq!(app.snapshot().await, before, "nothing changed");
});

api_test!(
    an_organisation_is_updated_with_its_current_version_only,
    |app| {
        let w = World::build(&app).await;
        let resp = app
        .gql(
            Some(&w.admin),
            UPDATE_ORG,
            json!({ "input": { "id": w.council_a, "version": 1, "name": "Alpha City Council" } }),
        )
        .await;
        let org = &resp.data()["updateOrganisation"]["organisation"];
        assert_eq!(org["name"], "Alpha City Council");
        assert_eq!(org["slug"], "council-a", "a slug is permanent");
        assert_eq!(org["version"], 2);

        // A second change based on the old version is stale.
        let before = app.snapshot().await;
        let resp = app
            .gql(
                Some(&w.admin),
                UPDATE_ORG,
                json!({ "input": { "id": w.council_a, "version": 1, "name": "Lost update" } }),
            )
            .await;
        resp.error("CONFLICT");
        assert_eq!(app.snapshot().await, before);

        // Null clears the region; absent fields stay.
        let resp = app
            .gql(
                Some(&w.admin),
                UPDATE_ORG,
                json!({ "input": { "id": w.council_a, "version": 2, "region": null } }),
            )
            .await;
        let org = &resp.data()["updateOrganisation"]["organisation"];
        assert_eq!(org["region"], json!(null));
        assert_eq!(org["name"], "Alpha City Council");
    }
);

api_test!(
    updates_refuse_unknown_ids_slug_changes_and_empty_changes,
    |app| {
        let w = World::build(&app).await;
        let before = app.snapshot().await;
        let unknown = "org_0193a6f0c1d27c3a9f0e4b5a6c7d8e9f";
        app.gql(
            Some(&w.admin),
            UPDATE_ORG,
            json!({ "input": { "id": unknown, "version": 1, "name": "X" } }),
        )
        .await
        .error("NOT_FOUND");
        let resp = app
            .gql(
                Some(&w.admin),
                UPDATE_ORG,
                json!({ "input": { "id": w.council_a, "version": 1, "slug": "council-b" } }),
            )
            .await;
        // A slug is permanent: the input has no such field.
        assert_eq!(
            resp.error("BAD_USER_INPUT")["extensions"]["field"],
            "input.slug"
        );
        let resp = app
            .gql(
                Some(&w.admin),
                UPDATE_ORG,
                json!({ "input": { "id": w.council_a, "version": 1, "name": "n".repeat(201) } }),
            )
            .await;
        assert_eq!(
            resp.error("BAD_USER_INPUT")["extensions"]["field"],
            "input.name"
        );
        let resp = app
            .gql(
                Some(&w.admin),
                UPDATE_ORG,
                json!({ "input": { "id": w.council_a, "version": 1 } }),
            )
            .await;
        assert_eq!(resp.error("BAD_USER_INPUT")["extensions"]["field"], "input");
        let resp = app
            .gql(
                Some(&w.admin),
                UPDATE_ORG,
                json!({ "input": { "id": "garbage", "version": 1, "name": "X" } }),
            )
            .await;
        assert_eq!(
            resp.error("BAD_USER_INPUT")["extensions"]["field"],
            "input.id"
        );
        assert_eq!(app.snapshot().await, before);
    }
);

api_test!(
    a_new_member_is_visible_to_its_panel_at_once_and_gone_once_removed,
    |app| {
        let w = World::build(&app).await;
        let lead = token(&w.panel, Role::Viewer);
        let org = "query($id: ID!) { organisation(id: $id) { id } }";
        app.gql(Some(&lead), org, json!({ "id": w.council_b }))
            .await
            .error("NOT_FOUND");

        app.gql(
            Some(&w.admin),
            ADD_MEMBER,
            json!({ "panel": w.panel, "member": w.council_b }),
        )
        .await
        .data();
        let resp = app
            .gql(Some(&lead), org, json!({ "id": w.council_b }))
            .await;
        assert_eq!(resp.data()["organisation"]["id"], json!(w.council_b));
        let resp = app
            .gql(Some(&lead), MEMBERS, json!({ "id": w.panel }))
            .await;
        assert_eq!(resp.data()["organisation"]["members"]["totalCount"], 3);

        app.gql(
            Some(&w.admin),
            REMOVE_MEMBER,
            json!({ "panel": w.panel, "member": w.council_b }),
        )
        .await
        .data();
        app.gql(Some(&lead), org, json!({ "id": w.council_b }))
            .await
            .error("NOT_FOUND");
        let resp = app
            .gql(Some(&lead), MEMBERS, json!({ "id": w.panel }))
            .await;
        let mut ids = edge_ids(&resp.data()["organisation"]["members"]);
        ids.sort();
        let mut expected = vec![w.council_a.clone(), w.fire.clone()];
        expected.sort();
        assert_eq!(ids, expected);
    }
);

api_test!(memberships_must_make_sense, |app| {
    let w = World::build(&app).await;
    let before = app.snapshot().await;
    // Already a member.
    app.gql(
        Some(&w.admin),
        ADD_MEMBER,
        json!({ "panel": w.panel, "member": w.council_a }),
    )
    .await
    .error("CONFLICT");
    // Not a panel.
    let resp = app
        .gql(
            Some(&w.admin),
            ADD_MEMBER,
            json!({ "panel": w.council_b, "member": w.council_a }),
        )
        .await;
    assert_eq!(
        resp.error("BAD_USER_INPUT")["extensions"]["field"],
        "input.panelId"
    );
    // Panels do not nest, and partner bodies do not join panels.
    for member in [&w.other_panel, &w.partner] {
        let resp = app
            .gql(
                Some(&w.admin),
                ADD_MEMBER,
                json!({ "panel": w.panel, "member": member }),
            )
            .await;
        assert_eq!(
            resp.error("BAD_USER_INPUT")["extensions"]["field"],
            "input.memberId"
        );
    }
    // Not a member, so nothing to remove.
    app.gql(
        Some(&w.admin),
        REMOVE_MEMBER,
        json!({ "panel": w.panel, "member": w.council_b }),
    )
    .await
    .error("NOT_FOUND");
    // Unknown organisations.
    let unknown = "org_0193a6f0c1d27c3a9f0e4b5a6c7d8e9f";
    app.gql(
        Some(&w.admin),
        ADD_MEMBER,
        json!({ "panel": w.panel, "member": unknown }),
    )
    .await
    .error("NOT_FOUND");
    assert_eq!(app.snapshot().await, before);
});
