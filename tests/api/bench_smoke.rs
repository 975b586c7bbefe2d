//! The benchmark at small scale: the generated data obeys the service's rules, and every
//! scenario document in `bench/queries` answers without an error and within its budget of SQL
//! statements. A correctness smoke test, never a timing one.

use resilience_hub::auth::Role;
use resilience_hub_app::bench_data::{self, Scale, Targets};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{Claims, TestApp, api_test, engines};

const DASHBOARD: &str = include_str!("../../bench/queries/dashboard.graphql");
const ACTION_PLAN: &str = include_str!("../../bench/queries/action_plan.graphql");
const PANEL_COMPARISON: &str = include_str!("../../bench/queries/panel_comparison.graphql");
const STANDARDS_PROGRESS: &str = include_str!("../../bench/queries/standards_progress.graphql");
const ADD_PROGRESS_UPDATE: &str = include_str!("../../bench/queries/add_progress_update.graphql");
const UPDATE_ACTION: &str = include_str!("../../bench/queries/update_action.graphql");
const ACTION_VERSION: &str = include_str!("../../bench/queries/action_version.graphql");

/// The SQL statements each scenario may take, once its caller is known (the first request of
/// a new user also records the user). The counter sees every query, not the transaction's
/// `BEGIN` and its end, nor the pool's check of a connection; none grows with the number of rows on the page. The benchmark
/// measured the same counts at national scale.
///
/// Every request opens with one statement: on Postgres it makes the transaction read-only
/// (a query's), sets what row-level security reads from the caller's remembered memberships
/// and sharing, and reads the epoch that says whether those still hold, with the assurance
/// epoch and the caller's own actions epoch; on SQLite it reads those epochs. The rest are
/// the document's own. An action plan's progress, first page and latest updates are one
/// statement, its changes of delivery date a second, its review a third. A dashboard's and
/// standards progress's remembered counts need no statement of their own: the epochs they
/// are checked against came with the first. A write also moves its organisation's actions
/// epoch.
///
/// On Postgres a summary's statement follows one that sets its purpose (the second number of
/// each pair); in a read-only request the purpose is reset only before a statement that is
/// not a summary, so the last summary needs no reset. The caller's own organisation's counts
/// are no summary: it reads its records in detail.
///
/// `*_RECOUNTED`: the same once the records' epochs have moved, so that nothing remembered
/// holds (the benchmark's "epochs moving" variant).
mod budget {
    // The opening, the recommendations counted, and the most overdue actions with their
    // recommendations and their reviews (one statement). The caller's own organisation is
    // remembered until the directory changes.
    pub const DASHBOARD: (u64, u64) = (3, 3);
    // Its action counts as well.
    pub const DASHBOARD_RECOUNTED: (u64, u64) = (4, 4);
    // The opening, the review, and the plan: its page, counts, latest updates and (on
    // Postgres) changes of delivery date, which SQLite reads in a statement of their own.
    pub const ACTION_PLAN: (u64, u64) = (4, 3);
    // Remembered whole: the opening and the members' actions epochs.
    pub const PANEL_COMPARISON: (u64, u64) = (2, 2);
    // Rebuilt: the framework (its published content is remembered for good), the members'
    // assessments, their marks (ratings, moderations, challenges), and their actions counted
    // as a summary. The members' organisations are remembered until the directory changes.
    pub const PANEL_COMPARISON_RECOUNTED: (u64, u64) = (6, 7);
    // The opening and the framework.
    pub const STANDARDS_PROGRESS: (u64, u64) = (2, 2);
    // Counted again: the ratings (grouped in a hash table on Postgres) and the moderations in
    // force, each a summary; on Postgres the second changes the planner's setting back.
    pub const STANDARDS_PROGRESS_RECOUNTED: (u64, u64) = (4, 6);
    // One read more than before: the action's latest update, which tells the next entry of
    // its history from a correction. And one write: the change's outbox row, beside its
    // audit event.
    pub const ADD_PROGRESS_UPDATE: (u64, u64) = (11, 11);
    pub const UPDATE_ACTION: (u64, u64) = (7, 7);

    /// The budget for the engine the test runs on.
    pub fn on(app: &crate::helpers::TestApp, (sqlite, postgres): (u64, u64)) -> u64 {
        match app.engine {
            crate::helpers::Engine::Sqlite => sqlite,
            crate::helpers::Engine::Postgres(_) => postgres,
        }
    }
}

