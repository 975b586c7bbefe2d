//! The benchmark driver of resilience-hub.
//!
//! For each scenario, at each concurrency, in one run: goose drives the running service with
//! the scenario's GraphQL documents (`bench/queries`), then pgbench runs the same work as
//! hand-written SQL (`bench/sql`) straight against Postgres. It reports requests per second,
//! p50/p95/p99 latency, the error rate (a response with `errors` is a failure, whatever its
//! HTTP status), SQL statements per request (from the service's `/metrics`), the service's
//! peak memory, and every figure as a ratio to the SQL's. After the write mix it checks that
//! every acknowledged write is stored. See `bench/README.md`.

mod isolation;
mod moving;
mod pgbench;
mod report;
mod scenarios;
mod server;
mod stats;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Parser;
use goose::config::GooseConfiguration;
use goose::prelude::*;
use resilience_hub::auth::KeyStore;
use resilience_hub::auth::keys::KeyConfig;
use resilience_hub::db::{Database, PoolSettings};
use resilience_hub_app::bench_data::Targets;
use sea_orm::ConnectionTrait;

use moving::{Variant, Writer};
use report::{Row, WriteCheck};
use scenarios::{Documents, Scenario, Shared};
use stats::Latencies;

/// Drives the benchmark's scenarios against a running service and its Postgres.
#[derive(Debug, Parser)]
struct Args {
    /// The targets `resilience-hub seed-bench --targets-file` wrote.
    #[arg(long)]
    targets: PathBuf,
    /// Where the service listens.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    host: String,
    /// The service's process id, to read its peak memory.
    #[arg(long)]
    server_pid: u32,
    /// The database the service uses (pgbench runs against it too).
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// The service's signing secret, issuer and audience, to mint the users' tokens.
    #[arg(long, env = "JWT_SECRET", hide_env_values = true)]
    jwt_secret: String,
    #[arg(long, env = "JWT_ISSUER")]
    jwt_issuer: String,
    #[arg(long, env = "JWT_AUDIENCE")]
    jwt_audience: String,
    /// Concurrencies, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,8,32,64")]
    concurrency: Vec<usize>,
    /// Seconds each measured run lasts.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Seconds of unmeasured load before a scenario's runs.
    #[arg(long, default_value_t = 5)]
    warmup: u64,
    /// Variants to run each read scenario in: as in production (`remembered`), and with a
    /// writer keeping the records' change epochs moving (`moving`). The write mix runs once.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "remembered,moving"
    )]
    variants: Vec<Variant>,
    /// How many times a second the `moving` variant's writer moves the records' epochs.
    #[arg(long, default_value_t = 100.0)]
    epoch_rate: f64,
    /// Whether the `moving` variant's writer moves the visibility epoch (directory,
    /// memberships, sharing) too, as before 0.17.0.
    #[arg(long)]
    move_visibility: bool,
    /// Scenarios to run (all when absent).
    #[arg(long, value_enum, value_delimiter = ',')]
    scenarios: Vec<Scenario>,
    /// The GraphQL documents and SQL scripts.
    #[arg(long, default_value = "bench/queries")]
    queries: PathBuf,
    #[arg(long, default_value = "bench/sql")]
    sql: PathBuf,
    /// Where to write the results table (Markdown) and the raw figures (JSON).
    #[arg(long, default_value = "bench/results/latest.md")]
    out: PathBuf,
    /// Measure isolation instead of the scenarios: a bystander's latency alone, under a
    /// fragment fan-out attack, and while another organisation floods (see `isolation.rs`).
    /// The value titles the table, which is appended to `bench/results/isolation.md`.
    #[arg(long)]
    isolation: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let targets: Targets = serde_json::from_str(
        &std::fs::read_to_string(&args.targets)
            .with_context(|| format!("reading {}", args.targets.display()))?,
    )?;
    let docs = Documents::read(&args.queries)?;
    let client = reqwest::Client::new();
    if let Some(title) = &args.isolation {
        let measures = isolation::run(
            &client,
            &args.host,
            &keys(&args)?,
            &targets,
            &docs.dashboard,
            args.seconds,
        )
        .await?;
        let table = isolation::markdown(title, &measures);
        println!("{table}");
        let path = args.out.with_file_name("isolation.md");
        let mut all = std::fs::read_to_string(&path).unwrap_or_default();
        all += &table;
        all += "\n";
        std::fs::write(&path, all)?;
        return Ok(());
    }
    let db = Database::connect(&args.database_url, &PoolSettings::default()).await?;
    let scenarios = if args.scenarios.is_empty() {
        Scenario::ALL.to_vec()
    } else {
        args.scenarios.clone()
    };
    let run_id = format!("run-{}", chrono::Utc::now().format("%Y%m%dT%H%M%S"));
    let busiest = busiest_organisation(&db).await?;
    let mut rows = Vec::new();
    let mut checks = Vec::new();
    for scenario in scenarios {
        let shared = Arc::new(Shared::new(
            scenario,
            docs.clone(),
            &targets,
            &busiest,
            keys(&args)?,
            run_id.clone(),
        )?);
        eprintln!("== {}", scenario.title());
        // Every caller once, so that first-sight records are not measured; then a warm-up.
        first_sight(&client, &args.host, &shared).await?;
        goose_run(shared.clone(), &args.host, 8, args.warmup).await?;
        let variants = if scenario == Scenario::Writes {
            vec![Variant::Remembered]
        } else {
            args.variants.clone()
        };
        for (variant, &c) in variants
            .iter()
            .flat_map(|v| args.concurrency.iter().map(move |c| (*v, c)))
        {
            let writer = (variant == Variant::Moving)
                .then(|| Writer::start(&db, args.epoch_rate, args.move_visibility));
            // The write check compares this run's acknowledgements with what it stored.
            shared.ack.start_round();
            let before_writes = versions(&db, &targets).await?;
            let _ = server::reset_peak(args.server_pid);
            let m0 = server::counters(&client, &args.host).await?;
            let metrics = goose_run(shared.clone(), &args.host, c, args.seconds).await?;
            let m1 = server::counters(&client, &args.host).await?;
            let peak = server::peak_mib(args.server_pid).unwrap_or(f64::NAN);
            let (latencies, requests, failed) = measured(&metrics, scenario.measured());
            if scenario == Scenario::Writes {
                checks.push(check_writes(&db, &targets, &shared, c, &before_writes).await?);
            }
            // A paper has no hand-written SQL to compare with: its figures stand alone.
            let sql = if scenario.paper().is_some() {
                pgbench::SqlRun::none()
            } else {
                pgbench::run(
                    &args.sql,
                    &args.database_url,
                    scenario,
                    &targets,
                    c,
                    args.seconds,
                )
                .await?
            };
            let epoch_moves = match writer {
                Some(writer) => writer.stop().await,
                None => 0,
            };
            // The service's request counter counts GraphQL requests; a paper is one request.
            let served = if scenario.paper().is_some() {
                requests as f64
            } else {
                m1.requests - m0.requests
            }
            .max(1.0);
            let row = Row {
                scenario,
                variant,
                epoch_moves,
                concurrency: c,
                per_second: requests as f64 / args.seconds as f64,
                latencies,
                requests,
                failed,
                conflicts: shared.ack.conflicts.load(Ordering::Relaxed),
                statements_per_request: (m1.statements - m0.statements) / served,
                peak_mib: peak,
                sql,
            };
            eprintln!("{}", row.summary());
            rows.push(row);
        }
    }
    let markdown = report::markdown(
        &rows,
        &checks,
        &args.concurrency,
        args.epoch_rate,
        args.move_visibility,
    );
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.out, &markdown)?;
    std::fs::write(
        args.out.with_extension("json"),
        report::json(&rows, &checks).to_string(),
    )?;
    println!("{markdown}");
    if checks.iter().any(|c| c.lost > 0 || c.lost_versions > 0) {
        bail!("the write mix lost writes");
    }
    Ok(())
}

