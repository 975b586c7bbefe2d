//! Building reviews, recommendations, actions and progress through the API, for the tracker's
//! tests. Everything is created by `council_a`'s manager in the [`World`].

use resilience_hub::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{Gql, TestApp, token};
use crate::world::World;

pub const CREATE_REVIEW: &str = r#"
    mutation($input: CreateReviewInput!) {
        createReview(input: $input) {
            review { id title kind status version reportedOn judgements { area grade } }
        }
    }"#;

pub const UPDATE_REVIEW: &str = r#"
    mutation($input: UpdateReviewInput!) {
        updateReview(input: $input) { review { id title status version judgements { area grade } } }
    }"#;

pub const ADD_RECOMMENDATION: &str = r#"
    mutation($input: AddRecommendationInput!) {
        addRecommendation(input: $input) {
            recommendation { id reference kind status version dischargedOn dischargedBy { displayName } }
        }
    }"#;

pub const UPDATE_RECOMMENDATION: &str = r#"
    mutation($input: UpdateRecommendationInput!) {
        updateRecommendation(input: $input) {
            recommendation { id reference status version dischargedOn dischargedBy { displayName } }
        }
    }"#;

pub const CREATE_ACTION: &str = r#"
    mutation($input: CreateActionInput!) {
        createAction(input: $input) {
            action { id title status dueOn originalDueOn openedOn version rag }
        }
    }"#;

pub const UPDATE_ACTION: &str = r#"
    mutation($input: UpdateActionInput!) {
        updateAction(input: $input) { action { id title owner status version completedOn } }
    }"#;

pub const CHANGE_DUE: &str = r#"
    mutation($input: ChangeActionDueDateInput!) {
        changeActionDueDate(input: $input) {
            action { id dueOn originalDueOn version }
            dueDateChange { previousDueOn newDueOn reason effectiveOn changedBy { displayName } }
        }
    }"#;

pub const ADD_UPDATE: &str = r#"
    mutation($input: AddProgressUpdateInput!) {
        addProgressUpdate(input: $input) {
            update { id asAt narrative newStatus percentComplete author { displayName } }
            action { id status completedOn percentComplete version }
        }
    }"#;

pub const ATTACH: &str = r#"
    mutation($input: AttachEvidenceInput!) {
        attachEvidence(input: $input) { evidence { id title url reference } }
    }"#;

/// Tokens of `council_a`, which owns the plan.
pub struct People {
    pub manager: String,
    pub contributor: String,
    pub viewer: String,
}

impl People {
    pub fn of(org: &str) -> Self {
        People {
            manager: token(org, Role::Manager),
            contributor: token(org, Role::Contributor),
            viewer: token(org, Role::Viewer),
        }
    }
}

/// Runs a mutation and returns the object under `root.field`, failing on any error.
pub async fn ok(app: &TestApp, tok: &str, query: &str, vars: Value, path: &[&str]) -> Value {
    let resp = app.gql(Some(tok), query, vars).await;
    let mut v = resp.data().clone();
    for p in path {
        v = v[*p].clone();
    }
    v
}

/// The id of an object returned by [`ok`].
pub fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_owned()
}

/// A peer review of `council_a` with one recommendation, reported on 2021-01-29.
pub async fn review(app: &TestApp, manager: &str, title: &str) -> String {
    let review = ok(
        app,
        manager,
        CREATE_REVIEW,
        json!({ "input": {
            "kind": "PEER_REVIEW", "title": title, "reviewer": "Gamma Fire and Rescue Service",
            "commissionedOn": "2020-11-01", "reportedOn": "2021-01-29",
            "judgements": [{ "area": "Protection", "grade": "REQUIRES_IMPROVEMENT" }]
        } }),
        &["createReview", "review"],
    )
    .await;
    id(&review)
}

/// A recommendation of `review`, made on the review's reporting date.
pub async fn recommendation(app: &TestApp, manager: &str, review: &str, reference: &str) -> String {
    let rec = ok(
        app,
        manager,
        ADD_RECOMMENDATION,
        json!({ "input": { "reviewId": review, "reference": reference, "text": format!("Do {reference}") } }),
        &["addRecommendation", "recommendation"],
    )
    .await;
    id(&rec)
}

/// An action answering `rec`, agreed on `opened` and due on `due`.
pub async fn action(
    app: &TestApp,
    manager: &str,
    rec: &str,
    title: &str,
    opened: &str,
    due: &str,
) -> String {
    let action = ok(
        app,
        manager,
        CREATE_ACTION,
        json!({ "input": {
            "recommendationId": rec, "title": title, "owner": "Head of Protection",
            "openedOn": opened, "dueOn": due
        } }),
        &["createAction", "action"],
    )
    .await;
    id(&action)
}

/// A progress update, optionally moving the status.
pub async fn update(
    app: &TestApp,
    tok: &str,
    action: &str,
    as_at: &str,
    status: Option<&str>,
) -> Value {
    ok(
        app,
        tok,
        ADD_UPDATE,
        json!({ "input": { "actionId": action, "asAt": as_at, "narrative": format!("Update as at {as_at}"), "newStatus": status } }),
        &["addProgressUpdate"],
    )
    .await
}

/// An action's current version.
pub async fn version(app: &TestApp, tok: &str, action: &str) -> i64 {
    let resp = app
        .gql(
            Some(tok),
            "query($id: ID!) { action(id: $id) { version } }",
            json!({ "id": action }),
        )
        .await;
    resp.data()["action"]["version"].as_i64().unwrap()
}

/// How `action` stood at the end of `day`.
pub async fn standing(app: &TestApp, tok: &str, action: &str, day: &str) -> Value {
    let resp: Gql = app
        .gql(
            Some(tok),
            "query($id: ID!, $d: Date) { action(id: $id) { standing(asOf: $d) { asOf status dueOn completedOn rag } } }",
            json!({ "id": action, "d": day }),
        )
        .await;
    resp.data()["action"]["standing"].clone()
}

/// The world, plus `council_a`'s people.
pub async fn setup(app: &TestApp) -> (World, People) {
    let world = World::build(app).await;
    let people = People::of(&world.council_a);
    (world, people)
}
