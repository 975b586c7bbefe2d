//! Every assurance query and mutation, aimed at another organisation's frameworks,
//! assessments, challenges and links: nothing is read or changed. And the standard's view in
//! an organisation, where assessments meet the action tracker.

use resilience_hub::auth::Role;
use serde_json::{Value, json};

use crate::assurance::{
    self, ASSESSMENT, ATTACH, CHALLENGE, COMPARISON, COMPLETE, LINK_ACTION, MODERATE, NEW_VERSION,
    PROGRESS, PUBLISH, PUBLISH_FRAMEWORK, RATE, REOPEN, SUBMIT, UPDATE_FRAMEWORK, challenge,
    framework,
};
use crate::helpers::{api_test, token};
use crate::plan::{self, People, UPDATE_RECOMMENDATION, ok};
use crate::world::{SHARING, World};

const NODE: &str = "query($id: ID!) { node(id: $id) { id } }";
const LIST: &str = "{ assessments(first: 50) { totalCount } }";
const FRAMEWORKS: &str = "{ frameworks(first: 50) { nodes { id } } }";
const LINK: &str = r#"
    mutation($rec: ID!, $std: ID!) {
        linkRecommendationStandard(input: { recommendationId: $rec, standardId: $std }) {
            recommendation { id standards { id code } }
        }
    }"#;
const UNLINK: &str = r#"
    mutation($rec: ID!, $std: ID!) {
        unlinkRecommendationStandard(input: { recommendationId: $rec, standardId: $std }) {
            recommendation { id standards { id code } }
        }
    }"#;
const UNLINK_ACTION: &str = r#"
    mutation($input: RatingActionInput!) {
        unlinkRatingAction(input: $input) { rating { id } }
    }"#;
const STANDARD_IN: &str = r#"
    query($org: ID!, $std: ID!, $asOf: Date) {
        organisation(id: $org) {
            standard(id: $std, asOf: $asOf) {
                standard { code }
                assessment { id }
                selfLevel { code }
                moderatedLevel { code }
                openRecommendations { reference }
                actions { total green amber red }
                asOf
            }
        }
    }"#;

