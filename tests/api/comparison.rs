//! The sub-regional lead's heat map: a panel of 33 members against 15 standards, checked
//! against values computed here, in a bounded number of statements; and a member leaving.

use std::collections::HashMap;

use resilience_hub::auth::Role;
use serde_json::{Value, json};

use crate::assurance::{
    self, COMPARISON, LEVELS, PROGRESS, assessed, challenge, framework, moderate_all, outcome,
};
use crate::helpers::{TestApp, api_test, token};
use crate::plan;
use crate::world::{World, add_member, create_org};

const MEMBERS: usize = 33;
const STANDARDS: usize = 15;
const AS_OF: &str = "2025-06-30";

/// Every field of a heat map's rows and cells that is plain data, with an alias and
/// `__typename`: answered in one pass.
const PLAIN_COMPARISON: &str = r#"
    query($panel: ID!, $fw: ID!, $cycle: String!, $asOf: Date) {
        panelComparison(panelId: $panel, frameworkId: $fw, cycle: $cycle, asOf: $asOf) {
            rows {
                __typename
                organisation { id slug name kind region version createdAt updatedAt }
                cells {
                    __typename
                    standard { id code title description desiredOutcome position }
                    self: selfLevel { id code label rank }
                    moderatedLevel { code rank }
                    outcome challenged
                }
                actions { total green amber red }
                overdue lastChallengedOn
            }
        }
    }"#;

/// The heat map as known at `$known`.
const SETTLED_COMPARISON: &str = r#"
    query($panel: ID!, $fw: ID!, $cycle: String!, $asOf: Date, $known: DateTime) {
        panelComparison(panelId: $panel, frameworkId: $fw, cycle: $cycle, asOf: $asOf, knownAt: $known) {
            rows { organisation { name } cells { selfLevel { code } } actions { green amber red } }
        }
    }"#;

/// Every plain field of standards progress's rows and level counts.
const PLAIN_PROGRESS: &str = r#"
    query($fw: ID!, $cycles: [String!]!) {
        standardsProgress(frameworkId: $fw, cycles: $cycles) {
            rows {
                __typename standard { id code title position } cycle assessed assessedSuppressed
                levels {
                    __typename level { code label rank }
                    selfCount selfSuppressed moderatedCount moderatedSuppressed
                    selfChange moderatedChange
                }
            }
        }
    }"#;

/// [`PLAIN_PROGRESS`] through a fragment, which the plain path leaves to the resolvers.
const RESOLVED_PROGRESS: &str = r#"
    query($fw: ID!, $cycles: [String!]!) {
        standardsProgress(frameworkId: $fw, cycles: $cycles) { rows { ...R } }
    }
    fragment R on StandardProgressRow {
        __typename standard { id code title position } cycle assessed assessedSuppressed
        levels {
            ... on LevelCount {
                __typename level { code label rank }
                selfCount selfSuppressed moderatedCount moderatedSuppressed
                selfChange moderatedChange
            }
        }
    }"#;

/// [`PLAIN_COMPARISON`] through fragments, which the plain path leaves to the resolvers.
const RESOLVED_COMPARISON: &str = r#"
    query($panel: ID!, $fw: ID!, $cycle: String!, $asOf: Date) {
        panelComparison(panelId: $panel, frameworkId: $fw, cycle: $cycle, asOf: $asOf) {
            rows { ...R }
        }
    }
    fragment R on ComparisonRow {
        __typename
        organisation { id slug name kind region version createdAt updatedAt }
        cells { ...C }
        actions { total green amber red }
        overdue lastChallengedOn
    }
    fragment C on ComparisonCell {
        __typename
        standard { id code title description desiredOutcome position }
        self: selfLevel { id code label rank }
        moderatedLevel { code rank }
        outcome challenged
    }"#;

/// What the test expects of one member.
#[derive(Default)]
struct Expected {
    /// (own level, moderated level) per standard; empty when it has no submitted assessment.
    cells: Vec<(String, Option<String>)>,
    /// green, amber, red at `AS_OF`.
    rag: (i64, i64, i64),
    last_challenged_on: Option<String>,
}

