//! Assessments: their lifecycle and locking, the panel's challenge and moderation, and the
//! input they refuse.

use resilience_hub::auth::Role;
use serde_json::json;

use crate::assurance::{
    self, ATTACH, CHALLENGE, COMPLETE, CREATE_ASSESSMENT, LINK_ACTION, MODERATE, PUBLISH, RATE,
    REOPEN, SUBMIT, challenge, framework, rate_all, read, start, submit,
};
use crate::helpers::{api_test, token};
use crate::plan::{self, People, ok};
use crate::world::World;

const TRAIL: &str = "query($id: ID) { auditEvents(entityId: $id, first: 50) { nodes { operation entityType after actorOrganisation { id } } } }";

api_test!(
    an_assessment_is_locked_once_submitted_and_reopened_on_the_record,
    |app| {
        let w = World::build(&app).await;
        let people = People::of(&w.council_a);
        let fw = framework(&app, &w.admin, "NRS", 3).await;
        let a = start(&app, &people.manager, &fw, "2024-25").await;
        let draft = read(&app, &people.manager, &a).await;
        assert_eq!(draft["status"], "DRAFT");
        assert_eq!(draft["tier"], "SELF_ASSESSMENT");
        assert_eq!(draft["ratings"].as_array().unwrap().len(), 3);
        assert!(
            draft["ratings"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["level"].is_null())
        );

        // Contributors rate a draft; viewers do not.
        let rating = ok(
        &app,
        &people.contributor,
        RATE,
        json!({ "input": { "assessmentId": a, "standardId": fw.standards[0], "version": 1, "level": "DEVELOPING", "positionStatement": "Plans exist but are untested" } }),
        &["rateStandard", "rating"],
    )
    .await;
        assert_eq!(rating["level"]["code"], "DEVELOPING");
        assert_eq!(rating["version"], 2);
        app.gql(
        Some(&people.viewer),
        RATE,
        json!({ "input": { "assessmentId": a, "standardId": fw.standards[0], "version": 2, "level": "NOT_MET" } }),
    )
    .await
    .error("FORBIDDEN");
        // A stale rating version is a conflict.
        app.gql(
        Some(&people.manager),
        RATE,
        json!({ "input": { "assessmentId": a, "standardId": fw.standards[0], "version": 1, "level": "NOT_MET" } }),
    )
    .await
    .error("CONFLICT");
        // Evidence and the actions that close the gap.
        let review = plan::review(&app, &people.manager, "Peer challenge 2024").await;
        let rec = plan::recommendation(&app, &people.manager, &review, "R1").await;
        let action = plan::action(
            &app,
            &people.manager,
            &rec,
            "Exercise the plan",
            "2024-04-01",
            "2025-03-31",
        )
        .await;
        ok(
        &app,
        &people.contributor,
        ATTACH,
        json!({ "input": { "assessmentId": a, "standardId": fw.standards[0], "title": "Exercise report", "url": "https://example.org/report.pdf" } }),
        &["attachRatingEvidence"],
    )
    .await;
        let linked = ok(
        &app,
        &people.contributor,
        LINK_ACTION,
        json!({ "input": { "assessmentId": a, "standardId": fw.standards[0], "actionId": action } }),
        &["linkRatingAction", "rating"],
    )
    .await;
        assert_eq!(linked["actions"][0]["id"], action.as_str());

        // Every standard must be rated before it is submitted.
        let v = assurance::version(&app, &people.manager, &a).await;
        let early = app
            .gql(
                Some(&people.manager),
                SUBMIT,
                json!({ "input": { "id": a, "version": v } }),
            )
            .await;
        let err = early.error("BAD_USER_INPUT");
        assert!(
            err["message"].as_str().unwrap().contains("2 standards"),
            "{err}"
        );
        rate_all(
            &app,
            &people.contributor,
            &a,
            &fw,
            &["DEVELOPING", "GOOD_PRACTICE", "NOT_MET"],
        )
        .await;
        // Contributors do not submit.
        app.gql(
            Some(&people.contributor),
            SUBMIT,
            json!({ "input": { "id": a, "version": v } }),
        )
        .await
        .error("FORBIDDEN");
        let submitted = submit(&app, &people.manager, &a).await;
        assert_eq!(submitted["status"], "SUBMITTED");
        assert!(submitted["submittedOn"].is_string());

        // Locked: every edit is FORBIDDEN, with a message that says why, and nothing changes.
        let before = app.snapshot().await;
        let current = read(&app, &people.manager, &a).await;
        let version = current["ratings"][1]["version"].clone();
        for (tok, doc, input) in [
            (
                &people.manager,
                RATE,
                json!({ "assessmentId": a, "standardId": fw.standards[1], "version": version, "level": "LEADING_PRACTICE" }),
            ),
            (
                &people.contributor,
                RATE,
                json!({ "assessmentId": a, "standardId": fw.standards[1], "version": version, "level": "LEADING_PRACTICE" }),
            ),
            (
                &people.manager,
                ATTACH,
                json!({ "assessmentId": a, "standardId": fw.standards[1], "title": "Late evidence", "reference": "Doc 12" }),
            ),
            (
                &people.manager,
                LINK_ACTION,
                json!({ "assessmentId": a, "standardId": fw.standards[1], "actionId": action }),
            ),
        ] {
            let resp = app.gql(Some(tok), doc, json!({ "input": input })).await;
            let err = resp.error("FORBIDDEN");
            assert!(err["message"].as_str().unwrap().contains("locked"), "{err}");
        }
        let v = submitted["version"].clone();
        app.gql(
            Some(&people.manager),
            SUBMIT,
            json!({ "input": { "id": a, "version": v } }),
        )
        .await
        .error("FORBIDDEN");
        // Publishing waits for moderation.
        app.gql(
            Some(&people.manager),
            PUBLISH,
            json!({ "input": { "id": a, "version": v } }),
        )
        .await
        .error("FORBIDDEN");
        // Reopening is a manager's act, with a reason.
        app.gql(
            Some(&people.contributor),
            REOPEN,
            json!({ "input": { "id": a, "version": v, "reason": "Typo" } }),
        )
        .await
        .error("FORBIDDEN");
        let blank = app
            .gql(
                Some(&people.manager),
                REOPEN,
                json!({ "input": { "id": a, "version": v, "reason": " " } }),
            )
            .await;
        assert_eq!(
            blank.error("BAD_USER_INPUT")["extensions"]["field"],
            "input.reason"
        );
        assert_eq!(app.snapshot().await, before);

        let reopened = ok(
        &app,
        &people.manager,
        REOPEN,
        json!({ "input": { "id": a, "version": v, "reason": "The panel asked for the exercise evidence first" } }),
        &["reopenAssessment", "assessment"],
    )
    .await;
        assert_eq!(reopened["status"], "DRAFT");
        let trail = app
            .gql(Some(&people.manager), TRAIL, json!({ "id": a }))
            .await;
        let events = trail.data()["auditEvents"]["nodes"]
            .as_array()
            .unwrap()
            .clone();
        let reopen_event = events
            .iter()
            .find(|e| e["after"]["reason"].is_string())
            .unwrap_or_else(|| panic!("no reopening in {events:?}"));
        assert_eq!(reopen_event["operation"], "UPDATE");
        assert_eq!(reopen_event["entityType"], "ASSESSMENT");
        assert_eq!(reopen_event["after"]["status"], "DRAFT");
        assert_eq!(
            reopen_event["after"]["reason"],
            "The panel asked for the exercise evidence first"
        );
        // Open again: the change is allowed.
        ok(
        &app,
        &people.manager,
        RATE,
        json!({ "input": { "assessmentId": a, "standardId": fw.standards[1], "version": version, "level": "LEADING_PRACTICE" } }),
        &["rateStandard"],
    )
    .await;
        assert_eq!(
            submit(&app, &people.manager, &a).await["status"],
            "SUBMITTED"
        );
    }
);

