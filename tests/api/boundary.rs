//! The tenant boundary where it was found to bend: another panel's judgements, another
//! organisation's people, ids that tell whether an organisation exists, a platform
//! administrator reading a panel's framework, and a member's draft read through its evidence.

use resilience_hub::auth::Role;
use resilience_hub::ids::OrgId;
use resilience_hub::organisations::OrgKind;
use serde_json::{Value, json};

use crate::assurance::{
    self, ATTACH, PROGRESS, assessed, challenge, framework, moderate_all, rate_all, start,
};
use crate::helpers::{Claims, api_test, token};
use crate::plan::{self, CREATE_REVIEW, People, UPDATE_REVIEW, id, ok};
use crate::world::{World, add_member, create_org, share};

const NODE: &str = "query($id: ID!) { node(id: $id) { id } }";
const PERSON: &str =
    "query($id: ID!) { node(id: $id) { id ... on User { displayName email createdAt } } }";

/// The moderated count at `level` of every row of a standardsProgress answer.
fn moderated_at(progress: &Value, level: &str) -> Vec<Value> {
    progress["rows"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| row["levels"].as_array().unwrap().iter())
        .filter(|l| l["level"]["code"] == level)
        .map(|l| l["moderatedCount"].clone())
        .collect()
}

api_test!(a_panel_counts_only_its_own_moderations, |app| {
    let w = World::build(&app).await;
    // Council A sits on both panels.
    add_member(&app, &w.admin, &w.other_panel, &w.council_a).await;
    let fw = framework(&app, &w.admin, "NRS", 2).await;
    let a_manager = token(&w.council_a, Role::Manager);
    let a = assessed(
        &app,
        &a_manager,
        &fw,
        "2024-25",
        &["DEVELOPING", "DEVELOPING"],
    )
    .await;
    // Panel P moderates both standards up to leading practice.
    let p_manager = token(&w.panel, Role::Manager);
    let c = challenge(&app, &p_manager, &a, "2024-11-20").await;
    let leading = [
        ("LEADING_PRACTICE", "ADJUSTED"),
        ("LEADING_PRACTICE", "ADJUSTED"),
    ];
    moderate_all(&app, &p_manager, &c, &fw, &leading).await;

    let progress = |tok: String| {
        let app = &app;
        let fw = fw.id.clone();
        async move {
            app.gql(
                Some(&tok),
                PROGRESS,
                json!({ "fw": fw, "cycles": ["2024-25"] }),
            )
            .await
            .data()["standardsProgress"]
                .clone()
        }
    };
    let p = progress(token(&w.panel, Role::Viewer)).await;
    assert_eq!(
        moderated_at(&p, "LEADING_PRACTICE"),
        vec![json!(1), json!(1)]
    );
    // Panel Q judged nothing: it reads its member's own levels, and no moderation of P's.
    let q = progress(token(&w.other_panel, Role::Viewer)).await;
    for level in assurance::LEVELS {
        assert_eq!(
            moderated_at(&q, level),
            vec![json!(0), json!(0)],
            "panel Q's moderated count at {level}"
        );
    }
    let own: Vec<Value> = q["rows"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| row["levels"].as_array().unwrap().iter())
        .filter(|l| l["level"]["code"] == "DEVELOPING")
        .map(|l| l["selfCount"].clone())
        .collect();
    assert_eq!(own, vec![json!(1), json!(1)]);
});

