//! Directory and provisioning, by every role of one organisation aimed at another: the
//! organisation, its memberships, its sharing settings and its trail are neither read nor
//! changed. (Every field of every domain is attempted by `isolation`, driven by introspection.)

use resilience_hub::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{api_test, token};
use crate::world::{ADD_MEMBER, CREATE_ORG, SHARING, World, edge_ids};

const ORG: &str = "query($id: ID!) { organisation(id: $id) { id } }";
const NODE: &str = "query($id: ID!) { node(id: $id) { id } }";
const LIST: &str = "{ organisations(first: 100) { edges { node { id } } } }";
const TRAIL: &str = "query($id: ID) { auditEvents(entityId: $id) { totalCount } }";
const UPDATE_ORG: &str = "mutation($id: ID!) { updateOrganisation(input: { id: $id, version: 1, name: \"Taken over\" }) { organisation { id } } }";
const REMOVE_MEMBER: &str = "mutation($panel: ID!, $member: ID!) { removePanelMember(input: { panelId: $panel, memberId: $member }) { panel { id } } }";
const B_SETTINGS: &str =
    "query($id: ID!) { organisation(id: $id) { name sharingSettings { partners version } } }";

api_test!(
    no_role_of_one_organisation_reads_or_changes_another,
    |app| {
        let w = World::build(&app).await;
        let b = json!({ "id": w.council_b });
        let b_owner = token(&w.council_b, Role::Manager);
        let b_before = app
            .gql(Some(&b_owner), B_SETTINGS, b.clone())
            .await
            .data()
            .clone();

        for role in [
            Role::Viewer,
            Role::Contributor,
            Role::Manager,
            Role::PlatformAdmin,
        ] {
            let org = if role == Role::PlatformAdmin {
                &w.operator
            } else {
                &w.council_a
            };
            let tok = token(org, role);
            let admin = role == Role::PlatformAdmin;
            let case = |op: &str| format!("{op} as {role:?}");

            // Reads: the other organisation is not found (the platform admin reads directories).
            for query in [ORG, NODE] {
                let resp = app.gql(Some(&tok), query, b.clone()).await;
                if admin {
                    resp.data();
                } else {
                    assert_eq!(resp.codes(), vec!["NOT_FOUND"], "{}", case(query));
                }
            }
            let listed =
                edge_ids(&app.gql(Some(&tok), LIST, json!({})).await.data()["organisations"]);
            assert_eq!(
                listed.contains(&w.council_b),
                admin,
                "{}",
                case("organisations")
            );

            let trail = app.gql(Some(&tok), TRAIL, b.clone()).await;
            match role {
                Role::Viewer | Role::Contributor => {
                    assert_eq!(trail.codes(), vec!["FORBIDDEN"], "{}", case("auditEvents"))
                }
                Role::Manager => assert_eq!(trail.data()["auditEvents"]["totalCount"], 0),
                // The provisioning trail: council_b's creation and membership, nothing of its own.
                Role::PlatformAdmin => assert_eq!(trail.data()["auditEvents"]["totalCount"], 2),
            }

            // Writes aimed at the other organisation.
            let attempts: [(&str, Value); 4] = [
                (UPDATE_ORG, b.clone()),
                (
                    ADD_MEMBER,
                    json!({ "panel": w.other_panel, "member": w.council_a }),
                ),
                (
                    REMOVE_MEMBER,
                    json!({ "panel": w.other_panel, "member": w.council_b }),
                ),
                (
                    CREATE_ORG,
                    json!({ "input": { "slug": "intruder", "name": "Intruder", "kind": "COUNCIL" } }),
                ),
            ];
            if !admin {
                for (mutation, vars) in attempts {
                    let resp = app.gql(Some(&tok), mutation, vars).await;
                    assert_eq!(resp.codes(), vec!["FORBIDDEN"], "{}", case(mutation));
                }
            }
            // Sharing settings can only ever be the caller's own.
            let resp = app
                .gql(
                    Some(&tok),
                    SHARING,
                    json!({ "input": { "version": 2, "partners": "NONE" } }),
                )
                .await;
            match role {
                Role::Manager => {
                    resp.data();
                }
                _ => assert_eq!(
                    resp.codes(),
                    vec!["FORBIDDEN"],
                    "{}",
                    case("updateSharingSettings")
                ),
            }
        }

        let b_after = app.gql(Some(&b_owner), B_SETTINGS, b).await.data().clone();
        assert_eq!(b_before, b_after, "council_b is exactly as it was");
    }
);
