//! Generated data for benchmarks: `resilience-hub seed-bench --scale <small|national>`.
//!
//! At national scale: about 500 councils and fire and rescue services, 40 regional panels
//! (the London-wide panel of 33 boroughs, London's six sub-regions, and partnerships of five to
//! eight members elsewhere), 10,000 reviews, about 100,000 recommendations, 300,000 actions and
//! 1,500,000 progress updates with their histories (extensions, late completions,
//! withdrawals), two frameworks of 15 standards, and assessments over four cycles at three
//! tiers. A few organisations have many reviews and most have few.
//!
//! The data is deterministic for a given seed ([`world`] says how) and written in bulk
//! ([`sink`]). [`targets`] names what the benchmark's scenarios ask about, read back from the
//! database: the organisations, the reviews with the longest action plans, the 33-member
//! panel, the shared framework, a partner body, and the actions the write mix changes.

// The benchmark data generator loads through the owner's connection, outside any request.
#![allow(clippy::disallowed_methods)]

mod names;
mod sink;
mod world;

use std::time::Instant;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use resilience_hub::db::Database;
use resilience_hub::ids::{ActionId, FrameworkId, OrgId, ReviewId};
use resilience_hub::sql::Sql;

pub use world::{ANCHOR, CYCLES};

/// How much data to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// A few dozen organisations and a few thousand actions: the CI smoke test.
    Small,
    /// Every council and fire service in the country.
    National,
}

/// The sizes of a scale.
#[derive(Clone, Debug)]
pub struct Plan {
    pub london_boroughs: usize,
    pub sub_regions: usize,
    pub other_councils: usize,
    pub fire_services: usize,
    pub other_panels: usize,
    pub partners: usize,
    pub reviews: usize,
    pub recommendations_per_review: (u32, u32),
    pub actions_per_recommendation: (u32, u32),
    pub updates_per_action: (u32, u32),
    pub users_per_org: usize,
}

impl Scale {
    /// The sizes of this scale.
    pub fn plan(self) -> Plan {
        match self {
            Scale::Small => Plan {
                london_boroughs: 10,
                sub_regions: 2,
                other_councils: 10,
                fire_services: 5,
                other_panels: 2,
                partners: 1,
                reviews: 60,
                recommendations_per_review: (1, 7),
                actions_per_recommendation: (1, 4),
                updates_per_action: (0, 6),
                users_per_org: 3,
            },
            Scale::National => Plan {
                london_boroughs: 33,
                sub_regions: 6,
                other_councils: 407,
                fire_services: 60,
                other_panels: 33,
                partners: 3,
                reviews: 10_000,
                recommendations_per_review: (1, 19),
                actions_per_recommendation: (1, 5),
                updates_per_action: (0, 10),
                users_per_org: 4,
            },
        }
    }
}