api_test!(the_moderation_in_force_is_the_latest_one_counted, |app| {
    let w = World::build(&app).await;
    let all = create_org(&app, &w.admin, "all", "All Members Panel", "REGIONAL_PANEL").await;
    let few = create_org(
        &app,
        &w.admin,
        "few",
        "Three Members Panel",
        "REGIONAL_PANEL",
    )
    .await;
    let fw = framework(&app, &w.admin, "NRS", 2).await;
    // Six councils share in aggregate with partners; the first three sit on both panels.
    let mut assessments = Vec::new();
    for i in 0..6 {
        let org = create_org(
            &app,
            &w.admin,
            &format!("c{i}"),
            &format!("Council C{i}"),
            "COUNCIL",
        )
        .await;
        let panels: &[&String] = if i < 3 { &[&all, &few] } else { &[&all] };
        for panel in panels {
            add_member(&app, &w.admin, panel, &org).await;
        }
        share(&app, &org, false, "AGGREGATE").await;
        let manager = token(&org, Role::Manager);
        assessments.push(
            assessed(
                &app,
                &manager,
                &fw,
                "2024-25",
                &["DEVELOPING", "DEVELOPING"],
            )
            .await,
        );
    }
    let all_manager = token(&all, Role::Manager);
    let few_manager = token(&few, Role::Manager);
    // The first session: the whole panel moderates every member up to good practice.
    for a in &assessments {
        let c = challenge(&app, &all_manager, a, "2024-11-20").await;
        let good = ("GOOD_PRACTICE", "ADJUSTED");
        moderate_all(&app, &all_manager, &c, &fw, &[good, good]).await;
    }
    let before_second = chrono::Utc::now().to_rfc3339();
    // Later, of the first three members: the three-member panel judges both standards not
    // met, and then the whole panel moves the first to leading practice.
    for a in &assessments[..3] {
        let c = challenge(&app, &few_manager, a, "2025-01-10").await;
        let not_met = ("NOT_MET", "ADJUSTED");
        moderate_all(&app, &few_manager, &c, &fw, &[not_met, not_met]).await;
        let c = challenge(&app, &all_manager, a, "2025-02-01").await;
        moderate_all(
            &app,
            &all_manager,
            &c,
            &fw,
            &[("LEADING_PRACTICE", "ADJUSTED")],
        )
        .await;
    }

    let progress = |tok: String, known: Option<String>| {
        let app = &app;
        let fw = fw.id.clone();
        async move {
            let query = PROGRESS
                .replace("$cycles: [String!]!)", "$cycles: [String!]!, $k: DateTime)")
                .replace("cycles: $cycles)", "cycles: $cycles, knownAt: $k)");
            app.gql(
                Some(&tok),
                &query,
                json!({ "fw": fw, "cycles": ["2024-25"], "k": known }),
            )
            .await
            .data()["standardsProgress"]
                .clone()
        }
    };
    // Per level, the moderated count of the first standard and of the second.
    let counts = |p: &Value| -> Vec<(String, Vec<Value>)> {
        assurance::LEVELS
            .iter()
            .map(|l| (l.to_string(), moderated_at(p, l)))
            .collect()
    };
    let partner = token(&w.partner, Role::Viewer);
    // Who asks, as known when, whether small groups are withheld from it, and the counts at
    // NOT_MET, DEVELOPING, GOOD_PRACTICE and LEADING_PRACTICE.
    let cases = [
        // A partner body counts the latest moderation of each standard, by whichever panel.
        (
            "a partner body",
            partner.clone(),
            None,
            true,
            [[0, 3], [0, 0], [3, 3], [3, 0]],
        ),
        // Each panel counts its own latest judgements only.
        (
            "the whole panel",
            token(&all, Role::Viewer),
            None,
            false,
            [[0, 0], [0, 0], [3, 6], [3, 0]],
        ),
        (
            "the three-member panel",
            token(&few, Role::Viewer),
            None,
            false,
            [[3, 3], [0, 0], [0, 0], [0, 0]],
        ),
        // As known before the later sessions, the first one's judgements are in force.
        (
            "a partner body, as known before the later sessions",
            partner,
            Some(before_second),
            true,
            [[0, 0], [0, 0], [6, 6], [0, 0]],
        ),
    ];
    for (who, tok, known, suppressing, expected) in cases {
        let p = progress(tok, known).await;
        assert_eq!(p["suppressing"], suppressing, "{who}");
        let expected: Vec<(String, Vec<Value>)> = assurance::LEVELS
            .iter()
            .zip(expected)
            .map(|(l, n)| (l.to_string(), n.iter().map(|n| json!(n)).collect()))
            .collect();
        assert_eq!(counts(&p), expected, "{who}");
    }
});