/// The own level of member `i` for standard `j`: spread over the scale, differently per member.
fn own_level(i: usize, j: usize) -> &'static str {
    LEVELS[(i * 7 + j * 3) % LEVELS.len()]
}

/// The panel's moderated level: one rank up on odd standards (capped), the same on even ones.
fn moderated_level(i: usize, j: usize) -> &'static str {
    let own = (i * 7 + j * 3) % LEVELS.len();
    if j % 2 == 1 {
        LEVELS[(own + 1).min(LEVELS.len() - 1)]
    } else {
        LEVELS[own]
    }
}

/// Takes `member` out of `panel`, as the platform administrator.
pub async fn remove_member(app: &TestApp, admin: &str, panel: &str, member: &str) {
    app.gql(
        Some(admin),
        "mutation($p: ID!, $m: ID!) { removePanelMember(input: { panelId: $p, memberId: $m }) { panel { id } } }",
        json!({ "p": panel, "m": member }),
    )
    .await
    .data();
}

/// The comparison as `tok` reads it, and the statements it cost once the caller is known
/// (a caller's first request also records them).
async fn compare(app: &TestApp, tok: &str, panel: &str, fw: &str) -> (Value, u64) {
    let vars = json!({ "panel": panel, "fw": fw, "cycle": "2024-25", "asOf": AS_OF });
    app.gql(Some(tok), "{ me { role } }", json!({}))
        .await
        .data();
    let before = app.statements();
    let resp = app.gql(Some(tok), COMPARISON, vars).await;
    let cost = app.statements() - before;
    (resp.data()["panelComparison"].clone(), cost)
}