/// The organisation with the most reviews, as an API id: the progress papers' subject.
async fn busiest_organisation(db: &Database) -> anyhow::Result<String> {
    use sea_orm::{ConnectionTrait, Statement};
    let row = db
        .conn()
        .query_one_raw(Statement::from_string(
            db.conn().get_database_backend(),
            "SELECT org_id FROM reviews GROUP BY org_id ORDER BY count(*) DESC, org_id LIMIT 1",
        ))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no reviews"))?;
    let id: uuid::Uuid = row.try_get("", "org_id")?;
    Ok(format!("org_{}", id.simple()))
}

fn keys(args: &Args) -> anyhow::Result<KeyStore> {
    KeyStore::from_config(&KeyConfig {
        secret: Some(args.jwt_secret.clone()),
        issuer: args.jwt_issuer.clone(),
        audience: args.jwt_audience.clone(),
        leeway: Duration::from_secs(30),
        ..Default::default()
    })
}

/// One request per caller of the scenario, unmeasured: the service records a user the
/// first time it sees them.
async fn first_sight(client: &reqwest::Client, host: &str, shared: &Shared) -> anyhow::Result<()> {
    let doc = match shared.scenario {
        Scenario::Dashboard => &shared.docs.dashboard,
        Scenario::ActionPlan => &shared.docs.action_plan,
        Scenario::PanelComparison => &shared.docs.panel_comparison,
        Scenario::StandardsProgress => &shared.docs.standards_progress,
        Scenario::Writes => return Ok(()),
        _ => {
            for call in &shared.calls {
                let path = call.variables["path"].as_str().unwrap_or_default();
                let status = client
                    .get(format!("{host}{path}"))
                    .bearer_auth(&call.token)
                    .send()
                    .await?
                    .status();
                if !status.is_success() {
                    bail!("{} answers {status}", shared.scenario.title());
                }
            }
            return Ok(());
        }
    };
    for call in &shared.calls {
        let body: serde_json::Value = client
            .post(format!("{host}/graphql"))
            .bearer_auth(&call.token)
            .json(&serde_json::json!({ "query": doc, "variables": call.variables }))
            .send()
            .await?
            .json()
            .await?;
        if body.get("errors").is_some() {
            bail!("{} answers with errors: {body}", shared.scenario.title());
        }
    }
    Ok(())
}

