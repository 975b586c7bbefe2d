//! Building frameworks, assessments, challenges and moderations through the API, for the
//! assurance tests.

use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::plan::{id, ok};

/// The levels of every test framework's scale, lowest rank first.
pub const LEVELS: [&str; 4] = ["NOT_MET", "DEVELOPING", "GOOD_PRACTICE", "LEADING_PRACTICE"];

pub const CREATE_FRAMEWORK: &str = r#"
    mutation($input: CreateFrameworkInput!) {
        createFramework(input: $input) {
            framework {
                id code name version status revision shared owner { id }
                predecessor { id }
                standards { id code title position }
                levels { id code label rank }
            }
        }
    }"#;

pub const UPDATE_FRAMEWORK: &str = r#"
    mutation($input: UpdateFrameworkInput!) {
        updateFramework(input: $input) {
            framework { id name revision status standards { id code } levels { code rank } }
        }
    }"#;

pub const PUBLISH_FRAMEWORK: &str = r#"
    mutation($id: ID!, $revision: Int!) {
        publishFramework(id: $id, revision: $revision) {
            framework { id status revision publishedAt }
        }
    }"#;

pub const NEW_VERSION: &str = r#"
    mutation($id: ID!) {
        createFrameworkVersion(predecessorId: $id) {
            framework {
                id code version status revision predecessor { id }
                standards { id code } levels { code }
            }
        }
    }"#;

pub const CREATE_ASSESSMENT: &str = r#"
    mutation($input: CreateAssessmentInput!) {
        createAssessment(input: $input) {
            assessment { id cycle tier status version ratings { id version standard { id code } level { code } } }
        }
    }"#;

pub const RATE: &str = r#"
    mutation($input: RateStandardInput!) {
        rateStandard(input: $input) {
            rating { id version level { code } positionStatement }
        }
    }"#;

pub const ATTACH: &str = r#"
    mutation($input: AttachRatingEvidenceInput!) {
        attachRatingEvidence(input: $input) { evidence { id title url } }
    }"#;

pub const LINK_ACTION: &str = r#"
    mutation($input: RatingActionInput!) {
        linkRatingAction(input: $input) { rating { id actions { id } } }
    }"#;

pub const SUBMIT: &str = r#"
    mutation($input: AssessmentStatusInput!) {
        submitAssessment(input: $input) { assessment { id status version submittedOn } }
    }"#;

pub const REOPEN: &str = r#"
    mutation($input: ReopenAssessmentInput!) {
        reopenAssessment(input: $input) { assessment { id status version } }
    }"#;

pub const PUBLISH: &str = r#"
    mutation($input: AssessmentStatusInput!) {
        publishAssessment(input: $input) { assessment { id status version } }
    }"#;

pub const CHALLENGE: &str = r#"
    mutation($input: RecordChallengeInput!) {
        recordChallenge(input: $input) {
            challenge { id heldOn tier attendees completed panel { id } }
        }
    }"#;

pub const MODERATE: &str = r#"
    mutation($input: ModerateRatingInput!) {
        moderateRating(input: $input) {
            moderation { id outcome comment level { code } standard { id } }
        }
    }"#;

pub const COMPLETE: &str = r#"
    mutation($id: ID!) {
        completeModeration(challengeId: $id) { challenge { id completed } }
    }"#;

pub const ASSESSMENT: &str = r#"
    query($id: ID!) {
        assessment(id: $id) {
            id status version cycle tier
            organisation { id }
            ratings {
                id version standard { id code } level { code } positionStatement
                evidence { id title } actions { id }
                moderation { level { code } outcome comment }
            }
        }
    }"#;

pub const COMPARISON: &str = r#"
    query($panel: ID!, $fw: ID!, $cycle: String!, $asOf: Date) {
        panelComparison(panelId: $panel, frameworkId: $fw, cycle: $cycle, asOf: $asOf) {
            cycle asOf
            standards { id code }
            levels { code rank }
            rows {
                organisation { id name }
                assessment { id }
                cells { standard { id code } selfLevel { code } moderatedLevel { code } outcome challenged }
                actions { total green amber red }
                overdue
                lastChallengedOn
            }
        }
    }"#;