api_test!(
    another_organisations_person_is_a_name_and_nothing_more,
    |app| {
        let w = World::build(&app).await;
        share(&app, &w.council_a, true, "NAMED").await;
        let a = People::of(&w.council_a);
        let mut claims = Claims::new(&w.council_a, Role::Contributor);
        claims.name = Some("Priya Shah".to_owned());
        claims.email = Some("priya.shah@alpha.example".to_owned());
        let author = claims.sign();
        let review = plan::review(&app, &a.manager, "Peer challenge").await;
        let rec = plan::recommendation(&app, &a.manager, &review, "R1").await;
        let action = plan::action(
            &app,
            &a.manager,
            &rec,
            "Exercise",
            "2024-04-01",
            "2025-03-31",
        )
        .await;
        plan::update(&app, &author, &action, "2024-06-30", Some("IN_PROGRESS")).await;

        const AUTHOR: &str = "query($id: ID!) { action(id: $id) { updates(first: 5) { nodes { author { id displayName email } } } } }";
        let author_of = |tok: String| {
            let app = &app;
            let action = action.clone();
            async move {
                app.gql(Some(&tok), AUTHOR, json!({ "id": action }))
                    .await
                    .data()["action"]["updates"]["nodes"][0]["author"]
                    .clone()
            }
        };
        // A colleague reads the whole profile.
        let colleague = author_of(a.viewer.clone()).await;
        assert_eq!(colleague["email"], "priya.shah@alpha.example");
        let person = colleague["id"].as_str().unwrap().to_owned();
        let full = app
            .gql(Some(&a.viewer), PERSON, json!({ "id": person }))
            .await;
        assert_eq!(full.data()["node"]["email"], "priya.shah@alpha.example");

        // The panel reads the update (detail is shared), and of its author a name only, by every
        // path: the update's author and the person by id.
        let panel = token(&w.panel, Role::Viewer);
        let seen = author_of(panel.clone()).await;
        assert_eq!(
            seen,
            json!({ "id": person, "displayName": "Priya Shah", "email": null })
        );
        let by_id = app.gql(Some(&panel), PERSON, json!({ "id": person })).await;
        assert_eq!(by_id.data()["node"]["displayName"], "Priya Shah");
        assert_eq!(by_id.data()["node"]["email"], Value::Null);

        // An organisation with no view of council A does not find the person, exactly as a
        // made-up one.
        let made_up = format!("usr_{}", uuid::Uuid::now_v7().simple());
        let b = token(&w.council_b, Role::Manager);
        let unknown = app.gql(Some(&b), PERSON, json!({ "id": made_up })).await;
        let hidden = app.gql(Some(&b), PERSON, json!({ "id": person })).await;
        assert_eq!(unknown.codes(), vec!["NOT_FOUND"]);
        assert_eq!(
            hidden.error("NOT_FOUND")["message"],
            unknown.error("NOT_FOUND")["message"]
        );
    }
);

api_test!(naming_an_unseen_organisation_is_like_naming_none, |app| {
    let w = World::build(&app).await;
    let a = People::of(&w.council_a);
    let made_up = format!("org_{}", uuid::Uuid::now_v7().simple());
    let create = |reviewer: &str| json!({ "input": { "kind": "PEER_CHALLENGE", "title": "Peer challenge", "status": "REPORTED", "reviewerOrganisationId": reviewer } });
    let before = app.snapshot().await;
    let unknown = app
        .gql(Some(&a.manager), CREATE_REVIEW, create(&made_up))
        .await;
    let unseen = app
        .gql(Some(&a.manager), CREATE_REVIEW, create(&w.council_b))
        .await;
    assert_eq!(unknown.codes(), vec!["BAD_USER_INPUT"]);
    assert_eq!(unseen.codes(), vec!["BAD_USER_INPUT"]);
    assert_eq!(
        unseen.error("BAD_USER_INPUT"),
        unknown.error("BAD_USER_INPUT")
    );
    assert_eq!(app.snapshot().await, before);

    // Its own panel, which it sees, may be named; and an update may not switch to the unseen.
    let review = ok(
        &app,
        &a.manager,
        CREATE_REVIEW,
        create(&w.panel),
        &["createReview", "review"],
    )
    .await;
    let update = |reviewer: &str| json!({ "input": { "id": review["id"], "version": review["version"], "reviewerOrganisationId": reviewer } });
    let unknown = app
        .gql(Some(&a.manager), UPDATE_REVIEW, update(&made_up))
        .await;
    let unseen = app
        .gql(Some(&a.manager), UPDATE_REVIEW, update(&w.council_b))
        .await;
    assert_eq!(unknown.codes(), vec!["BAD_USER_INPUT"]);
    assert_eq!(
        unseen.error("BAD_USER_INPUT"),
        unknown.error("BAD_USER_INPUT")
    );
    let stored = app
        .gql(
            Some(&a.manager),
            "query($id: ID!) { review(id: $id) { version reviewerOrganisation { id } } }",
            json!({ "id": review["id"] }),
        )
        .await;
    assert_eq!(
        stored.data()["review"],
        json!({ "version": review["version"], "reviewerOrganisation": { "id": w.panel } })
    );

    // A framework's code is checked against the frameworks the caller can see and its own,
    // never against another panel's drafts.
    let q = token(&w.other_panel, Role::Manager);
    assurance::draft(&app, &q, "PANEL-X", 1).await;
    let p = token(&w.panel, Role::Manager);
    assurance::draft(&app, &p, "PANEL-X", 1).await;
    let again = app
        .gql(
            Some(&p),
            assurance::CREATE_FRAMEWORK,
            json!({ "input": assurance::framework_input("PANEL-X", "Again", 1) }),
        )
        .await;
    assert_eq!(again.codes(), vec!["BAD_USER_INPUT"]);
});