/// Runs the scenario with `users` users for `seconds`.
async fn goose_run(
    shared: Arc<Shared>,
    host: &str,
    users: usize,
    seconds: u64,
) -> anyhow::Result<GooseMetrics> {
    let goose = |e: GooseError| anyhow::anyhow!("goose: {e:?}");
    let attack = GooseAttack::initialize_with_config(GooseConfiguration::default())
        .map_err(goose)?
        .register_scenario(scenarios::scenario(shared)?)
        .set_default(GooseDefault::Host, host)
        .map_err(goose)?
        .set_default(GooseDefault::Users, users)
        .map_err(goose)?
        .set_default(GooseDefault::IncreaseRate, "1000")
        .map_err(goose)?
        .set_default(GooseDefault::RunTime, seconds as usize)
        .map_err(goose)?
        .set_default(GooseDefault::Quiet, 1)
        .map_err(goose)?
        .set_default(GooseDefault::NoPrintMetrics, true)
        .map_err(goose)?
        .set_default(GooseDefault::NoErrorSummary, true)
        .map_err(goose)?
        .set_default(GooseDefault::NoTelnet, true)
        .map_err(goose)?
        .set_default(GooseDefault::Timeout, "60")
        .map_err(goose)?;
    attack.execute().await.map_err(goose)
}