api_test!(
    a_panel_of_33_members_compares_15_standards_against_independent_figures_in_bounded_statements,
    |app| {
        let w = World::build(&app).await;
        let big = create_org(
            &app,
            &w.admin,
            "london-wide",
            "London-wide Panel",
            "REGIONAL_PANEL",
        )
        .await;
        let small = create_org(&app, &w.admin, "central", "Central Panel", "REGIONAL_PANEL").await;
        let big_manager = token(&big, Role::Manager);
        let fw = framework(&app, &w.admin, "NRS", STANDARDS).await;

        let mut expected: HashMap<String, Expected> = HashMap::new();
        let mut members = Vec::new();
        for i in 0..MEMBERS {
            let name = format!("Borough {:02}", i + 1);
            let org = create_org(
                &app,
                &w.admin,
                &format!("borough-{:02}", i + 1),
                &name,
                "COUNCIL",
            )
            .await;
            add_member(&app, &w.admin, &big, &org).await;
            if i < 5 {
                add_member(&app, &w.admin, &small, &org).await;
            }
            let manager = token(&org, Role::Manager);
            let mut e = Expected::default();
            let levels: Vec<&str> = (0..STANDARDS).map(|j| own_level(i, j)).collect();
            if i % 11 == 10 {
                // No assessment at all.
            } else if i == 5 {
                // A draft only: never shown to the panel.
                let a = assurance::start(&app, &manager, &fw, "2024-25").await;
                assurance::rate_all(&app, &manager, &a, &fw, &levels).await;
            } else {
                let a = assessed(&app, &manager, &fw, "2024-25", &levels).await;
                e.cells = levels.iter().map(|l| (l.to_string(), None)).collect();
                if i % 4 == 0 {
                    let day = format!("2025-0{}-1{}", 1 + i % 5, i % 10);
                    let c = challenge(&app, &big_manager, &a, "2024-12-01").await;
                    let moderated: Vec<(&str, &str)> = (0..STANDARDS)
                        .map(|j| {
                            (
                                moderated_level(i, j),
                                outcome(own_level(i, j), moderated_level(i, j)),
                            )
                        })
                        .collect();
                    moderate_all(&app, &big_manager, &c, &fw, &moderated).await;
                    // A later session: its date is the last challenge.
                    challenge(&app, &big_manager, &a, &day).await;
                    for (j, cell) in e.cells.iter_mut().enumerate() {
                        cell.1 = Some(moderated_level(i, j).to_owned());
                    }
                    e.last_challenged_on = Some(day);
                }
            }
            if i % 3 == 0 {
                let review = plan::review(&app, &manager, "Resilience peer challenge").await;
                let rec = plan::recommendation(&app, &manager, &review, "R1").await;
                let first = plan::action(
                    &app,
                    &manager,
                    &rec,
                    "Refresh the risk register",
                    "2024-04-01",
                    "2025-01-31",
                )
                .await;
                plan::action(
                    &app,
                    &manager,
                    &rec,
                    "Exercise the recovery plan",
                    "2024-04-01",
                    "2025-12-31",
                )
                .await;
                if i % 6 == 0 {
                    plan::update(&app, &manager, &first, "2025-01-15", Some("COMPLETE")).await;
                    e.rag = (1, 1, 0);
                } else {
                    e.rag = (0, 1, 1);
                }
            }
            expected.insert(org.clone(), e);
            members.push(org);
        }

        let viewer = token(&big, Role::Viewer);
        let (cmp, big_cost) = compare(&app, &viewer, &big, &fw.id).await;
        assert_eq!(cmp["standards"].as_array().unwrap().len(), STANDARDS);
        assert_eq!(cmp["asOf"], AS_OF);
        let rows = cmp["rows"].as_array().unwrap();
        assert_eq!(rows.len(), MEMBERS);
        let names: Vec<&str> = rows
            .iter()
            .map(|r| r["organisation"]["name"].as_str().unwrap())
            .collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted, "rows are in name order");
        for row in rows {
            let org = row["organisation"]["id"].as_str().unwrap();
            let e = &expected[org];
            let cells = row["cells"].as_array().unwrap();
            assert_eq!(cells.len(), STANDARDS);
            for (j, cell) in cells.iter().enumerate() {
                assert_eq!(cell["standard"]["id"], fw.standards[j].as_str());
                match e.cells.get(j) {
                    None => {
                        assert!(
                            cell["selfLevel"].is_null() && cell["moderatedLevel"].is_null(),
                            "{cell}"
                        );
                        assert_eq!(cell["challenged"], false);
                    }
                    Some((own, moderated)) => {
                        assert_eq!(
                            cell["selfLevel"]["code"],
                            own.as_str(),
                            "{org} standard {j}"
                        );
                        assert_eq!(
                            cell["moderatedLevel"]["code"].as_str(),
                            moderated.as_deref(),
                            "{org} standard {j}"
                        );
                        assert_eq!(cell["challenged"], moderated.is_some());
                        let want = moderated.as_deref().map(|m| outcome(own, m));
                        assert_eq!(cell["outcome"].as_str(), want);
                    }
                }
            }
            assert_eq!(row["assessment"].is_null(), e.cells.is_empty(), "{org}");
            let rag = (
                row["actions"]["green"].as_i64().unwrap(),
                row["actions"]["amber"].as_i64().unwrap(),
                row["actions"]["red"].as_i64().unwrap(),
            );
            assert_eq!(rag, e.rag, "{org}");
            assert_eq!(row["overdue"], e.rag.2);
            assert_eq!(
                row["lastChallengedOn"].as_str(),
                e.last_challenged_on.as_deref(),
                "{org}"
            );
        }

        // Rows and cells answered as plain data in one pass are, to the byte, what the
        // resolvers answer when fragments make the service take the usual way.
        let vars = json!({ "panel": big, "fw": fw.id, "cycle": "2024-25", "asOf": AS_OF });
        let plain = app.gql(Some(&viewer), PLAIN_COMPARISON, vars.clone()).await;
        let resolved = app.gql(Some(&viewer), RESOLVED_COMPARISON, vars).await;
        assert_eq!(
            plain.data().to_string(),
            resolved.data().to_string(),
            "plain data and resolvers differ"
        );
        let first = &plain.data()["panelComparison"]["rows"][1];
        assert_eq!(first["__typename"], "ComparisonRow");
        assert_eq!(first["cells"][0]["__typename"], "ComparisonCell");
        assert!(first["cells"][0]["self"]["rank"].is_i64(), "{first}");

        // Building the heat map of 5 members costs the same statements as of 33, but for
        // counting their actions: the members' counts are remembered after the first request
        // (the 5 are among the 33). Counting is one statement more; on Postgres a summary's
        // purpose is set before it (the request's last statement: no reset follows). And the
        // framework's standards and scale, read by the first heat map, are remembered for
        // good: it is published.
        let (small_cmp, small_cost) =
            compare(&app, &token(&small, Role::Viewer), &small, &fw.id).await;
        assert_eq!(small_cmp["rows"].as_array().unwrap().len(), 5);
        let purpose = match app.engine {
            crate::helpers::Engine::Sqlite => 0,
            crate::helpers::Engine::Postgres(_) => 1,
        };
        let content = 2;
        assert_eq!(
            big_cost,
            small_cost + 1 + purpose + content,
            "counting 33 members"
        );
        assert!(big_cost <= 20, "{big_cost} statements");
        // The whole heat map is remembered: asked again, it costs the request's opening and
        // the members' actions epochs.
        let (again, big_warm) = compare(&app, &viewer, &big, &fw.id).await;
        assert_eq!(again.to_string(), cmp.to_string());
        assert_eq!(big_warm, 2, "a remembered heat map");
        eprintln!(
            "panelComparison statements: 5 members {small_cost}, 33 members {big_cost}, remembered {big_warm}"
        );

        // A member's new action moves its actions epoch: the next heat map counts it.
        let member = &members[3];
        assert_eq!(expected[member].rag, (0, 1, 1));
        let manager = token(member, Role::Manager);
        let review = plan::review(&app, &manager, "Flooding debrief").await;
        let rec = plan::recommendation(&app, &manager, &review, "R1").await;
        plan::action(
            &app,
            &manager,
            &rec,
            "Test the flood plan",
            "2024-05-01",
            "2025-11-30",
        )
        .await;
        let (moved, moved_cost) = compare(&app, &viewer, &big, &fw.id).await;
        assert!(moved_cost > big_warm, "rebuilt after a member's change");
        let row = moved["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["organisation"]["id"] == member.as_str())
            .unwrap();
        assert_eq!(row["actions"]["amber"], 2, "{row}");

        // As known at a settled moment (more than a day ago) the heat map never changes: once
        // remembered, it costs the opening statement alone.
        let settled = json!({
            "panel": big, "fw": fw.id, "cycle": "2024-25", "asOf": AS_OF,
            "known": "2025-07-01T09:00:00Z",
        });
        let asked = |vars: Value| {
            let app = &app;
            let viewer = &viewer;
            async move {
                let before = app.statements();
                let resp = app.gql(Some(viewer), SETTLED_COMPARISON, vars).await;
                (
                    resp.data()["panelComparison"].clone(),
                    app.statements() - before,
                )
            }
        };
        let (first_settled, _) = asked(settled.clone()).await;
        let (again_settled, settled_cost) = asked(settled).await;
        assert_eq!(first_settled.to_string(), again_settled.to_string());
        assert_eq!(
            settled_cost,
            big_warm - 1,
            "a settled heat map reads no epoch"
        );

        // The panel's own view of progress over its members is the same population, unsuppressed.
        let resp = app
            .gql(
                Some(&viewer),
                PROGRESS,
                json!({ "fw": fw.id, "cycles": ["2024-25"] }),
            )
            .await;
        let progress = resp.data()["standardsProgress"].clone();
        assert_eq!(progress["suppressing"], false);
        for row in progress["rows"].as_array().unwrap() {
            let j = fw
                .standards
                .iter()
                .position(|s| s == row["standard"]["id"].as_str().unwrap())
                .unwrap();
            let assessed: Vec<&Expected> =
                expected.values().filter(|e| !e.cells.is_empty()).collect();
            assert_eq!(row["assessed"], assessed.len() as i64);
            for level in row["levels"].as_array().unwrap() {
                let code = level["level"]["code"].as_str().unwrap();
                let own = assessed.iter().filter(|e| e.cells[j].0 == code).count() as i64;
                let moderated = assessed
                    .iter()
                    .filter(|e| e.cells[j].1.as_deref() == Some(code))
                    .count() as i64;
                assert_eq!(level["selfCount"], own, "standard {j} {code}");
                assert_eq!(level["moderatedCount"], moderated, "standard {j} {code}");
                assert_eq!(level["organisations"].as_array().unwrap().len() as i64, own);
            }
        }

        // Progress rows and level counts as plain data are the resolvers' answer too.
        let vars = json!({ "fw": fw.id, "cycles": ["2024-25"] });
        let plain = app.gql(Some(&viewer), PLAIN_PROGRESS, vars.clone()).await;
        let resolved = app.gql(Some(&viewer), RESOLVED_PROGRESS, vars).await;
        assert_eq!(plain.data().to_string(), resolved.data().to_string());
        assert!(
            plain.data()["standardsProgress"]["rows"][0]["levels"][0]["selfCount"].is_i64(),
            "{}",
            plain.data()
        );

        // A member that leaves is gone from the panel's views at once.
        let leaver = members[0].clone();
        let a = app
            .gql(
                Some(&viewer),
                "query($o: ID!) { assessments(filter: { organisationId: $o }) { nodes { id } } }",
                json!({ "o": leaver }),
            )
            .await;
        let leaver_assessment = a.data()["assessments"]["nodes"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        remove_member(&app, &w.admin, &big, &leaver).await;
        let (after, _) = compare(&app, &viewer, &big, &fw.id).await;
        let ids: Vec<&str> = after["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["organisation"]["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), MEMBERS - 1);
        assert!(!ids.contains(&leaver.as_str()));
        app.gql(
            Some(&viewer),
            assurance::ASSESSMENT,
            json!({ "id": leaver_assessment }),
        )
        .await
        .error("NOT_FOUND");
        let resp = app
            .gql(
                Some(&viewer),
                PROGRESS,
                json!({ "fw": fw.id, "cycles": ["2024-25"] }),
            )
            .await;
        let assessed_after = resp.data()["standardsProgress"]["rows"][0]["assessed"]
            .as_i64()
            .unwrap();
        let assessed_before = expected.values().filter(|e| !e.cells.is_empty()).count() as i64;
        assert_eq!(assessed_after, assessed_before - 1);
        // Nor can the panel challenge it any longer.
        app.gql(
            Some(&big_manager),
            assurance::CHALLENGE,
            json!({ "input": { "assessmentId": leaver_assessment, "heldOn": "2025-02-01" } }),
        )
        .await
        .error("NOT_FOUND");
    }
);

