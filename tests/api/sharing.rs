//! Sharing settings: each organisation's managers decide what its panels and partners read.

use resilience_hub::auth::Role;
use serde_json::json;

use crate::helpers::{api_test, token};
use crate::world::{SHARING, World};

const SETTINGS: &str = "query($id: ID!) { organisation(id: $id) { sharingSettings { panelDetail partners version } } }";

api_test!(
    a_manager_changes_only_its_own_organisations_sharing,
    |app| {
        let w = World::build(&app).await;
        let fire_manager = token(&w.fire, Role::Manager);
        let resp = app
            .gql(
                Some(&fire_manager),
                SHARING,
                json!({ "input": { "version": 1, "panelDetail": true, "partners": "NAMED" } }),
            )
            .await;
        assert_eq!(
            resp.data()["updateSharingSettings"]["sharingSettings"],
            json!({ "panelDetail": true, "partners": "NAMED", "version": 2 })
        );
        // Everyone else's settings are untouched.
        for (org, expected) in [(&w.council_a, "NAMED"), (&w.council_b, "AGGREGATE")] {
            let resp = app
                .gql(
                    Some(&token(org, Role::Viewer)),
                    SETTINGS,
                    json!({ "id": org }),
                )
                .await;
            let s = &resp.data()["organisation"]["sharingSettings"];
            assert_eq!(s["partners"], expected);
            assert_eq!(s["panelDetail"], false);
        }
        // The input has no organisation argument: the tenant comes from the token alone.
        let resp = app
            .gql(
                Some(&fire_manager),
                SHARING,
                json!({ "input": { "version": 2, "partners": "NONE", "orgId": w.council_a } }),
            )
            .await;
        assert_eq!(
            resp.error("BAD_USER_INPUT")["extensions"]["field"],
            "input.orgId"
        );
    }
);

api_test!(
    sharing_settings_are_visible_to_their_own_organisation_only,
    |app| {
        let w = World::build(&app).await;
        // The panel sees council_a, and the partner too (NAMED), but neither sees its settings.
        for viewer in [
            token(&w.panel, Role::Manager),
            token(&w.partner, Role::Viewer),
            w.admin.clone(),
        ] {
            let resp = app
                .gql(Some(&viewer), SETTINGS, json!({ "id": w.council_a }))
                .await;
            assert_eq!(resp.data()["organisation"]["sharingSettings"], json!(null));
        }
        // A platform admin reads no tenant content, not even its own organisation's.
        let resp = app
            .gql(Some(&w.admin), SETTINGS, json!({ "id": w.operator }))
            .await;
        assert_eq!(resp.data()["organisation"]["sharingSettings"], json!(null));
        for role in [Role::Viewer, Role::Contributor, Role::Manager] {
            let resp = app
                .gql(
                    Some(&token(&w.council_a, role)),
                    SETTINGS,
                    json!({ "id": w.council_a }),
                )
                .await;
            assert_eq!(
                resp.data()["organisation"]["sharingSettings"]["partners"],
                "NAMED"
            );
        }
    }
);

api_test!(only_managers_change_sharing, |app| {
    let w = World::build(&app).await;
    let before = app.snapshot().await;
    for tok in [
        token(&w.council_a, Role::Viewer),
        token(&w.council_a, Role::Contributor),
        token(&w.operator, Role::PlatformAdmin),
    ] {
        app.gql(
            Some(&tok),
            SHARING,
            json!({ "input": { "version": 2, "partners": "NONE" } }),
        )
        .await
        .error("FORBIDDEN");
    }
    assert_eq!(app.snapshot().await, before);
});

api_test!(a_stale_or_empty_sharing_change_is_refused, |app| {
    let w = World::build(&app).await;
    let manager = token(&w.council_a, Role::Manager);
    let before = app.snapshot().await;
    // council_a's settings are at version 2 (the world set NAMED).
    app.gql(
        Some(&manager),
        SHARING,
        json!({ "input": { "version": 1, "partners": "NONE" } }),
    )
    .await
    .error("CONFLICT");
    let resp = app
        .gql(
            Some(&manager),
            SHARING,
            json!({ "input": { "version": 2 } }),
        )
        .await;
    assert_eq!(resp.error("BAD_USER_INPUT")["extensions"]["field"], "input");
    let resp = app
        .gql(
            Some(&manager),
            SHARING,
            json!({ "input": { "version": 2, "partners": "EVERYONE" } }),
        )
        .await;
    assert_eq!(
        resp.error("BAD_USER_INPUT")["extensions"]["field"],
        "input.partners"
    );
    assert_eq!(app.snapshot().await, before);
});

api_test!(
    a_partner_sees_an_organisation_once_it_shares_by_name,
    |app| {
        let w = World::build(&app).await;
        let analyst = token(&w.partner, Role::Viewer);
        let org = "query($id: ID!) { organisation(id: $id) { slug } }";
        app.gql(Some(&analyst), org, json!({ "id": w.council_b }))
            .await
            .error("NOT_FOUND");
        app.gql(
            Some(&token(&w.council_b, Role::Manager)),
            SHARING,
            json!({ "input": { "version": 2, "partners": "NAMED" } }),
        )
        .await
        .data();
        let resp = app
            .gql(Some(&analyst), org, json!({ "id": w.council_b }))
            .await;
        assert_eq!(resp.data()["organisation"]["slug"], "council-b");
        // And loses sight of it when it stops.
        app.gql(
            Some(&token(&w.council_b, Role::Manager)),
            SHARING,
            json!({ "input": { "version": 3, "partners": "NONE" } }),
        )
        .await
        .data();
        app.gql(Some(&analyst), org, json!({ "id": w.council_b }))
            .await
            .error("NOT_FOUND");
    }
);
