//! `me`, users created on first sight, and `node` over users.

use resilience_hub::auth::Role;
use serde_json::json;

use crate::helpers::{Claims, api_test, token};
use crate::world::World;

const ME: &str = "{ me { role user { id displayName email } organisation { id slug } } }";

api_test!(me_names_the_caller_for_every_role, |app| {
    let w = World::build(&app).await;
    for (org, role, expected) in [
        (&w.council_a, Role::Viewer, "VIEWER"),
        (&w.council_a, Role::Contributor, "CONTRIBUTOR"),
        (&w.fire, Role::Manager, "MANAGER"),
        (&w.operator, Role::PlatformAdmin, "PLATFORM_ADMIN"),
    ] {
        let resp = app.gql(Some(&token(org, role)), ME, json!({})).await;
        let me = &resp.data()["me"];
        assert_eq!(me["role"], expected);
        assert_eq!(me["organisation"]["id"], json!(org));
        assert!(me["user"]["id"].as_str().unwrap().starts_with("usr_"));
    }
});

api_test!(
    a_user_is_created_on_first_sight_and_follows_its_claims,
    |app| {
        let w = World::build(&app).await;
        let mut claims = Claims::new(&w.council_a, Role::Viewer);
        claims.sub = "alice@idp".into();
        claims.name = Some("Alice Adams".into());
        claims.email = Some("alice@example.org".into());
        let first = app.gql(Some(&claims.sign()), ME, json!({})).await;
        let user = first.data()["me"]["user"].clone();
        assert_eq!(user["displayName"], "Alice Adams");
        assert_eq!(user["email"], "alice@example.org");

        // The identity provider renames her; absent claims keep what was stored.
        claims.name = Some("Alice Baker".into());
        claims.email = None;
        let second = app.gql(Some(&claims.sign()), ME, json!({})).await;
        let renamed = &second.data()["me"]["user"];
        assert_eq!(renamed["id"], user["id"], "the same user");
        assert_eq!(renamed["displayName"], "Alice Baker");
        assert_eq!(renamed["email"], "alice@example.org");

        // The same person acting for another organisation is the same user.
        claims.org = w.fire.clone();
        let third = app.gql(Some(&claims.sign()), ME, json!({})).await;
        assert_eq!(third.data()["me"]["user"]["id"], user["id"]);
        assert_eq!(third.data()["me"]["organisation"]["id"], json!(w.fire));
    }
);

api_test!(a_token_may_name_its_organisation_by_slug, |app| {
    let w = World::build(&app).await;
    let resp = app
        .gql(Some(&token("council-b", Role::Viewer)), ME, json!({}))
        .await;
    assert_eq!(resp.data()["me"]["organisation"]["id"], json!(w.council_b));
});

const NODE: &str = r#"query($id: ID!) {
    node(id: $id) {
        id
        __typename
        ... on User { displayName }
        ... on Organisation { slug }
    }
}"#;

api_test!(
    node_finds_users_of_the_callers_own_organisation_only,
    |app| {
        let w = World::build(&app).await;
        let alice = token(&w.council_a, Role::Viewer);
        let bob = token(&w.council_a, Role::Manager);
        let alice_id =
            app.gql(Some(&alice), ME, json!({})).await.data()["me"]["user"]["id"].clone();
        app.gql(Some(&bob), ME, json!({})).await.data();

        let resp = app.gql(Some(&alice), NODE, json!({ "id": alice_id })).await;
        assert_eq!(resp.data()["node"]["__typename"], "User");
        // Bob acts for the same organisation: its people may own its actions, so he sees her.
        let resp = app.gql(Some(&bob), NODE, json!({ "id": alice_id })).await;
        assert_eq!(resp.data()["node"]["__typename"], "User");
        // Nobody else browses the organisation's people.
        for outsider in [
            token(&w.council_b, Role::Manager),
            token(&w.panel, Role::Manager),
            w.admin.clone(),
        ] {
            app.gql(Some(&outsider), NODE, json!({ "id": alice_id }))
                .await
                .error("NOT_FOUND");
        }
    }
);

api_test!(node_is_scoped_like_everything_else, |app| {
    let w = World::build(&app).await;
    let tok = token(&w.council_b, Role::Manager);
    let own = app
        .gql(Some(&tok), NODE, json!({ "id": w.council_b }))
        .await;
    assert_eq!(own.data()["node"]["__typename"], "Organisation");
    assert_eq!(own.data()["node"]["slug"], "council-b");
    for stranger in [&w.council_a, &w.panel, &w.partner] {
        let resp = app.gql(Some(&tok), NODE, json!({ "id": stranger })).await;
        resp.error("NOT_FOUND");
        assert_eq!(resp.body["data"]["node"], json!(null));
    }
    let resp = app.gql(Some(&tok), NODE, json!({ "id": "nope_123" })).await;
    assert_eq!(resp.error("BAD_USER_INPUT")["extensions"]["field"], "id");
});

api_test!(
    the_callers_own_organisation_is_remembered_until_the_directory_changes,
    |app| {
        let w = World::build(&app).await;
        let viewer = token(&w.council_a, Role::Viewer);
        const NAME: &str = "{ me { organisation { id name region } } }";
        let first = app.gql(Some(&viewer), NAME, json!({})).await.data().clone();
        // Asked again, it is remembered: the request's opening statement alone.
        let before = app.statements();
        let again = app.gql(Some(&viewer), NAME, json!({})).await.data().clone();
        assert_eq!(again, first);
        assert_eq!(app.statements() - before, 1, "the opening statement only");

        // A platform administrator renames it: the next dashboard names it anew.
        let renamed = app
            .gql(
                Some(&w.admin),
                "mutation($input: UpdateOrganisationInput!) { \
                   updateOrganisation(input: $input) { organisation { name region } } }",
                json!({ "input": { "id": w.council_a, "version": 1,
                                   "name": "Alpha City Council", "region": null } }),
            )
            .await;
        assert_eq!(
            renamed.data()["updateOrganisation"]["organisation"]["name"],
            "Alpha City Council"
        );
        let after = app.gql(Some(&viewer), NAME, json!({})).await;
        assert_eq!(
            after.data()["me"]["organisation"]["name"],
            "Alpha City Council"
        );
        assert_eq!(after.data()["me"]["organisation"]["region"], json!(null));
        assert_eq!(
            after.data()["me"]["organisation"]["id"],
            first["me"]["organisation"]["id"]
        );

        // Another organisation's caller is never answered with it.
        let other = app
            .gql(Some(&token(&w.council_b, Role::Viewer)), NAME, json!({}))
            .await;
        assert_eq!(other.data()["me"]["organisation"]["id"], json!(w.council_b));
        assert_ne!(
            other.data()["me"]["organisation"]["name"],
            "Alpha City Council"
        );
    }
);