api_test!(
    moderation_keeps_the_organisations_level_beside_the_panels,
    |app| {
        let w = World::build(&app).await;
        let people = People::of(&w.council_a);
        let panel = token(&w.panel, Role::Manager);
        let fw = framework(&app, &w.admin, "NRS", 3).await;
        let a = assurance::assessed(
            &app,
            &people.manager,
            &fw,
            "2024-25",
            &["GOOD_PRACTICE", "GOOD_PRACTICE", "NOT_MET"],
        )
        .await;

        // Only managers of a panel the organisation belongs to challenge it.
        let before = app.snapshot().await;
        let input = json!({ "input": { "assessmentId": a, "heldOn": "2025-01-15" } });
        app.gql(
            Some(&token(&w.panel, Role::Viewer)),
            CHALLENGE,
            input.clone(),
        )
        .await
        .error("FORBIDDEN");
        app.gql(
            Some(&token(&w.other_panel, Role::Manager)),
            CHALLENGE,
            input.clone(),
        )
        .await
        .error("NOT_FOUND");
        app.gql(Some(&people.manager), CHALLENGE, input.clone())
            .await
            .error("FORBIDDEN");
        let future = app
            .gql(
                Some(&panel),
                CHALLENGE,
                json!({ "input": { "assessmentId": a, "heldOn": "2999-01-01" } }),
            )
            .await;
        assert_eq!(
            future.error("BAD_USER_INPUT")["extensions"]["field"],
            "input.heldOn"
        );
        assert_eq!(app.snapshot().await, before);

        let c = challenge(&app, &panel, &a, "2025-01-15").await;
        // The outcome must fit the levels: AGREED keeps the organisation's, ADJUSTED moves it.
        for (level, outcome) in [("DEVELOPING", "AGREED"), ("GOOD_PRACTICE", "ADJUSTED")] {
            let resp = app
            .gql(
                Some(&panel),
                MODERATE,
                json!({ "input": { "challengeId": c, "standardId": fw.standards[0], "level": level, "outcome": outcome } }),
            )
            .await;
            assert_eq!(
                resp.error("BAD_USER_INPUT")["extensions"]["field"],
                "input.outcome"
            );
        }
        let other_fw = framework(&app, &w.admin, "OTHER", 1).await;
        for (standard, level, field) in [
            (
                other_fw.standards[0].as_str(),
                "GOOD_PRACTICE",
                "input.standardId",
            ),
            (fw.standards[0].as_str(), "OUTSTANDING", "input.level"),
        ] {
            let resp = app
            .gql(
                Some(&panel),
                MODERATE,
                json!({ "input": { "challengeId": c, "standardId": standard, "level": level, "outcome": "QUERIED" } }),
            )
            .await;
            assert_eq!(resp.error("BAD_USER_INPUT")["extensions"]["field"], field);
        }
        let moderated = ok(
        &app,
        &panel,
        MODERATE,
        json!({ "input": { "challengeId": c, "standardId": fw.standards[0], "level": "DEVELOPING", "outcome": "ADJUSTED", "comment": "Exercising is not yet routine" } }),
        &["moderateRating", "moderation"],
    )
    .await;
        assert_eq!(moderated["level"]["code"], "DEVELOPING");
        // Not all moderated yet: the session cannot complete.
        let early = app.gql(Some(&panel), COMPLETE, json!({ "id": c })).await;
        assert!(
            early.error("BAD_USER_INPUT")["message"]
                .as_str()
                .unwrap()
                .contains("2 standards")
        );
        assurance::moderate_all(
            &app,
            &panel,
            &c,
            &fw,
            &[
                ("DEVELOPING", "ADJUSTED"),
                ("GOOD_PRACTICE", "AGREED"),
                ("NOT_MET", "QUERIED"),
            ],
        )
        .await;
        let done = ok(
            &app,
            &panel,
            COMPLETE,
            json!({ "id": c }),
            &["completeModeration", "challenge"],
        )
        .await;
        assert_eq!(done["completed"], true);
        // A complete session takes no more moderation.
        app.gql(
        Some(&panel),
        MODERATE,
        json!({ "input": { "challengeId": c, "standardId": fw.standards[2], "level": "DEVELOPING", "outcome": "ADJUSTED" } }),
    )
    .await
    .error("FORBIDDEN");

        // Both levels, side by side, for the organisation and for the panel.
        for tok in [&people.viewer, &token(&w.panel, Role::Viewer)] {
            let seen = read(&app, tok, &a).await;
            assert_eq!(seen["status"], "MODERATED");
            let r = &seen["ratings"];
            assert_eq!(r[0]["level"]["code"], "GOOD_PRACTICE");
            assert_eq!(r[0]["moderation"]["level"]["code"], "DEVELOPING");
            assert_eq!(r[0]["moderation"]["outcome"], "ADJUSTED");
            // Moderating a standard again in the same session replaced the first comment.
            assert_eq!(r[0]["moderation"]["comment"], "Moderated");
            assert_eq!(r[1]["level"]["code"], "GOOD_PRACTICE");
            assert_eq!(r[1]["moderation"]["outcome"], "AGREED");
            assert_eq!(r[2]["moderation"]["outcome"], "QUERIED");
        }
        // The panel's challenge is on the organisation's own record too.
        let trail = app
            .gql(
                Some(&people.manager),
                "{ auditEvents(first: 100) { nodes { entityType actorOrganisation { id } } } }",
                json!({}),
            )
            .await;
        let events = trail.data()["auditEvents"]["nodes"]
            .as_array()
            .unwrap()
            .clone();
        assert!(
            events.iter().any(|e| e["entityType"] == "MODERATION"
                && e["actorOrganisation"]["id"] == w.panel.as_str()),
            "{events:?}"
        );

        // Moderated: the organisation publishes it; it stays locked.
        let v = assurance::version(&app, &people.manager, &a).await;
        let published = ok(
            &app,
            &people.manager,
            PUBLISH,
            json!({ "input": { "id": a, "version": v } }),
            &["publishAssessment", "assessment"],
        )
        .await;
        assert_eq!(published["status"], "PUBLISHED");
        let reopen = app
        .gql(Some(&people.manager), REOPEN, json!({ "input": { "id": a, "version": published["version"], "reason": "Late change" } }))
        .await;
        reopen.error("FORBIDDEN");
    }
);