/// The latencies, count and failures of the requests named `names`.
fn measured(metrics: &GooseMetrics, names: &[&str]) -> (Latencies, usize, usize) {
    let mut latencies = Latencies::default();
    let (mut requests, mut failed) = (0, 0);
    // GraphQL is POSTed; papers are downloaded with GET.
    for key in names
        .iter()
        .flat_map(|name| [format!("POST {name}"), format!("GET {name}")])
    {
        if let Some(agg) = metrics.requests.get(&key) {
            for (us, n) in agg.raw_data.times_us.iter() {
                latencies.add(*us, *n);
            }
            requests += agg.success_count + agg.fail_count;
            failed += agg.fail_count;
        }
    }
    (latencies, requests, failed)
}

/// The versions of the write mix's actions.
async fn versions(
    db: &Database,
    targets: &Targets,
) -> anyhow::Result<std::collections::HashMap<uuid::Uuid, i64>> {
    let ids: Vec<String> = targets
        .writers
        .iter()
        .flat_map(|w| w.actions.iter().map(|a| format!("'{}'", a.uuid)))
        .collect();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let rows = db
        .conn()
        .query_all_raw(sea_orm::Statement::from_string(
            db.conn().get_database_backend(),
            format!(
                "SELECT id, version FROM actions WHERE id IN ({})",
                ids.join(",")
            ),
        ))
        .await?;
    let mut out = std::collections::HashMap::new();
    for row in rows {
        let id: uuid::Uuid = row.try_get("", "id")?;
        let version: i32 = row.try_get("", "version")?;
        out.insert(id, version.into());
    }
    Ok(out)
}

/// Compares what the write mix was told with what is stored: every acknowledged update is
/// there, and each action's version moved on at least as many times as changes to it were
/// acknowledged. (A change the client gave up on at the end of a run may be stored without
/// an acknowledgement: that is counted, and is no loss.)
async fn check_writes(
    db: &Database,
    targets: &Targets,
    shared: &Shared,
    concurrency: usize,
    before: &std::collections::HashMap<uuid::Uuid, i64>,
) -> anyhow::Result<WriteCheck> {
    let acked = shared.ack.updates.lock().expect("lock").clone();
    let conn = db.conn();
    let mut stored = 0i64;
    for chunk in acked.chunks(1000) {
        let ids: Vec<String> = chunk.iter().map(|u| format!("'{u}'")).collect();
        let row = conn
            .query_one_raw(sea_orm::Statement::from_string(
                conn.get_database_backend(),
                format!(
                    "SELECT COUNT(*) AS n FROM progress_updates WHERE id IN ({})",
                    ids.join(",")
                ),
            ))
            .await?
            .context("a count")?;
        stored += row.try_get::<i64>("", "n")?;
    }
    let row = conn
        .query_one_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            format!(
                "SELECT COUNT(*) AS n FROM progress_updates WHERE narrative LIKE '{} %'",
                shared.ack.round_tag(&shared.run)
            ),
        ))
        .await?
        .context("a count")?;
    let of_run: i64 = row.try_get("", "n")?;
    let after = versions(db, targets).await?;
    let bumps = shared.ack.bumps.lock().expect("lock").clone();
    let (mut lost_versions, mut extra_versions) = (0, 0);
    for (id, v0) in before {
        let moved = after.get(id).copied().unwrap_or_default() - v0;
        let acknowledged = bumps.get(id).copied().unwrap_or_default();
        lost_versions += (acknowledged - moved).max(0);
        extra_versions += (moved - acknowledged).max(0);
    }
    Ok(WriteCheck {
        concurrency,
        acknowledged: acked.len() as i64,
        lost: acked.len() as i64 - stored,
        unacknowledged: of_run - acked.len() as i64,
        changes_acknowledged: bumps.values().sum(),
        lost_versions,
        extra_versions,
        conflicts: shared.ack.conflicts.load(Ordering::Relaxed),
    })
}