api_test!(no_organisation_reads_or_changes_anothers_assurance, |app| {
    let w = World::build(&app).await;
    let own = People::of(&w.council_a);
    let panel = token(&w.panel, Role::Manager);
    let fw = framework(&app, &w.admin, "NRS", 2).await;
    let panel_fw = assurance::draft(&app, &panel, "PANEL-P", 1).await;
    let panel_fw_id = plan::id(&panel_fw);
    let panel_published = framework(&app, &panel, "PANEL-PUB", 1).await;

    // Council A: a draft, and a submitted assessment under an open challenge session.
    let assurance::Detailed {
        draft,
        submitted,
        version: submitted_version,
        rating,
        evidence,
        recommendation: rec,
        action,
    } = assurance::detailed(&app, &own.manager, &fw).await;
    ok(
        &app,
        &own.manager,
        LINK,
        json!({ "rec": rec, "std": fw.standards[0] }),
        &["linkRecommendationStandard"],
    )
    .await;
    let c = challenge(&app, &panel, &submitted, "2025-01-20").await;
    let m = ok(
        &app,
        &panel,
        MODERATE,
        json!({ "input": { "challengeId": c, "standardId": fw.standards[0], "level": "GOOD_PRACTICE", "outcome": "AGREED" } }),
        &["moderateRating", "moderation"],
    )
    .await;
    let before = app.snapshot().await;
    let owner_view = assurance::read(&app, &own.manager, &submitted).await;

    let mut attackers: Vec<(String, String)> = Vec::new();
    for role in [Role::Viewer, Role::Contributor, Role::Manager] {
        attackers.push((format!("council_b {role:?}"), token(&w.council_b, role)));
        attackers.push((format!("other_panel {role:?}"), token(&w.other_panel, role)));
        attackers.push((format!("partner {role:?}"), token(&w.partner, role)));
    }
    attackers.push((
        "platform admin".to_owned(),
        token(&w.operator, Role::PlatformAdmin),
    ));

    let mutations: Vec<(&str, &str, Value)> = vec![
        (
            "rateStandard",
            RATE,
            json!({ "input": { "assessmentId": draft, "standardId": fw.standards[0], "version": 1, "level": "NOT_MET" } }),
        ),
        (
            "attachRatingEvidence",
            ATTACH,
            json!({ "input": { "assessmentId": draft, "standardId": fw.standards[0], "title": "Planted", "reference": "X" } }),
        ),
        (
            "linkRatingAction",
            LINK_ACTION,
            json!({ "input": { "assessmentId": draft, "standardId": fw.standards[0], "actionId": action } }),
        ),
        (
            "unlinkRatingAction",
            UNLINK_ACTION,
            json!({ "input": { "assessmentId": submitted, "standardId": fw.standards[0], "actionId": action } }),
        ),
        (
            "submitAssessment",
            SUBMIT,
            json!({ "input": { "id": draft, "version": 1 } }),
        ),
        (
            "reopenAssessment",
            REOPEN,
            json!({ "input": { "id": submitted, "version": submitted_version, "reason": "Hostile" } }),
        ),
        (
            "publishAssessment",
            PUBLISH,
            json!({ "input": { "id": submitted, "version": submitted_version } }),
        ),
        (
            "recordChallenge",
            CHALLENGE,
            json!({ "input": { "assessmentId": submitted, "heldOn": "2025-01-21" } }),
        ),
        (
            "moderateRating",
            MODERATE,
            json!({ "input": { "challengeId": c, "standardId": fw.standards[1], "level": "NOT_MET", "outcome": "ADJUSTED" } }),
        ),
        ("completeModeration", COMPLETE, json!({ "id": c })),
        (
            "linkRecommendationStandard",
            LINK,
            json!({ "rec": rec, "std": fw.standards[1] }),
        ),
        (
            "updateFramework",
            UPDATE_FRAMEWORK,
            json!({ "input": { "id": panel_fw_id, "revision": 1, "name": "Taken over" } }),
        ),
        (
            "publishFramework",
            PUBLISH_FRAMEWORK,
            json!({ "id": panel_fw_id, "revision": 1 }),
        ),
        (
            "createFrameworkVersion",
            NEW_VERSION,
            json!({ "id": panel_published.id }),
        ),
    ];
    for (who, tok) in &attackers {
        // Reads: absent, whatever the kind of object.
        for (what, id) in [
            ("draft", draft.as_str()),
            ("submitted", submitted.as_str()),
            ("rating", rating.as_str()),
            ("evidence", evidence.as_str()),
            ("challenge", c.as_str()),
            ("moderation", m["id"].as_str().unwrap()),
            ("panel framework", panel_fw_id.as_str()),
        ] {
            let resp = app.gql(Some(tok), NODE, json!({ "id": id })).await;
            assert_eq!(resp.codes(), vec!["NOT_FOUND"], "node {what} by {who}");
        }
        app.gql(Some(tok), ASSESSMENT, json!({ "id": submitted }))
            .await
            .error("NOT_FOUND");
        let listed = app.gql(Some(tok), LIST, json!({})).await;
        assert_eq!(listed.data()["assessments"]["totalCount"], 0, "{who}");
        let frameworks = app.gql(Some(tok), FRAMEWORKS, json!({})).await;
        assert!(!frameworks.body.to_string().contains(&panel_fw_id), "{who}");
        let cmp = app
            .gql(
                Some(tok),
                COMPARISON,
                json!({ "panel": w.panel, "fw": fw.id, "cycle": "2024-25" }),
            )
            .await;
        assert_eq!(cmp.codes(), vec!["NOT_FOUND"], "comparison by {who}");
        let progress = app
            .gql(
                Some(tok),
                PROGRESS,
                json!({ "fw": panel_fw_id, "cycles": ["2024-25"] }),
            )
            .await;
        let made_up = format!("fwk_{}", uuid::Uuid::now_v7().simple());
        let none = app
            .gql(
                Some(tok),
                PROGRESS,
                json!({ "fw": made_up, "cycles": ["2024-25"] }),
            )
            .await;
        assert!(!progress.codes().is_empty(), "progress by {who}");
        assert_eq!(
            progress.body.to_string().replace(&panel_fw_id, "<ID>"),
            none.body.to_string().replace(&made_up, "<ID>"),
            "progress by {who}: as for a framework nobody has"
        );
        let standard = app
            .gql(
                Some(tok),
                STANDARD_IN,
                json!({ "org": w.council_a, "std": fw.standards[0] }),
            )
            .await;
        let hidden = standard.codes() == vec!["NOT_FOUND"]
            || (standard.codes().is_empty()
                && standard.body["data"]["organisation"]["standard"].is_null());
        assert!(hidden, "standard in council_a by {who}: {}", standard.body);

        // Writes: refused, and nothing changes.
        for (name, doc, vars) in &mutations {
            let resp = app.gql(Some(tok), doc, vars.clone()).await;
            let codes = resp.codes();
            assert!(
                codes == vec!["NOT_FOUND"] || codes == vec!["FORBIDDEN"],
                "{name} by {who}: {}",
                resp.body
            );
            // A FORBIDDEN is the caller's role, not the object: the same for ids nobody has.
            let (real, fake) = made_up_everywhere(vars);
            let none = app.gql(Some(tok), doc, fake).await;
            assert_eq!(
                neutral(&resp.body, &real),
                neutral(&none.body, &real),
                "{name} by {who}: as for objects nobody has"
            );
            // A refusal never says what the other organisation's object is or holds.
            let message = resp.body["errors"][0]["message"].as_str().unwrap_or("");
            assert!(
                !message.contains("locked") && !message.contains("submitted"),
                "{name} by {who}: {message}"
            );
        }
        let unlink = app
            .gql(
                Some(tok),
                UNLINK,
                json!({ "rec": rec, "std": fw.standards[0] }),
            )
            .await;
        let made_up = format!("rec_{}", uuid::Uuid::now_v7().simple());
        let none = app
            .gql(
                Some(tok),
                UNLINK,
                json!({ "rec": made_up, "std": fw.standards[0] }),
            )
            .await;
        assert!(!unlink.codes().is_empty(), "unlink by {who}");
        assert_eq!(
            unlink.body.to_string().replace(&rec, "<ID>"),
            none.body.to_string().replace(&made_up, "<ID>"),
            "unlink by {who}: as for a recommendation nobody has"
        );
        assert_eq!(app.snapshot().await, before, "after {who}");
    }
    // The owner's view is intact.
    let after = assurance::read(&app, &own.manager, &submitted).await;
    assert_eq!(after, owner_view);
});