/// A token for `org` in `role`, as one named user of the benchmark.
fn token(org: &str, role: Role, user: &str) -> String {
    let mut claims = Claims::new(org, role);
    claims.sub = format!("bench-smoke-{user}");
    claims.sign()
}

/// The plan's progress and first page read in one statement answer exactly as each read
/// apart (an empty filter keeps the page from riding with the counts), today and as at a
/// past day, as known now and at a past moment, with the list's total.
async fn same_plan_read_apart(app: &TestApp, tok: &str, review: &str, as_of: &str) {
    let together = ACTION_PLAN.replace(
        "actions(asOf: $asOf, first: 50) {",
        "actions(asOf: $asOf, first: 50) { totalCount",
    );
    let apart = together.replace("first: 50)", "first: 50, filter: {})");
    assert_ne!(together, apart);
    for (day, known) in [
        (as_of, None),
        (as_of, Some("2024-06-30T12:00:00Z")),
        ("2099-01-01", None),
    ] {
        let with_known = |doc: &str| match known {
            Some(k) => doc
                .replace(
                    "progress(asOf: $asOf)",
                    &format!("progress(asOf: $asOf, knownAt: \"{k}\")"),
                )
                .replace(
                    "actions(asOf: $asOf,",
                    &format!("actions(asOf: $asOf, knownAt: \"{k}\","),
                ),
            None => doc.to_owned(),
        };
        let vars = json!({ "review": review, "asOf": day });
        let one = app
            .gql(Some(tok), &with_known(&together), vars.clone())
            .await
            .data()
            .clone();
        let two = app
            .gql(Some(tok), &with_known(&apart), vars)
            .await
            .data()
            .clone();
        assert_eq!(one, two, "the plan on {day} as known at {known:?}");
    }
}

/// Runs `doc` once to record the caller, then again counting statements; returns the second
/// response's data and its statement count.
async fn measured(app: &TestApp, tok: &str, doc: &str, vars: Value) -> (Value, u64) {
    app.gql(Some(tok), doc, vars.clone()).await.data();
    let before = app.statements();
    let resp = app.gql(Some(tok), doc, vars).await;
    let cost = app.statements() - before;
    (resp.data().clone(), cost)
}

/// The statements of `doc` once every record's epoch has moved on, as the benchmark's second
/// variant moves them (not the visibility epoch: the directory, memberships and sharing), so
/// that nothing remembered of the records holds: the cost of counting again. Its answer is
/// the same as before.
async fn recounted(app: &TestApp, tok: &str, doc: &str, vars: Value, was: &Value) -> u64 {
    app.database()
        .conn()
        .execute_unprepared(
            "UPDATE change_epochs SET epoch = epoch + 1 WHERE family <> 'VISIBILITY'",
        )
        .await
        .expect("the epochs move");
    let before = app.statements();
    let resp = app.gql(Some(tok), doc, vars).await;
    let cost = app.statements() - before;
    assert_eq!(resp.data(), was, "counted again, the same answer");
    cost
}

async fn load(app: &TestApp) -> Targets {
    let db = app.database();
    bench_data::load(db, Scale::Small, 42)
        .await
        .expect("the small scale loads");
    bench_data::targets(db, Scale::Small, 42)
        .await
        .expect("the targets are found")
}