pub const PROGRESS: &str = r#"
    query($fw: ID!, $cycles: [String!]!) {
        standardsProgress(frameworkId: $fw, cycles: $cycles) {
            cycles suppressing
            rows {
                standard { id code } cycle assessed assessedSuppressed
                levels {
                    level { code }
                    selfCount selfSuppressed moderatedCount moderatedSuppressed
                    selfChange moderatedChange
                    organisations { id name }
                }
            }
        }
    }"#;

/// A published framework.
#[derive(Clone, Debug)]
pub struct Framework {
    pub id: String,
    /// Its standards' ids, in order.
    pub standards: Vec<String>,
}

/// The input of a framework of `n` standards (`S-01`, …) on the [`LEVELS`] scale.
pub fn framework_input(code: &str, name: &str, n: usize) -> Value {
    let standards: Vec<Value> = (1..=n)
        .map(|i| {
            json!({
                "code": format!("S-{i:02}"),
                "title": format!("Standard {i}"),
                "description": format!("What standard {i} asks"),
                "desiredOutcome": format!("What standard {i} achieves"),
            })
        })
        .collect();
    let levels: Vec<Value> = LEVELS
        .iter()
        .enumerate()
        .map(|(i, code)| json!({ "code": code, "label": code.replace('_', " ").to_lowercase(), "rank": i as i64 + 1 }))
        .collect();
    json!({ "code": code, "name": name, "standards": standards, "levels": levels })
}

/// Creates a draft framework as `tok` and returns the created framework.
pub async fn draft(app: &TestApp, tok: &str, code: &str, n: usize) -> Value {
    ok(
        app,
        tok,
        CREATE_FRAMEWORK,
        json!({ "input": framework_input(code, &format!("{code} standards"), n) }),
        &["createFramework", "framework"],
    )
    .await
}

/// Creates and publishes a framework of `n` standards as `tok`.
pub async fn framework(app: &TestApp, tok: &str, code: &str, n: usize) -> Framework {
    let fw = draft(app, tok, code, n).await;
    ok(
        app,
        tok,
        PUBLISH_FRAMEWORK,
        json!({ "id": fw["id"], "revision": fw["revision"] }),
        &["publishFramework"],
    )
    .await;
    Framework {
        id: id(&fw),
        standards: fw["standards"].as_array().unwrap().iter().map(id).collect(),
    }
}

/// Starts a self-assessment of `fw` for `cycle` as `manager`; returns its id.
pub async fn start(app: &TestApp, manager: &str, fw: &Framework, cycle: &str) -> String {
    let a = ok(
        app,
        manager,
        CREATE_ASSESSMENT,
        json!({ "input": { "frameworkId": fw.id, "cycle": cycle } }),
        &["createAssessment", "assessment"],
    )
    .await;
    id(&a)
}

/// The assessment as `tok` reads it.
pub async fn read(app: &TestApp, tok: &str, assessment: &str) -> Value {
    let resp = app
        .gql(Some(tok), ASSESSMENT, json!({ "id": assessment }))
        .await;
    resp.data()["assessment"].clone()
}

/// Rates every standard in one request (aliased mutations run in order): `levels[i]` for the
/// i-th standard, with a position statement naming it.
pub async fn rate_all(app: &TestApp, tok: &str, assessment: &str, fw: &Framework, levels: &[&str]) {
    let current = read(app, tok, assessment).await;
    let versions: Vec<(String, i64)> = current["ratings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["standard"]["id"].as_str().unwrap().to_owned(),
                r["version"].as_i64().unwrap(),
            )
        })
        .collect();
    let mut doc = String::from("mutation {");
    for (i, (standard, level)) in fw.standards.iter().zip(levels).enumerate() {
        let version = versions
            .iter()
            .find(|(s, _)| s == standard)
            .map(|(_, v)| *v)
            .expect("a rating per standard");
        doc.push_str(&format!(
            " r{i}: rateStandard(input: {{ assessmentId: {a}, standardId: {s}, version: {version}, level: {l}, positionStatement: {p} }}) {{ rating {{ id }} }}",
            a = json!(assessment),
            s = json!(standard),
            l = json!(level),
            p = json!(format!("Our position on standard {}", i + 1)),
        ));
    }
    doc.push_str(" }");
    app.gql(Some(tok), &doc, json!({})).await.data();
}

/// The assessment's current version, as `tok` reads it.
pub async fn version(app: &TestApp, tok: &str, assessment: &str) -> i64 {
    read(app, tok, assessment).await["version"]
        .as_i64()
        .unwrap()
}

