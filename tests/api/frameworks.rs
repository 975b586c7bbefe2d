//! Frameworks of standards: drafts, publication, immutability, versions, and who owns them.

use resilience_hub::auth::Role;
use serde_json::json;

use crate::assurance::{
    CREATE_FRAMEWORK, NEW_VERSION, PUBLISH_FRAMEWORK, UPDATE_FRAMEWORK, draft, framework_input,
};
use crate::helpers::{api_test, token};
use crate::plan::ok;
use crate::world::World;

const FRAMEWORK: &str = r#"
    query($id: ID!) {
        framework(id: $id) { id name status version revision standards { id code } levels { code } }
    }"#;
const FRAMEWORKS: &str = "{ frameworks(first: 50) { totalCount nodes { id } } }";
const TRAIL: &str =
    "query($id: ID) { auditEvents(entityId: $id) { totalCount nodes { operation entityType } } }";

api_test!(
    a_framework_is_edited_as_a_draft_and_never_changes_once_published,
    |app| {
        let w = World::build(&app).await;
        let council = token(&w.council_a, Role::Manager);
        let fw = draft(&app, &w.admin, "NRS-LRF", 3).await;
        assert_eq!(fw["shared"], true);
        assert_eq!(fw["owner"], json!(null));
        assert_eq!(
            (fw["version"].as_i64(), fw["status"].as_str()),
            (Some(1), Some("DRAFT"))
        );
        assert_eq!(fw["levels"].as_array().unwrap().len(), 4);
        let id = fw["id"].as_str().unwrap().to_owned();

        // Nobody assesses against a draft, or reads it, but its editors.
        app.gql(Some(&council), FRAMEWORK, json!({ "id": id }))
            .await
            .error("NOT_FOUND");
        let listed = app.gql(Some(&council), FRAMEWORKS, json!({})).await;
        assert_eq!(listed.data()["frameworks"]["totalCount"], 0);

        // A draft changes, at its revision.
        let mut input = framework_input("NRS-LRF", "ignored", 4);
        input["id"] = json!(id);
        input["revision"] = json!(1);
        input["name"] = json!("National Resilience Standards for LRFs");
        input.as_object_mut().unwrap().remove("code");
        let changed = ok(
            &app,
            &w.admin,
            UPDATE_FRAMEWORK,
            json!({ "input": input }),
            &["updateFramework", "framework"],
        )
        .await;
        assert_eq!(changed["revision"], 2);
        assert_eq!(changed["standards"].as_array().unwrap().len(), 4);
        assert_eq!(changed["name"], "National Resilience Standards for LRFs");
        // A stale revision is a conflict.
        app.gql(
            Some(&w.admin),
            UPDATE_FRAMEWORK,
            json!({ "input": { "id": id, "revision": 1, "name": "Stale" } }),
        )
        .await
        .error("CONFLICT");

        let published = ok(
            &app,
            &w.admin,
            PUBLISH_FRAMEWORK,
            json!({ "id": id, "revision": 2 }),
            &["publishFramework", "framework"],
        )
        .await;
        assert_eq!(published["status"], "PUBLISHED");
        assert!(published["publishedAt"].is_string());
        let seen = app
            .gql(Some(&council), FRAMEWORK, json!({ "id": id }))
            .await;
        let v1 = seen.data()["framework"].clone();
        assert_eq!(v1["standards"].as_array().unwrap().len(), 4);

        // Published: locked, with a message that says what to do instead.
        let before = app.snapshot().await;
        let locked = app
            .gql(
                Some(&w.admin),
                UPDATE_FRAMEWORK,
                json!({ "input": { "id": id, "revision": 3, "name": "Rewritten" } }),
            )
            .await;
        let err = locked.error("FORBIDDEN");
        assert!(
            err["message"].as_str().unwrap().contains("new version"),
            "{err}"
        );
        app.gql(
            Some(&w.admin),
            PUBLISH_FRAMEWORK,
            json!({ "id": id, "revision": 3 }),
        )
        .await
        .error("FORBIDDEN");
        assert_eq!(app.snapshot().await, before);

        // The next version is a new framework linked to its predecessor.
        let v2 = ok(
            &app,
            &w.admin,
            NEW_VERSION,
            json!({ "id": id }),
            &["createFrameworkVersion", "framework"],
        )
        .await;
        assert_eq!(
            (v2["version"].as_i64(), v2["status"].as_str()),
            (Some(2), Some("DRAFT"))
        );
        assert_eq!(v2["predecessor"]["id"], id.as_str());
        assert_eq!(v2["code"], "NRS-LRF");
        let codes = |fw: &serde_json::Value| -> Vec<String> {
            fw["standards"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["code"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(codes(&v2), codes(&v1));
        assert_ne!(v2["standards"][0]["id"], v1["standards"][0]["id"]);
        // Only from the latest version.
        let again = app
            .gql(Some(&w.admin), NEW_VERSION, json!({ "id": id }))
            .await;
        assert_eq!(
            again.error("BAD_USER_INPUT")["extensions"]["field"],
            "input.predecessorId"
        );
        // The published version is as it was.
        let still = app
            .gql(Some(&council), FRAMEWORK, json!({ "id": id }))
            .await;
        assert_eq!(still.data()["framework"], v1);

        // Every change is on the operator's record.
        let trail = app.gql(Some(&w.admin), TRAIL, json!({ "id": id })).await;
        assert_eq!(
            trail.data()["auditEvents"]["totalCount"],
            3,
            "{}",
            trail.body
        );
    }
);

api_test!(a_panel_owns_its_framework_and_its_members_read_it, |app| {
    let w = World::build(&app).await;
    let panel = token(&w.panel, Role::Manager);
    let fw = draft(&app, &panel, "LAP-RS", 2).await;
    assert_eq!(fw["shared"], false);
    assert_eq!(fw["owner"]["id"], w.panel.as_str());
    let id = fw["id"].as_str().unwrap().to_owned();
    let read = |org: &str| {
        let tok = token(org, Role::Viewer);
        let app = &app;
        let id = id.clone();
        async move { app.gql(Some(&tok), FRAMEWORK, json!({ "id": id })).await }
    };
    // The draft: the panel only.
    read(&w.panel).await.data();
    read(&w.council_a).await.error("NOT_FOUND");
    ok(
        &app,
        &panel,
        PUBLISH_FRAMEWORK,
        json!({ "id": id, "revision": 1 }),
        &["publishFramework"],
    )
    .await;
    // Published: the panel and its members; nobody else.
    read(&w.council_a).await.data();
    read(&w.fire).await.data();
    for outsider in [&w.council_b, &w.other_panel, &w.partner] {
        read(outsider).await.error("NOT_FOUND");
    }
    read(&w.operator).await.error("NOT_FOUND");

    // Another panel cannot version it; only panels' managers and the platform write frameworks.
    let before = app.snapshot().await;
    let other = token(&w.other_panel, Role::Manager);
    app.gql(Some(&other), NEW_VERSION, json!({ "id": id }))
        .await
        .error("NOT_FOUND");
    app.gql(
        Some(&token(&w.council_a, Role::Manager)),
        NEW_VERSION,
        json!({ "id": id }),
    )
    .await
    .error("FORBIDDEN");
    for (org, role) in [
        (&w.panel, Role::Viewer),
        (&w.panel, Role::Contributor),
        (&w.council_a, Role::Manager),
        (&w.partner, Role::Manager),
    ] {
        let resp = app
            .gql(
                Some(&token(org, role)),
                CREATE_FRAMEWORK,
                json!({ "input": framework_input("OWN", "Our own", 2) }),
            )
            .await;
        resp.error("FORBIDDEN");
    }
    assert_eq!(app.snapshot().await, before);

    // A member that assessed itself against it keeps reading it after leaving the panel.
    let member = token(&w.council_a, Role::Manager);
    let a = ok(
        &app,
        &member,
        crate::assurance::CREATE_ASSESSMENT,
        json!({ "input": { "frameworkId": id, "cycle": "2024-25" } }),
        &["createAssessment", "assessment"],
    )
    .await;
    app.gql(
        Some(&w.admin),
        "mutation($p: ID!, $m: ID!) { removePanelMember(input: { panelId: $p, memberId: $m }) { panel { id } } }",
        json!({ "p": w.panel, "m": w.council_a }),
    )
    .await
    .data();
    let kept = app
        .gql(
            Some(&member),
            "query($id: ID!) { assessment(id: $id) { framework { id standards { code } } } }",
            json!({ "id": a["id"] }),
        )
        .await;
    assert_eq!(kept.data()["assessment"]["framework"]["id"], id.as_str());
    read(&w.fire).await.data();
    read(&w.council_b).await.error("NOT_FOUND");
});

api_test!(bad_framework_input_is_refused_with_the_field, |app| {
    let w = World::build(&app).await;
    draft(&app, &w.admin, "TAKEN", 2).await;
    let before = app.snapshot().await;
    let base = framework_input("NEW", "New standards", 3);
    let with = |path: &[&str], value: serde_json::Value| {
        let mut input = base.clone();
        let mut at = &mut input;
        for p in &path[..path.len() - 1] {
            at = match p.parse::<usize>() {
                Ok(i) => &mut at[i],
                Err(_) => &mut at[*p],
            };
        }
        let last = path[path.len() - 1];
        match last.parse::<usize>() {
            Ok(i) => at[i] = value,
            Err(_) => at[last] = value,
        }
        input
    };
    let cases = [
        (with(&["code"], json!("TAKEN")), "input.code"),
        (with(&["code"], json!("lower case")), "input.code"),
        (with(&["name"], json!("x".repeat(10_000))), "input.name"),
        (with(&["name"], json!("   ")), "input.name"),
        (with(&["standards"], json!([])), "input.standards"),
        (
            with(&["standards", "1", "code"], json!("S-01")),
            "input.standards.1.code",
        ),
        (
            with(&["standards", "0", "title"], json!("t".repeat(301))),
            "input.standards.0.title",
        ),
        (
            with(&["levels", "1", "rank"], json!(1)),
            "input.levels.1.rank",
        ),
        (
            with(&["levels", "2", "code"], json!("NOT_MET")),
            "input.levels.2.code",
        ),
        (
            with(
                &["levels"],
                json!([{ "code": "ONLY", "label": "Only", "rank": 1 }]),
            ),
            "input.levels",
        ),
        (
            with(&["levels", "0", "rank"], json!("high")),
            "input.levels.0.rank",
        ),
    ];
    for (input, field) in cases {
        let resp = app
            .gql(Some(&w.admin), CREATE_FRAMEWORK, json!({ "input": input }))
            .await;
        assert_eq!(
            resp.error("BAD_USER_INPUT")["extensions"]["field"],
            field,
            "{}",
            resp.body
        );
    }
    // Ids: malformed, of another kind, unknown.
    for (id, code) in [
        ("fwk_nothex", "BAD_USER_INPUT"),
        (w.council_a.as_str(), "BAD_USER_INPUT"),
        ("fwk_0193a6f0c1d27c3a9f0e4b5a6c7d8e9f", "NOT_FOUND"),
    ] {
        let resp = app
            .gql(
                Some(&w.admin),
                UPDATE_FRAMEWORK,
                json!({ "input": { "id": id, "revision": 1, "name": "X" } }),
            )
            .await;
        resp.error(code);
    }
    // Standards without a scale (or the reverse) would leave a framework half-replaced.
    let resp = app
        .gql(
            Some(&w.admin),
            "query { frameworks(first: 1) { nodes { id revision } } }",
            json!({}),
        )
        .await;
    let fw = resp.data()["frameworks"]["nodes"][0].clone();
    let half = app
        .gql(
            Some(&w.admin),
            UPDATE_FRAMEWORK,
            json!({ "input": { "id": fw["id"], "revision": fw["revision"], "standards": base["standards"] } }),
        )
        .await;
    assert_eq!(
        half.error("BAD_USER_INPUT")["extensions"]["field"],
        "input.standards"
    );
    assert_eq!(app.snapshot().await, before);
});