api_test!(the_generated_histories_obey_the_services_rules, |app| {
    let loaded = bench_data::load(app.database(), Scale::Small, 42)
        .await
        .unwrap();
    for (table, rows) in &loaded {
        assert!(*rows > 0, "{table} is empty");
    }
    // An action's status, delivery date and completion are those of its latest entries.
    let wrong_status = app
        .scalar(
            "SELECT COUNT(*) FROM actions a WHERE a.status <> (SELECT h.status FROM \
             action_status_changes h WHERE h.action_id = a.id \
             ORDER BY h.effective_on DESC, h.id DESC LIMIT 1)",
        )
        .await;
    let wrong_due = app
        .scalar(
            "SELECT COUNT(*) FROM actions a WHERE a.due_on <> COALESCE((SELECT h.new_due_on FROM \
             due_date_changes h WHERE h.action_id = a.id \
             ORDER BY h.effective_on DESC, h.id DESC LIMIT 1), a.original_due_on)",
        )
        .await;
    let wrong_completion = app.scalar("SELECT COUNT(*) FROM actions a WHERE (a.status = 'COMPLETE') <> (a.completed_on IS NOT NULL)",
        )
        .await;
    let wrong_recommendation = app
        .scalar(
            "SELECT COUNT(*) FROM recommendations r WHERE r.status <> (SELECT h.status FROM \
             recommendation_status_changes h WHERE h.recommendation_id = r.id \
             ORDER BY h.effective_on DESC, h.id DESC LIMIT 1)",
        )
        .await;
    assert_eq!(
        (
            wrong_status,
            wrong_due,
            wrong_completion,
            wrong_recommendation
        ),
        (0, 0, 0, 0)
    );
    // Nothing is dated after the last day of the histories, and no update comes before
    // its action was agreed.
    let anchor = bench_data::ANCHOR.format("%Y-%m-%d").to_string();
    let future = app
        .scalar(&format!(
            "SELECT (SELECT COUNT(*) FROM action_status_changes WHERE effective_on > '{anchor}') \
                 + (SELECT COUNT(*) FROM due_date_changes WHERE effective_on > '{anchor}') \
                 + (SELECT COUNT(*) FROM progress_updates WHERE as_at > '{anchor}')"
        ))
        .await;
    let early = app
        .scalar(
            "SELECT COUNT(*) FROM progress_updates u JOIN actions a ON a.id = u.action_id \
             WHERE u.as_at < a.opened_on",
        )
        .await;
    assert_eq!((future, early), (0, 0));

    // A database that holds anything already is refused.
    let again = bench_data::load(app.database(), Scale::Small, 42).await;
    assert!(
        again.unwrap_err().to_string().contains("already holds"),
        "a second load is refused"
    );
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_seed_gives_the_same_rows_and_another_seed_other_ones() {
    let engine = engines().remove(0);
    let mut digests = Vec::new();
    for seed in [7, 7, 8] {
        let app = TestApp::spawn(engine.clone()).await;
        bench_data::load(app.database(), Scale::Small, seed)
            .await
            .unwrap();
        digests.push(
            app.uuids("SELECT id FROM progress_updates ORDER BY id")
                .await,
        );
    }
    assert!(!digests[0].is_empty());
    assert_eq!(digests[0], digests[1], "the same seed, the same rows");
    assert_ne!(digests[0], digests[2], "another seed, other rows");
}

api_test!(
    every_benchmark_scenario_answers_without_errors_within_its_statement_budget,
    |app| {
        let t = load(&app).await;

        // 1. Dashboards: today's summary and the most overdue actions, reddest first.
        for org in t.organisations.iter().take(4) {
            let tok = token(&org.id, Role::Viewer, "dashboard");
            let (data, cost) = measured(&app, &tok, DASHBOARD, json!({})).await;
            eprintln!("dashboard: {cost} statements");
            assert!(
                cost <= budget::on(&app, budget::DASHBOARD),
                "dashboard took {cost} statements"
            );
            let cost = recounted(&app, &tok, DASHBOARD, json!({}), &data).await;
            eprintln!("dashboard recounted: {cost} statements");
            assert!(
                cost <= budget::on(&app, budget::DASHBOARD_RECOUNTED),
                "dashboard recounted took {cost} statements"
            );
            let progress = &data["me"]["organisation"]["progress"];
            let nodes = data["actions"]["nodes"].as_array().unwrap();
            assert!(nodes.len() <= 20);
            assert!(nodes.len() as i64 <= progress["red"].as_i64().unwrap());
            let due: Vec<&str> = nodes.iter().map(|n| n["dueOn"].as_str().unwrap()).collect();
            assert!(due.windows(2).all(|w| w[0] <= w[1]), "most overdue first");
            for n in nodes {
                assert_eq!(n["rag"], "RED");
                assert!(n["review"]["title"].is_string());
            }
        }

        // 2. Action plans as at a past day.
        let as_of = t.as_of.to_string();
        for plan in t.action_plans.iter().take(3) {
            let tok = token(&plan.organisation.id, Role::Viewer, "plan");
            let vars = json!({ "review": plan.review.id, "asOf": as_of });
            let (data, cost) = measured(&app, &tok, ACTION_PLAN, vars).await;
            eprintln!("action plan: {cost} statements");
            assert!(
                cost <= budget::on(&app, budget::ACTION_PLAN),
                "action plan took {cost} statements"
            );
            let review = &data["review"];
            let nodes = review["actions"]["nodes"].as_array().unwrap();
            assert_eq!(nodes.len() as i64, plan.actions.min(50));
            assert!(review["progress"]["actionsTotal"].as_i64().unwrap() <= plan.actions);
            for n in nodes {
                assert!(n["standing"]["dueOn"].is_string());
                assert!(n["dueDateChanges"].is_array());
            }
            same_plan_read_apart(&app, &tok, plan.review.id.as_str(), &as_of).await;
        }

        // 3. The biggest panel's heat map.
        let tok = token(&t.panel.id, Role::Viewer, "lead");
        let vars = json!({
            "panel": t.panel.id,
            "framework": t.framework.id,
            "cycle": t.cycles.last().unwrap(),
        });
        let (data, cost) = measured(&app, &tok, PANEL_COMPARISON, vars.clone()).await;
        eprintln!("panel comparison: {cost} statements");
        assert!(
            cost <= budget::on(&app, budget::PANEL_COMPARISON),
            "comparison took {cost} statements"
        );
        let cost = recounted(&app, &tok, PANEL_COMPARISON, vars, &data).await;
        eprintln!("panel comparison rebuilt: {cost} statements");
        assert!(
            cost <= budget::on(&app, budget::PANEL_COMPARISON_RECOUNTED),
            "comparison rebuilt took {cost} statements"
        );
        let rows = data["panelComparison"]["rows"].as_array().unwrap();
        assert_eq!(rows.len() as i64, t.panel_members);
        assert!(
            rows.iter().any(|r| r["cells"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["challenged"] == true)),
            "some members were challenged"
        );

        // 4. A partner's progress over every cycle.
        let tok = token(&t.partner.id, Role::Viewer, "partner");
        let vars = json!({ "framework": t.framework.id, "cycles": t.cycles });
        let (data, cost) = measured(&app, &tok, STANDARDS_PROGRESS, vars.clone()).await;
        eprintln!("standards progress: {cost} statements");
        assert!(
            cost <= budget::on(&app, budget::STANDARDS_PROGRESS),
            "progress took {cost} statements"
        );
        let cost = recounted(&app, &tok, STANDARDS_PROGRESS, vars, &data).await;
        eprintln!("standards progress recounted: {cost} statements");
        assert!(
            cost <= budget::on(&app, budget::STANDARDS_PROGRESS_RECOUNTED),
            "progress recounted took {cost} statements"
        );
        let progress = &data["standardsProgress"];
        assert_eq!(progress["suppressing"], true);
        assert_eq!(
            progress["rows"].as_array().unwrap().len(),
            15 * t.cycles.len()
        );

        // 5. The write mix: an update, a change at the version it left, and a stale change.
        let writer = &t.writers[0];
        let action = &writer.actions[0].id;
        let tok = token(&writer.organisation.id, Role::Manager, "writer");
        let update = json!({
            "action": action,
            "asAt": t.anchor.to_string(),
            "narrative": "Smoke test update.",
            "percent": 40,
        });
        let (data, cost) = measured(&app, &tok, ADD_PROGRESS_UPDATE, update).await;
        eprintln!("add progress update: {cost} statements");
        assert!(
            cost <= budget::on(&app, budget::ADD_PROGRESS_UPDATE),
            "update took {cost} statements"
        );
        let version = data["addProgressUpdate"]["action"]["version"]
            .as_i64()
            .unwrap();
        let before = app.statements();
        let changed = app
            .gql(
                Some(&tok),
                UPDATE_ACTION,
                json!({ "action": action, "version": version, "owner": "Head of Protection" }),
            )
            .await;
        let cost = app.statements() - before;
        eprintln!("update action: {cost} statements");
        assert!(
            cost <= budget::on(&app, budget::UPDATE_ACTION),
            "change took {cost} statements"
        );
        assert_eq!(
            changed.data()["updateAction"]["action"]["version"].as_i64(),
            Some(version + 1)
        );
        let stale = app
            .gql(
                Some(&tok),
                UPDATE_ACTION,
                json!({ "action": action, "version": version, "owner": "Head of Prevention" }),
            )
            .await;
        assert_eq!(stale.codes(), vec!["CONFLICT"]);
        let current = app
            .gql(Some(&tok), ACTION_VERSION, json!({ "action": action }))
            .await;
        assert_eq!(
            current.data()["action"]["version"].as_i64(),
            Some(version + 1),
            "the stale change changed nothing"
        );
    }
);

api_test!(
    the_benchmark_scenarios_read_nothing_of_another_organisation,
    |app| {
        let t = load(&app).await;
        // A dashboard shows the caller's own actions only.
        let (mine, other) = (&t.organisations[0], &t.organisations[1]);
        let tok = token(&mine.id, Role::Viewer, "isolation");
        let data = app.gql(Some(&tok), DASHBOARD, json!({})).await;
        let own_actions = app
            .scalar(&format!(
                "SELECT COUNT(*) FROM actions WHERE org_id = '{}'",
                mine.uuid
            ))
            .await;
        let total = data.data()["me"]["organisation"]["progress"]["actionsTotal"]
            .as_i64()
            .unwrap();
        assert!(total <= own_actions);
        // Another organisation's action plan, and another's action, are not found.
        let plan = t
            .action_plans
            .iter()
            .find(|p| p.organisation.uuid != mine.uuid)
            .unwrap();
        let vars = json!({ "review": plan.review.id, "asOf": t.as_of.to_string() });
        let resp = app.gql(Some(&tok), ACTION_PLAN, vars).await;
        assert_eq!(resp.codes(), vec!["NOT_FOUND"]);
        // A council is no panel: the heat map is not found; partners' progress is refused.
        let vars = json!({
            "panel": t.panel.id,
            "framework": t.framework.id,
            "cycle": t.cycles[0],
        });
        let resp = app.gql(Some(&tok), PANEL_COMPARISON, vars).await;
        assert_eq!(resp.codes(), vec!["NOT_FOUND"]);
        // Another organisation's action cannot be changed.
        let writer = t
            .writers
            .iter()
            .find(|w| w.organisation.uuid != other.uuid)
            .unwrap();
        let tok = token(&other.id, Role::Manager, "intruder");
        let resp = app
            .gql(
                Some(&tok),
                UPDATE_ACTION,
                json!({ "action": writer.actions[0].id, "version": 1, "owner": "Intruder" }),
            )
            .await;
        assert_eq!(resp.codes(), vec!["NOT_FOUND"]);
    }
);

api_test!(
    todays_standing_from_the_actions_own_columns_equals_the_one_from_their_histories,
    |app| {
        use resilience_hub::access::OrgSet;
        use resilience_hub::actions::asof::{self, Filter, Source};

        bench_data::load(app.database(), Scale::Small, 42)
            .await
            .unwrap();
        // The generated histories, and a few written through the API today.
        let t = bench_data::targets(app.database(), Scale::Small, 42)
            .await
            .unwrap();
        let writer = &t.writers[0];
        let tok = token(&writer.organisation.id, Role::Manager, "history");
        let today = resilience_hub::dates::london_today();
        for (i, action) in writer.actions.iter().take(3).enumerate() {
            let vars = json!({
                "action": action.id,
                "asAt": today.to_string(),
                "narrative": "Done today.",
                "percent": 100,
            });
            let doc = "mutation($action: ID!, $asAt: Date!, $narrative: String!, $percent: Int) { \
                 addProgressUpdate(input: { actionId: $action, asAt: $asAt, narrative: $narrative, \
                 percentComplete: $percent, newStatus: COMPLETE }) { action { status } } }";
            let resp = app.gql(Some(&tok), doc, vars).await;
            assert_eq!(
                resp.data()["addProgressUpdate"]["action"]["status"],
                "COMPLETE",
                "{i}"
            );
        }

        let conn = app.database().conn();
        let read = |source, filter: Filter| {
            let at = resilience_hub::history::AsAt::on(today);
            let sql = asof::projection_from(source, &OrgSet::All, &filter, at, asof::Detail::Read);
            async move {
                let mut actions = asof::fetch(conn, &sql, at).await.unwrap();
                actions.sort_by_key(|a| a.id.0);
                actions
            }
        };
        let from_history = read(Source::History, Filter::default()).await;
        let from_columns = read(Source::Current, Filter::default()).await;
        assert!(from_history.len() > 500);
        assert_eq!(from_history, from_columns);
        assert!(
            from_columns
                .iter()
                .any(|a| a.standing.completed_on == Some(today))
        );
        // The filters the columns let the index apply find the same actions.
        use resilience_hub::actions::{ActionStatus, Rag};
        let filters = [
            Filter {
                overdue: Some(true),
                ..Default::default()
            },
            Filter {
                overdue: Some(false),
                ..Default::default()
            },
            Filter {
                rag: Some(Rag::Amber),
                ..Default::default()
            },
            Filter {
                rag: Some(Rag::Green),
                ..Default::default()
            },
            Filter {
                status: Some(ActionStatus::InProgress),
                ..Default::default()
            },
        ];
        for filter in filters {
            let history = read(Source::History, filter.clone()).await;
            assert!(!history.is_empty(), "{filter:?}");
            assert_eq!(
                history,
                read(Source::Current, filter.clone()).await,
                "{filter:?}"
            );
        }
    }
);