api_test!(a_platform_administrator_reads_no_panel_framework, |app| {
    let w = World::build(&app).await;
    // An operator that is itself a council, on panel P.
    let ops = app
        .bootstrap_org("ops-council", "Operations Council", OrgKind::Council)
        .await;
    resilience_hub::organisations::service::set_operator_unattended(
        app.database().conn(),
        OrgId::parse("id", &ops).unwrap(),
        true,
    )
    .await
    .unwrap();
    add_member(&app, &w.admin, &w.panel, &ops).await;
    let panel_fw = framework(&app, &token(&w.panel, Role::Manager), "PANEL-PUB", 1).await;

    // The council's own viewer reads its panel's framework ...
    let member = token(&ops, Role::Viewer);
    app.gql(Some(&member), NODE, json!({ "id": panel_fw.id }))
        .await
        .data();
    // ... its platform administrator does not, nor its standards.
    let admin = token(&ops, Role::PlatformAdmin);
    for target in [&panel_fw.id, &panel_fw.standards[0]] {
        let resp = app.gql(Some(&admin), NODE, json!({ "id": target })).await;
        assert_eq!(resp.codes(), vec!["NOT_FOUND"], "{target}");
    }
    let resp = app
        .gql(
            Some(&admin),
            "query($id: ID!) { framework(id: $id) { id } }",
            json!({ "id": panel_fw.id }),
        )
        .await;
    assert_eq!(resp.codes(), vec!["NOT_FOUND"]);
    let listed = app
        .gql(
            Some(&admin),
            "{ frameworks(first: 50) { nodes { id } } }",
            json!({}),
        )
        .await;
    assert!(
        !listed.data()["frameworks"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == panel_fw.id.as_str())
    );
});

api_test!(a_members_draft_is_not_read_through_its_evidence, |app| {
    let w = World::build(&app).await;
    share(&app, &w.council_a, true, "NAMED").await;
    let fw = framework(&app, &w.admin, "NRS", 1).await;
    let a = People::of(&w.council_a);
    let draft = start(&app, &a.manager, &fw, "2025-26").await;
    rate_all(&app, &a.manager, &draft, &fw, &["DEVELOPING"]).await;
    let evidence = ok(
        &app,
        &a.manager,
        ATTACH,
        json!({ "input": { "assessmentId": draft, "standardId": fw.standards[0], "title": "Draft exercise notes", "reference": "EX-1" } }),
        &["attachRatingEvidence", "evidence"],
    )
    .await;
    let evidence = id(&evidence);
    // The owner reads it; the panel, which reads the member's detail once submitted, does not
    // read a draft's.
    app.gql(Some(&a.viewer), NODE, json!({ "id": evidence }))
        .await
        .data();
    let panel = token(&w.panel, Role::Viewer);
    for target in [&draft, &evidence] {
        let resp = app.gql(Some(&panel), NODE, json!({ "id": target })).await;
        assert_eq!(resp.codes(), vec!["NOT_FOUND"], "{target}");
    }
});