/// The tables written, with their row counts.
pub type Loaded = Vec<(&'static str, u64)>;

/// Generates the data of `scale` from `seed` into an empty database.
pub async fn load(db: &Database, scale: Scale, seed: u64) -> anyhow::Result<Loaded> {
    if !is_empty(db).await? {
        bail!("the database already holds organisations: seed-bench loads into an empty one");
    }
    let plan = scale.plan();
    let mut sink = sink::Sink::open(db).await?;
    world::generate(&plan, seed, &mut sink).await?;
    let loaded = sink.commit().await?;
    // Written without the API's audit trail (see `demo::seed`).
    resilience_hub::epochs::advance_all(db.conn()).await?;
    // Fresh statistics (and, on Postgres, a visibility map for index-only scans), as a
    // database that had grown to this size would have.
    let conn = db.conn();
    match conn.get_database_backend() {
        DbBackend::Postgres => {
            for (table, _) in &loaded {
                conn.execute_unprepared(&format!("VACUUM ANALYZE {table}"))
                    .await
                    .with_context(|| format!("vacuuming {table}"))?;
            }
        }
        _ => {
            conn.execute_unprepared("ANALYZE").await?;
        }
    }
    Ok(loaded)
}

/// Whether the database holds no organisation at all.
pub async fn is_empty(db: &Database) -> anyhow::Result<bool> {
    let row = db
        .conn()
        .query_one_raw(Statement::from_string(
            db.conn().get_database_backend(),
            "SELECT COUNT(*) AS n FROM organisations",
        ))
        .await?
        .context("counting organisations")?;
    Ok(row.try_get::<i64>("", "n")? == 0)
}

/// Loads the data unless it is there already, and says what happened.
pub async fn seed(db: &Database, scale: Scale, seed: u64) -> anyhow::Result<String> {
    if !is_empty(db).await? {
        // Bench data answers every target; anything else is someone's real data.
        targets(db, scale, seed)
            .await
            .context("the database holds data that is not the benchmark's")?;
        return Ok("the benchmark data is already loaded; nothing written".to_owned());
    }
    let started = Instant::now();
    let loaded = load(db, scale, seed).await?;
    let rows: u64 = loaded.iter().map(|(_, n)| n).sum();
    let mut out = format!(
        "loaded {rows} rows in {:.1}s ({scale:?} scale, seed {seed}):",
        started.elapsed().as_secs_f64()
    );
    for (table, n) in loaded {
        out.push_str(&format!("\n  {table:<32} {n:>10}"));
    }
    Ok(out)
}

/// An object both as the API names it and as the database stores it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Ref {
    /// The API id (`org_…`).
    pub id: String,
    /// The UUID, for hand-written SQL.
    pub uuid: Uuid,
}

impl Ref {
    fn new(id: impl ToString, uuid: Uuid) -> Self {
        Ref {
            id: id.to_string(),
            uuid,
        }
    }

    fn org(uuid: Uuid) -> Self {
        Ref::new(OrgId(uuid), uuid)
    }
}

/// A review whose action plan the benchmark reads.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanTarget {
    pub organisation: Ref,
    pub review: Ref,
    /// Its actions agreed by the day the plan is read as at.
    pub actions: i64,
}

/// An organisation whose actions the write mix changes.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WriterTarget {
    pub organisation: Ref,
    pub actions: Vec<Ref>,
}

/// What the benchmark's scenarios ask about.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Targets {
    pub scale: Scale,
    pub seed: u64,
    /// The last day of the generated histories.
    pub anchor: NaiveDate,
    /// The past day action plans are read as at.
    pub as_of: NaiveDate,
    pub cycles: Vec<String>,
    /// The shared national framework.
    pub framework: Ref,
    /// The panel with the most members (the London-wide panel), and how many it has.
    pub panel: Ref,
    pub panel_members: i64,
    /// A partner body.
    pub partner: Ref,
    /// Every council and fire and rescue service, for dashboards.
    pub organisations: Vec<Ref>,
    /// The reviews with the longest action plans as at `as_of`.
    pub action_plans: Vec<PlanTarget>,
    /// Organisations and open actions for the write mix.
    pub writers: Vec<WriterTarget>,
}

/// The past day the action-plan scenario reads plans as at: a year end.
pub const PLAN_AS_OF: NaiveDate = NaiveDate::from_ymd_opt(2025, 3, 31).unwrap();
/// How many reviews the action-plan scenario spreads over.
const PLANS: i64 = 100;
/// How many organisations the write mix spreads over, and how many actions of each.
const WRITERS: usize = 8;
const WRITER_ACTIONS: usize = 8;

#[derive(FromQueryResult)]
struct IdRow {
    id: Uuid,
}

#[derive(FromQueryResult)]
struct CountRow {
    id: Uuid,
    org_id: Uuid,
    n: i64,
}

async fn ids(db: &Database, sql: &Sql) -> anyhow::Result<Vec<Uuid>> {
    let conn = db.conn();
    Ok(
        IdRow::find_by_statement(sql.statement(conn.get_database_backend()))
            .all(conn)
            .await?
            .into_iter()
            .map(|r| r.id)
            .collect(),
    )
}

