//! What row-level security itself lets each caller read, beside the rule the access model
//! states, with the service's own scoping out of the way: the statements here run straight on
//! a request's transaction, opened as the service opens one.

use std::collections::BTreeSet;
use std::sync::Arc;

use resilience_hub::access::{Access, Actor};
use resilience_hub::auth::Role;
use resilience_hub::cache::Remembered;
use resilience_hub::ids::{OrgId, UserId};
use resilience_hub::organisations::OrgKind;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use uuid::Uuid;

use crate::assurance::{assessed, framework, rate_all, start};
use crate::helpers::{Engine, TestApp, postgres_only, token};
use crate::world::World;

/// The ids of `sql`'s first column, as `db` reads them.
async fn ids(db: &impl ConnectionTrait, sql: &str) -> BTreeSet<Uuid> {
    db.query_all_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .expect("the statement runs")
        .iter()
        .map(|row| row.try_get_by_index::<Uuid>(0).expect("an id"))
        .collect()
}

/// The ratings and assessments row-level security lets `org` (of `kind`) read, in detail
/// and in a summary.
async fn readable(
    app: &TestApp,
    org: &str,
    kind: OrgKind,
) -> [(BTreeSet<Uuid>, BTreeSet<Uuid>); 2] {
    let db = app
        .service_database()
        .begin_request(false, 100)
        .await
        .expect("a request's transaction");
    let actor = Actor {
        user_id: UserId(Uuid::now_v7()),
        org_id: OrgId::parse("org", org).expect("an organisation id"),
        org_kind: kind,
        role: Role::Viewer,
    };
    let access = Access::load(actor, Arc::new(db), Arc::new(Remembered::default()))
        .await
        .expect("the caller's access");
    let (ratings, assessments) = ("SELECT id FROM ratings", "SELECT id FROM assessments");
    let detail = (
        ids(access.db(), ratings).await,
        ids(access.db(), assessments).await,
    );
    let summary = (
        ids(&access.db().for_summary(), ratings).await,
        ids(&access.db().for_summary(), assessments).await,
    );
    access.db().abandon().await;
    [detail, summary]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ratings_go_with_their_assessment_under_row_level_security() {
    let Some(url) = postgres_only("row-level security") else {
        return;
    };
    let app = TestApp::spawn(Engine::Postgres(url)).await;
    let w = World::build(&app).await;
    let fw = framework(&app, &w.admin, "NRS", 2).await;
    let levels = ["GOOD_PRACTICE", "DEVELOPING"];
    // Submitted: council A (a panel P member, shared with partners by name), council B
    // (panel Q's, shared in aggregate), and the fire service (panel P's, not shared).
    for org in [&w.council_a, &w.council_b, &w.fire] {
        assessed(&app, &token(org, Role::Manager), &fw, "2024-25", &levels).await;
    }
    // Drafts, rated: no one else reads them.
    for org in [&w.council_a, &w.fire] {
        let manager = token(org, Role::Manager);
        let draft = start(&app, &manager, &fw, "2025-26").await;
        rate_all(&app, &manager, &draft, &fw, &levels).await;
    }

    let everything: Vec<(Uuid, Uuid, Uuid)> = {
        let conn = app.database().conn();
        conn.query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT id, org_id, assessment_id FROM ratings",
        ))
        .await
        .expect("the owner reads every rating")
        .iter()
        .map(|row| {
            (
                row.try_get_by_index(0).unwrap(),
                row.try_get_by_index(1).unwrap(),
                row.try_get_by_index(2).unwrap(),
            )
        })
        .collect()
    };
    assert_eq!(everything.len(), 10, "five assessments of two standards");

    let callers = [
        ("council_a", &w.council_a, OrgKind::Council),
        ("council_b", &w.council_b, OrgKind::Council),
        ("fire", &w.fire, OrgKind::FireAndRescueService),
        ("panel", &w.panel, OrgKind::RegionalPanel),
        ("other_panel", &w.other_panel, OrgKind::RegionalPanel),
        ("partner", &w.partner, OrgKind::PartnerBody),
    ];
    let mut seen_by_someone_else = BTreeSet::new();
    for (label, org, kind) in callers {
        let own = OrgId::parse("org", org).unwrap().0;
        for (purpose, (ratings, assessments)) in ["detail", "summary"]
            .into_iter()
            .zip(readable(&app, org, kind).await)
        {
            // The rule: its own organisation's ratings, and those of the assessments it reads.
            let expected: BTreeSet<Uuid> = everything
                .iter()
                .filter(|(_, org_id, assessment)| {
                    *org_id == own || assessments.contains(assessment)
                })
                .map(|(id, _, _)| *id)
                .collect();
            assert_eq!(ratings, expected, "{label}'s ratings in {purpose}");
            seen_by_someone_else.extend(
                everything
                    .iter()
                    .filter(|(id, org_id, _)| *org_id != own && ratings.contains(id))
                    .map(|(id, _, _)| *id),
            );
        }
    }
    // Not vacuous: callers read others' ratings (a panel its members', a partner those
    // shared with it), but nobody else's drafts.
    assert_eq!(
        seen_by_someone_else.len(),
        6,
        "the three submitted assessments' ratings, each read by someone other than its author"
    );
}