api_test!(
    a_standard_in_an_organisation_shows_its_levels_and_the_tracker_behind_it,
    |app| {
        let w = World::build(&app).await;
        let own = People::of(&w.council_a);
        let panel = token(&w.panel, Role::Manager);
        let fw = framework(&app, &w.admin, "NRS", 2).await;
        let review = plan::review(&app, &own.manager, "Resilience peer challenge").await;
        let r1 = plan::recommendation(&app, &own.manager, &review, "R1").await;
        let r2 = plan::recommendation(&app, &own.manager, &review, "R2").await;
        let r3 = plan::recommendation(&app, &own.manager, &review, "R3").await;
        // R1 and R2 bear on standard 1, R3 on standard 2. R2 is discharged: not open any more.
        for (rec, std) in [
            (&r1, &fw.standards[0]),
            (&r2, &fw.standards[0]),
            (&r3, &fw.standards[1]),
        ] {
            let linked = ok(
                &app,
                &own.manager,
                LINK,
                json!({ "rec": rec, "std": std }),
                &["linkRecommendationStandard", "recommendation"],
            )
            .await;
            assert_eq!(linked["standards"][0]["id"], std.as_str());
        }
        // Linking twice changes nothing.
        let again = ok(
            &app,
            &own.manager,
            LINK,
            json!({ "rec": r1, "std": fw.standards[0] }),
            &["linkRecommendationStandard", "recommendation"],
        )
        .await;
        assert_eq!(again["standards"].as_array().unwrap().len(), 1);
        let v = app
            .gql(
                Some(&own.manager),
                "query($id: ID!) { node(id: $id) { ... on Recommendation { version } } }",
                json!({ "id": r2 }),
            )
            .await
            .data()["node"]["version"]
            .clone();
        ok(
        &app,
        &own.manager,
        UPDATE_RECOMMENDATION,
        json!({ "input": { "id": r2, "version": v, "status": "DISCHARGED", "statusOn": "2024-06-01" } }),
        &["updateRecommendation"],
    )
    .await;
        // R1's actions at 30 June 2025: one overdue, one not yet due. R2's and R3's do not count.
        plan::action(
            &app,
            &own.manager,
            &r1,
            "Refresh the risk register",
            "2024-04-01",
            "2025-01-31",
        )
        .await;
        plan::action(
            &app,
            &own.manager,
            &r1,
            "Exercise the recovery plan",
            "2024-04-01",
            "2025-12-31",
        )
        .await;
        plan::action(
            &app,
            &own.manager,
            &r2,
            "Closed work",
            "2024-04-01",
            "2025-01-31",
        )
        .await;
        plan::action(
            &app,
            &own.manager,
            &r3,
            "Other standard",
            "2024-04-01",
            "2025-01-31",
        )
        .await;
        // Assessed DEVELOPING; the panel moderates it down to NOT_MET.
        let a = assurance::assessed(
            &app,
            &own.manager,
            &fw,
            "2024-25",
            &["DEVELOPING", "GOOD_PRACTICE"],
        )
        .await;
        let c = challenge(&app, &panel, &a, "2025-02-10").await;
        ok(
        &app,
        &panel,
        MODERATE,
        json!({ "input": { "challengeId": c, "standardId": fw.standards[0], "level": "NOT_MET", "outcome": "ADJUSTED" } }),
        &["moderateRating"],
    )
    .await;

        let vars = json!({ "org": w.council_a, "std": fw.standards[0], "asOf": "2025-06-30" });
        let expected = json!({
            "standard": { "code": "S-01" },
            "assessment": { "id": a },
            "selfLevel": { "code": "DEVELOPING" },
            "moderatedLevel": { "code": "NOT_MET" },
            "openRecommendations": [{ "reference": "R1" }],
            "actions": { "total": 2, "green": 0, "amber": 1, "red": 1 },
            "asOf": "2025-06-30",
        });
        let mine = app.gql(Some(&own.viewer), STANDARD_IN, vars.clone()).await;
        assert_eq!(mine.data()["organisation"]["standard"], expected);
        // Its panel reads it only where the organisation shares detail.
        let panel_viewer = token(&w.panel, Role::Viewer);
        let closed = app
            .gql(Some(&panel_viewer), STANDARD_IN, vars.clone())
            .await;
        assert_eq!(closed.data()["organisation"]["standard"], Value::Null);
        app.gql(
            Some(&own.manager),
            SHARING,
            json!({ "input": { "version": 2, "panelDetail": true } }),
        )
        .await
        .data();
        let open = app
            .gql(Some(&panel_viewer), STANDARD_IN, vars.clone())
            .await;
        assert_eq!(open.data()["organisation"]["standard"], expected);

        // Links are managers' to change; an unknown standard is bad input.
        app.gql(
            Some(&own.contributor),
            UNLINK,
            json!({ "rec": r1, "std": fw.standards[0] }),
        )
        .await
        .error("FORBIDDEN");
        for (std, code) in [
            ("std_0193a6f0c1d27c3a9f0e4b5a6c7d8e9f", "BAD_USER_INPUT"),
            ("std_x", "BAD_USER_INPUT"),
        ] {
            let resp = app
                .gql(Some(&own.manager), LINK, json!({ "rec": r1, "std": std }))
                .await;
            assert_eq!(resp.error(code)["extensions"]["field"], "input.standardId");
        }
        let unlinked = ok(
            &app,
            &own.manager,
            UNLINK,
            json!({ "rec": r1, "std": fw.standards[0] }),
            &["unlinkRecommendationStandard", "recommendation"],
        )
        .await;
        assert_eq!(unlinked["standards"], json!([]));
        let after = app.gql(Some(&own.viewer), STANDARD_IN, vars).await;
        let view = &after.data()["organisation"]["standard"];
        assert_eq!(view["openRecommendations"], json!([]));
        assert_eq!(view["actions"]["total"], 0);
    }
);

/// The variables with every id replaced by a made-up one of the same kind, and the pairs.
fn made_up_everywhere(vars: &Value) -> (Vec<(String, String)>, Value) {
    let mut pairs = Vec::new();
    let text = vars.to_string();
    let mut out = text.clone();
    for word in text.split('"') {
        let is_id = word.len() == 36
            && word.as_bytes()[3] == b'_'
            && word[4..].bytes().all(|b| b.is_ascii_hexdigit());
        if is_id && !pairs.iter().any(|(r, _): &(String, String)| r == word) {
            let fake = format!("{}_{}", &word[..3], uuid::Uuid::now_v7().simple());
            out = out.replace(word, &fake);
            pairs.push((word.to_owned(), fake));
        }
    }
    (pairs, serde_json::from_str(&out).unwrap())
}

/// A response with each real or made-up id of `pairs` replaced by the same placeholder.
fn neutral(body: &Value, pairs: &[(String, String)]) -> String {
    let mut text = body.to_string();
    for (i, (real, fake)) in pairs.iter().enumerate() {
        text = text
            .replace(real, &format!("<ID{i}>"))
            .replace(fake, &format!("<ID{i}>"));
    }
    text
}