async fn counts(db: &Database, sql: &Sql) -> anyhow::Result<Vec<CountRow>> {
    let conn = db.conn();
    Ok(
        CountRow::find_by_statement(sql.statement(conn.get_database_backend()))
            .all(conn)
            .await?,
    )
}

/// Reads the scenarios' targets back from a database holding the benchmark data.
pub async fn targets(db: &Database, scale: Scale, seed: u64) -> anyhow::Result<Targets> {
    let one = |rows: Vec<Uuid>, what: &str| {
        rows.first()
            .copied()
            .with_context(|| format!("no {what} in the database"))
    };
    let mut sql = Sql::new("SELECT id FROM frameworks WHERE owner_org_id IS NULL AND code = ");
    sql.bind(crate::demo::NRS_CODE);
    let framework = one(ids(db, &sql).await?, "shared national framework")?;

    let panel = counts(
        db,
        &Sql::new(
            "SELECT p.panel_id AS id, p.panel_id AS org_id, COUNT(*) AS n FROM panel_memberships p \
             GROUP BY p.panel_id ORDER BY COUNT(*) DESC, p.panel_id LIMIT 1",
        ),
    )
    .await?;
    let panel = panel.first().context("no panel in the database")?;

    let mut sql = Sql::new("SELECT id FROM organisations WHERE kind = 'PARTNER_BODY' AND slug = ");
    sql.bind("local-government-association");
    let partner = one(ids(db, &sql).await?, "partner body")?;

    let organisations = ids(
        db,
        &Sql::new(
            "SELECT id FROM organisations WHERE kind IN ('COUNCIL', 'FIRE_AND_RESCUE_SERVICE') \
             ORDER BY slug",
        ),
    )
    .await?;

    let mut sql = Sql::new(
        "SELECT a.review_id AS id, a.org_id, COUNT(*) AS n FROM actions a \
         WHERE a.review_id IS NOT NULL AND a.opened_on <= ",
    );
    sql.bind(PLAN_AS_OF)
        .push(" GROUP BY a.review_id, a.org_id ORDER BY COUNT(*) DESC, a.review_id LIMIT ")
        .bind(PLANS);
    let action_plans = counts(db, &sql)
        .await?
        .into_iter()
        .map(|r| PlanTarget {
            organisation: Ref::org(r.org_id),
            review: Ref::new(ReviewId(r.id), r.id),
            actions: r.n,
        })
        .collect();

    let mut sql = Sql::new(
        "SELECT a.org_id AS id, a.org_id, COUNT(*) AS n FROM actions a \
         WHERE a.status IN ('NOT_STARTED', 'IN_PROGRESS') GROUP BY a.org_id \
         ORDER BY COUNT(*) DESC, a.org_id LIMIT ",
    );
    sql.bind(WRITERS as i64);
    let mut writers = Vec::new();
    for org in counts(db, &sql).await? {
        let mut sql = Sql::new(
            "SELECT id FROM actions WHERE status IN ('NOT_STARTED', 'IN_PROGRESS') AND org_id = ",
        );
        sql.bind(org.org_id)
            .push(" ORDER BY id LIMIT ")
            .bind(WRITER_ACTIONS as i64);
        let actions = ids(db, &sql)
            .await?
            .into_iter()
            .map(|id| Ref::new(ActionId(id), id))
            .collect();
        writers.push(WriterTarget {
            organisation: Ref::org(org.org_id),
            actions,
        });
    }

    Ok(Targets {
        scale,
        seed,
        anchor: ANCHOR,
        as_of: PLAN_AS_OF,
        cycles: CYCLES.iter().map(|c| (*c).to_owned()).collect(),
        framework: Ref::new(FrameworkId(framework), framework),
        panel: Ref::org(panel.id),
        panel_members: panel.n,
        partner: Ref::org(partner),
        organisations: organisations.into_iter().map(Ref::org).collect(),
        action_plans,
        writers,
    })
}