/// Submits the assessment as `manager`.
pub async fn submit(app: &TestApp, manager: &str, assessment: &str) -> Value {
    let v = version(app, manager, assessment).await;
    ok(
        app,
        manager,
        SUBMIT,
        json!({ "input": { "id": assessment, "version": v } }),
        &["submitAssessment", "assessment"],
    )
    .await
}

/// Starts, rates and submits a self-assessment; returns its id.
pub async fn assessed(
    app: &TestApp,
    manager: &str,
    fw: &Framework,
    cycle: &str,
    levels: &[&str],
) -> String {
    let a = start(app, manager, fw, cycle).await;
    rate_all(app, manager, &a, fw, levels).await;
    submit(app, manager, &a).await;
    a
}

/// Records a challenge session of `panel_manager`'s panel on the assessment, held on `day`.
pub async fn challenge(app: &TestApp, panel_manager: &str, assessment: &str, day: &str) -> String {
    let c = ok(
        app,
        panel_manager,
        CHALLENGE,
        json!({ "input": {
            "assessmentId": assessment, "heldOn": day, "tier": "SUB_REGIONAL_CHALLENGE",
            "attendees": "Chief executive; resilience lead; two peer officers"
        } }),
        &["recordChallenge", "challenge"],
    )
    .await;
    id(&c)
}

/// Moderates every standard in one request: `levels[i]` with `outcomes[i]`.
pub async fn moderate_all(
    app: &TestApp,
    panel_manager: &str,
    challenge: &str,
    fw: &Framework,
    moderated: &[(&str, &str)],
) {
    let mut doc = String::from("mutation {");
    for (i, (standard, (level, outcome))) in fw.standards.iter().zip(moderated).enumerate() {
        doc.push_str(&format!(
            " m{i}: moderateRating(input: {{ challengeId: {c}, standardId: {s}, level: {l}, outcome: {outcome}, comment: \"Moderated\" }}) {{ moderation {{ id }} }}",
            c = json!(challenge),
            s = json!(standard),
            l = json!(level),
        ));
    }
    doc.push_str(" }");
    app.gql(Some(panel_manager), &doc, json!({})).await.data();
}

/// The outcome that fits moderating `own` to `moderated`.
pub fn outcome(own: &str, moderated: &str) -> &'static str {
    if own == moderated {
        "AGREED"
    } else {
        "ADJUSTED"
    }
}

/// An organisation's draft for 2025-26, and its 2024-25 assessment submitted with detail: the
/// first standard rated GOOD_PRACTICE with a position statement, evidence and a linked action.
pub struct Detailed {
    pub draft: String,
    pub submitted: String,
    /// The submitted assessment's version.
    pub version: Value,
    /// The rating of the first standard, and its evidence.
    pub rating: String,
    pub evidence: String,
    /// The recommendation the linked action answers, and the action.
    pub recommendation: String,
    pub action: String,
}

/// Builds [`Detailed`] as `manager`.
pub async fn detailed(app: &TestApp, manager: &str, fw: &Framework) -> Detailed {
    let draft = start(app, manager, fw, "2025-26").await;
    let submitted = start(app, manager, fw, "2024-25").await;
    let review = crate::plan::review(app, manager, "Peer challenge").await;
    let recommendation = crate::plan::recommendation(app, manager, &review, "R1").await;
    let action = crate::plan::action(
        app,
        manager,
        &recommendation,
        "Exercise the plan",
        "2024-04-01",
        "2025-03-31",
    )
    .await;
    rate_all(
        app,
        manager,
        &submitted,
        fw,
        &["GOOD_PRACTICE", "DEVELOPING"],
    )
    .await;
    let evidence = ok(
        app,
        manager,
        ATTACH,
        json!({ "input": { "assessmentId": submitted, "standardId": fw.standards[0], "title": "Exercise report", "reference": "EX-12" } }),
        &["attachRatingEvidence", "evidence"],
    )
    .await;
    ok(
        app,
        manager,
        LINK_ACTION,
        json!({ "input": { "assessmentId": submitted, "standardId": fw.standards[0], "actionId": action } }),
        &["linkRatingAction"],
    )
    .await;
    let version = submit(app, manager, &submitted).await["version"].clone();
    let rating = id(&read(app, manager, &submitted).await["ratings"][0]);
    Detailed {
        draft,
        submitted,
        version,
        rating,
        evidence: id(&evidence),
        recommendation,
        action,
    }
}
