//! A small world of organisations, built through the API by a platform administrator:
//!
//! - `panel` (a regional panel) with members `council_a` and `fire`;
//! - `other_panel` with member `council_b`;
//! - `partner`, a partner body;
//! - sharing with partners: `council_a` NAMED, `council_b` AGGREGATE, `fire` NONE.

use resilience_hub::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, token};

pub struct World {
    pub operator: String,
    pub admin: String,
    pub council_a: String,
    pub council_b: String,
    pub fire: String,
    pub panel: String,
    pub other_panel: String,
    pub partner: String,
}

pub const CREATE_ORG: &str = r#"
    mutation($input: CreateOrganisationInput!) {
        createOrganisation(input: $input) { organisation { id slug name kind region version } }
    }"#;

pub const ADD_MEMBER: &str = r#"
    mutation($panel: ID!, $member: ID!) {
        addPanelMember(input: { panelId: $panel, memberId: $member }) {
            panel { id } member { id }
        }
    }"#;

pub const SHARING: &str = r#"
    mutation($input: UpdateSharingSettingsInput!) {
        updateSharingSettings(input: $input) { sharingSettings { panelDetail partners version } }
    }"#;

impl World {
    pub async fn build(app: &TestApp) -> Self {
        let operator = app
            .bootstrap_operator("operators", "Platform Operations")
            .await;
        let admin = token(&operator, Role::PlatformAdmin);
        let create = |slug: &'static str, name: &'static str, kind: &'static str| {
            let admin = admin.clone();
            async move { create_org(app, &admin, slug, name, kind).await }
        };
        let council_a = create("council-a", "Alpha Borough Council", "COUNCIL").await;
        let council_b = create("council-b", "Beta Borough Council", "COUNCIL").await;
        let fire = create(
            "fire-c",
            "Gamma Fire and Rescue Service",
            "FIRE_AND_RESCUE_SERVICE",
        )
        .await;
        let panel = create("panel-p", "Panel P", "REGIONAL_PANEL").await;
        let other_panel = create("panel-q", "Panel Q", "REGIONAL_PANEL").await;
        let partner = create("partner-l", "Partner Body L", "PARTNER_BODY").await;
        for (p, m) in [
            (&panel, &council_a),
            (&panel, &fire),
            (&other_panel, &council_b),
        ] {
            app.gql(Some(&admin), ADD_MEMBER, json!({ "panel": p, "member": m }))
                .await
                .data();
        }
        for (org, level) in [(&council_a, "NAMED"), (&council_b, "AGGREGATE")] {
            app.gql(
                Some(&token(org, Role::Manager)),
                SHARING,
                json!({ "input": { "version": 1, "partners": level } }),
            )
            .await
            .data();
        }
        World {
            operator,
            admin,
            council_a,
            council_b,
            fire,
            panel,
            other_panel,
            partner,
        }
    }

    /// Every organisation with a label, for messages.
    pub fn all(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("operator", &self.operator),
            ("council_a", &self.council_a),
            ("council_b", &self.council_b),
            ("fire", &self.fire),
            ("panel", &self.panel),
            ("other_panel", &self.other_panel),
            ("partner", &self.partner),
        ]
    }
}

/// Adds `member` to `panel` through the API, as the platform administrator `admin`.
pub async fn add_member(app: &TestApp, admin: &str, panel: &str, member: &str) {
    app.gql(
        Some(admin),
        ADD_MEMBER,
        json!({ "panel": panel, "member": member }),
    )
    .await
    .data();
}

/// Creates an organisation through the API and returns its id.
pub async fn create_org(app: &TestApp, admin: &str, slug: &str, name: &str, kind: &str) -> String {
    let resp = app
        .gql(
            Some(admin),
            CREATE_ORG,
            json!({ "input": { "slug": slug, "name": name, "kind": kind, "region": "London" } }),
        )
        .await;
    resp.data()["createOrganisation"]["organisation"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The ids in a connection's edges.
pub fn edge_ids(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

const SETTINGS: &str = "{ me { organisation { sharingSettings { version } } } }";

/// Sets `org`'s sharing, at whatever version it is.
pub async fn share(app: &TestApp, org: &str, panel_detail: bool, partners: &str) {
    let manager = token(org, Role::Manager);
    let resp = app.gql(Some(&manager), SETTINGS, json!({})).await;
    let version = resp.data()["me"]["organisation"]["sharingSettings"]["version"].clone();
    app.gql(
        Some(&manager),
        SHARING,
        json!({ "input": { "version": version, "panelDetail": panel_detail, "partners": partners } }),
    )
    .await
    .data();
}