api_test!(only_a_panels_own_users_read_its_comparison, |app| {
    let w = World::build(&app).await;
    let fw = framework(&app, &w.admin, "NRS", 2).await;
    assessed(
        &app,
        &token(&w.council_a, Role::Manager),
        &fw,
        "2024-25",
        &["GOOD_PRACTICE", "NOT_MET"],
    )
    .await;
    let (cmp, _) = compare(&app, &token(&w.panel, Role::Viewer), &w.panel, &fw.id).await;
    assert_eq!(cmp["rows"].as_array().unwrap().len(), 2);
    let vars = json!({ "panel": w.panel, "fw": fw.id, "cycle": "2024-25" });
    for (org, role) in [
        (&w.other_panel, Role::Manager),
        (&w.council_a, Role::Manager),
        (&w.partner, Role::Viewer),
        (&w.operator, Role::PlatformAdmin),
    ] {
        let resp = app
            .gql(Some(&token(org, role)), COMPARISON, vars.clone())
            .await;
        resp.error("NOT_FOUND");
    }
    for (vars, field) in [
        (
            json!({ "panel": w.panel, "fw": fw.id, "cycle": "2024/25" }),
            "cycle",
        ),
        (
            json!({ "panel": w.panel, "fw": "fwk_zz", "cycle": "2024-25" }),
            "frameworkId",
        ),
        (
            json!({ "panel": fw.id, "fw": fw.id, "cycle": "2024-25" }),
            "panelId",
        ),
        (
            json!({ "panel": w.panel, "fw": fw.id, "cycle": "2024-25", "asOf": "30/06/2025" }),
            "asOf",
        ),
    ] {
        let resp = app
            .gql(Some(&token(&w.panel, Role::Viewer)), COMPARISON, vars)
            .await;
        assert_eq!(
            resp.error("BAD_USER_INPUT")["extensions"]["field"],
            field,
            "{}",
            resp.body
        );
    }
});