api_test!(bad_assessment_input_is_refused_and_changes_nothing, |app| {
    let w = World::build(&app).await;
    let people = People::of(&w.council_a);
    let fw = framework(&app, &w.admin, "NRS", 2).await;
    let other = framework(&app, &w.admin, "OTHER", 1).await;
    let unpublished = assurance::draft(&app, &w.admin, "DRAFTED", 1).await;
    let a = start(&app, &people.manager, &fw, "2024-25").await;
    let before = app.snapshot().await;

    let create = |input: serde_json::Value| {
        let app = &app;
        let tok = people.manager.clone();
        async move {
            app.gql(Some(&tok), CREATE_ASSESSMENT, json!({ "input": input }))
                .await
        }
    };
    // The same organisation, framework, cycle and tier twice.
    let dup = create(json!({ "frameworkId": fw.id, "cycle": "2024-25" })).await;
    assert_eq!(
        dup.error("BAD_USER_INPUT")["extensions"]["field"],
        "input.cycle"
    );
    for cycle in ["2024-26", "2024", "2024/25", "x".repeat(5000).as_str()] {
        let resp = create(json!({ "frameworkId": fw.id, "cycle": cycle })).await;
        assert_eq!(
            resp.error("BAD_USER_INPUT")["extensions"]["field"],
            "input.cycle"
        );
    }
    for framework_id in [
        unpublished["id"].as_str().unwrap(),
        "fwk_0193a6f0c1d27c3a9f0e4b5a6c7d8e9f",
        "fwk_bad",
        w.council_a.as_str(),
    ] {
        let resp = create(json!({ "frameworkId": framework_id, "cycle": "2025-26" })).await;
        assert_eq!(
            resp.error("BAD_USER_INPUT")["extensions"]["field"],
            "input.frameworkId"
        );
    }
    let tier = create(json!({ "frameworkId": fw.id, "cycle": "2025-26", "tier": "SELF" })).await;
    assert_eq!(
        tier.error("BAD_USER_INPUT")["extensions"]["field"],
        "input.tier"
    );
    // Viewers and contributors do not start assessments.
    for tok in [&people.viewer, &people.contributor] {
        app.gql(
            Some(tok),
            CREATE_ASSESSMENT,
            json!({ "input": { "frameworkId": fw.id, "cycle": "2025-26" } }),
        )
        .await
        .error("FORBIDDEN");
    }

    let rate = |standard: &str, level: &str, statement: Option<String>| json!({ "input": { "assessmentId": a, "standardId": standard, "version": 1, "level": level, "positionStatement": statement } });
    for (vars, field) in [
        (rate(&fw.standards[0], "OUTSTANDING", None), "input.level"),
        (
            rate(&other.standards[0], "GOOD_PRACTICE", None),
            "input.standardId",
        ),
        (
            rate(&fw.standards[0], "GOOD_PRACTICE", Some("p".repeat(10_001))),
            "input.positionStatement",
        ),
        (
            rate("std_nothex", "GOOD_PRACTICE", None),
            "input.standardId",
        ),
    ] {
        let resp = app.gql(Some(&people.manager), RATE, vars).await;
        assert_eq!(
            resp.error("BAD_USER_INPUT")["extensions"]["field"],
            field,
            "{}",
            resp.body
        );
    }
    let evidence = app
        .gql(
            Some(&people.manager),
            ATTACH,
            json!({ "input": { "assessmentId": a, "standardId": fw.standards[0], "title": "Report", "url": "javascript:alert(1)" } }),
        )
        .await;
    assert_eq!(
        evidence.error("BAD_USER_INPUT")["extensions"]["field"],
        "input.url"
    );
    assert_eq!(app.snapshot().await, before);
    // Someone else's action, or none.
    let b = People::of(&w.council_b);
    let review = plan::review(&app, &b.manager, "Beta review").await;
    let rec = plan::recommendation(&app, &b.manager, &review, "B1").await;
    let theirs = plan::action(
        &app,
        &b.manager,
        &rec,
        "Beta action",
        "2024-04-01",
        "2025-03-31",
    )
    .await;
    // The other organisation's plan was added on purpose; nothing changes after it.
    let before = app.snapshot().await;
    let link = app
        .gql(
            Some(&people.manager),
            LINK_ACTION,
            json!({ "input": { "assessmentId": a, "standardId": fw.standards[0], "actionId": theirs } }),
        )
        .await;
    assert_eq!(
        link.error("BAD_USER_INPUT")["extensions"]["field"],
        "input.actionId"
    );
    assert_eq!(app.snapshot().await, before);
});
