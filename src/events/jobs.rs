//! Background jobs over the service's own database, on the apalis job library: tasks are
//! rows (in Postgres, in the `apalis` schema; in SQLite, in the same file), so they survive
//! restarts, and any instance's workers may take them. Each deployment (each Postgres
//! schema) has its own queue.
//!
//! The webhook work runs here: [`Job::Dispatch`] turns new outbox events into deliveries,
//! [`Job::Deliver`] makes one attempt of one delivery and schedules its retry, and
//! [`Job::Sweep`] picks up deliveries whose task was lost (an instance that died between
//! committing a delivery and queueing its task). The reminders run here too: [`Job::Remind`]
//! is a day's run (queued by every instance, done once: each organisation's run is claimed),
//! and [`Job::Mail`] one try of one digest's mail.

use std::sync::Arc;
use std::time::Duration;

use apalis::prelude::*;
use apalis_postgres::PostgresStorage;
use apalis_sqlite::SqliteStorage;
use sea_orm::DbBackend;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::db::Database;

/// A unit of background work.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Job {
    /// Read the outbox past the webhook dispatcher's position and make deliveries.
    Dispatch,
    /// Attempt one delivery.
    Deliver { delivery: Uuid },
    /// Queue again the deliveries that are due but have no task, and the reminders' mail.
    Sweep,
    /// Run the reminders of a (UK) day.
    Remind { day: chrono::NaiveDate },
    /// Try to mail one reminder digest.
    Mail { digest: Uuid },
}

/// What runs each job.
pub type Handler = Arc<dyn Fn(Job) -> futures_util::future::BoxFuture<'static, ()> + Send + Sync>;

async fn run_job(job: Job, handle: Data<Handler>) -> Result<(), BoxDynError> {
    (handle)(job).await;
    Ok(())
}

/// How often idle workers look for tasks.
const POLL: Duration = Duration::from_millis(250);

/// Wakes the workers every period, and always arranges the next wake-up.
///
/// The library's own interval strategy, when its period has passed, returns `Ready` without
/// waiting on the next period; if the poll that saw it is also the one in which a fetch comes
/// back empty, the worker parks with nothing left to wake it but its heartbeat, thirty
/// seconds on. Under load (a fetch slower than the period) that happens often enough to hold
/// a retry for half a minute.
struct EveryTick(tokio::time::Interval);

impl EveryTick {
    fn new(period: Duration) -> Self {
        let mut interval = tokio::time::interval(period);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        EveryTick(interval)
    }
}

impl PollStrategy for EveryTick {
    fn poll_drive(
        &mut self,
        cx: &mut std::task::Context<'_>,
        _: &PollSnapshot,
    ) -> std::task::Poll<Option<()>> {
        let mut ticked = false;
        // Until the interval is pending again, which leaves the waker set for the next tick.
        while self.0.poll_tick(cx).is_ready() {
            ticked = true;
        }
        if ticked {
            std::task::Poll::Ready(Some(()))
        } else {
            std::task::Poll::Pending
        }
    }
}

/// A transaction holding the lock that deployments sharing a database take to change the
/// job library's shared schema (two creating an extension, or granting the same tables, at
/// once collide).
async fn one_at_a_time(
    pool: &sea_orm::sqlx::PgPool,
) -> anyhow::Result<sea_orm::sqlx::Transaction<'static, sea_orm::sqlx::Postgres>> {
    /// The advisory lock's key: "apalis" in ASCII, in a 64-bit key.
    const LOCK: i64 = 0x6170_616c_6973;
    let mut txn = pool.begin().await?;
    sea_orm::sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(LOCK)
        .execute(&mut *txn)
        .await?;
    Ok(txn)
}

/// Creates the job library's tables on Postgres, with the owner's connection, before the
/// service's role is granted them. (SQLite's queue is a file of its own, migrated when it is
/// opened.)
pub async fn migrate(db: &Database) -> anyhow::Result<()> {
    if db.conn().get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let pool = db.conn().get_postgres_connection_pool();
    // The library's migrations create the extensions it needs in the first schema of the
    // search path: create them first where every deployment's search path finds them (a
    // deployment's own schema may be dropped, and would take them along).
    let mut txn = one_at_a_time(pool).await?;
    for create in [
        "CREATE EXTENSION IF NOT EXISTS pgcrypto SCHEMA public",
        "CREATE EXTENSION IF NOT EXISTS hstore SCHEMA public",
    ] {
        sea_orm::sqlx::query(create).execute(&mut *txn).await?;
    }
    txn.commit().await?;
    let mut migrator = PostgresStorage::<()>::migrations();
    // One history for the database's one `apalis` schema, whatever the search path; the
    // migrator's lock keeps two deployments from running it at once.
    migrator.dangerous_set_table_name("apalis._sqlx_migrations");
    migrator.create_schema("apalis");
    migrator.run(pool).await?;
    Ok(())
}

/// Grants the role `service` connects as the job library's tables (Postgres, when it is
/// not the owner).
pub async fn grant(owner: &Database, service: &Database) -> anyhow::Result<()> {
    if owner.conn().get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let Some(role) = owner.other_role(service).await? else {
        return Ok(());
    };
    let mut txn = one_at_a_time(owner.conn().get_postgres_connection_pool()).await?;
    sea_orm::sqlx::raw_sql(sea_orm::sqlx::AssertSqlSafe(format!(
        "GRANT USAGE ON SCHEMA apalis TO {role}; \
         GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA apalis TO {role}; \
         GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA apalis TO {role};"
    )))
    .execute(&mut *txn)
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The file of SQLite's queue, beside the database at `url`.
pub fn sqlite_jobs_path(url: &str) -> String {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or(path);
    match path.strip_suffix(".db") {
        Some(stem) => format!("{stem}.jobs.db"),
        None => format!("{path}.jobs"),
    }
}

async fn sqlite_pool(url: &str) -> anyhow::Result<sea_orm::sqlx::SqlitePool> {
    use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
    let options = SqliteConnectOptions::new()
        .filename(sqlite_jobs_path(url))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(Duration::from_secs(10));
    Ok(SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?)
}

/// The queue of this deployment's jobs.
#[derive(Clone)]
pub enum Queue {
    Postgres(PostgresStorage<Job>),
    Sqlite(SqliteStorage<Job>),
}

impl Queue {
    /// The queue of `db`'s deployment (at `url`): named after its schema on Postgres, so
    /// deployments (and tests) sharing a database never take each other's tasks. On SQLite the
    /// tasks live in a file of their own beside the database (`….jobs.db`), on one
    /// connection: the library's transactions read before they write, and would otherwise
    /// fail whenever one of the service's writes commits in between.
    pub async fn open(db: &Database, url: &str) -> anyhow::Result<Self> {
        Ok(match db.conn().get_database_backend() {
            DbBackend::Postgres => {
                let schema = db.current_schema().await?;
                let config =
                    apalis_postgres::Config::default().queue(format!("resilience-hub:{schema}"));
                Queue::Postgres(
                    PostgresStorage::new(db.conn().get_postgres_connection_pool())
                        .with_config(config),
                )
            }
            _ => {
                let pool = sqlite_pool(url).await?;
                // Not `SqliteStorage::setup`, which also turns `synchronous` off.
                SqliteStorage::<()>::migrations().run(&pool).await?;
                let config = apalis_sqlite::Config::default().queue("resilience-hub");
                Queue::Sqlite(SqliteStorage::new(&pool).with_config(config))
            }
        })
    }

    /// Queues `job` to run after `delay`, and never before: the library keeps a task's time
    /// in whole seconds, rounded down, so a delayed task is put a second later.
    pub async fn push(&self, job: Job, delay: Duration) -> anyhow::Result<()> {
        let delay = if delay.is_zero() {
            delay
        } else {
            delay + Duration::from_secs(1)
        };
        let task = TaskBuilder::new(job).run_after(delay).build();
        match self {
            Queue::Postgres(storage) => storage
                .clone()
                .push_task(task)
                .await
                .map_err(|e| anyhow::anyhow!("queueing a job: {e}")),
            Queue::Sqlite(storage) => storage
                .clone()
                .push_task(task)
                .await
                .map_err(|e| anyhow::anyhow!("queueing a job: {e}")),
        }
    }

    /// Runs `workers` workers of this queue, each job through `handle`, until `stop`.
    pub async fn work(
        &self,
        name: String,
        workers: usize,
        handle: Handler,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) {
        let stop = async move {
            stop.await;
            Ok::<(), WorkerError>(())
        };
        let run = match self {
            Queue::Postgres(storage) => tokio::spawn(
                WorkerBuilder::new(name)
                    .backend(storage.clone().poll_with_strategy(EveryTick::new(POLL)))
                    .data(handle)
                    .concurrency(workers.max(1))
                    .build(run_job)
                    .run_until(stop),
            ),
            Queue::Sqlite(storage) => tokio::spawn(
                WorkerBuilder::new(name)
                    .backend(storage.clone().poll_with_strategy(EveryTick::new(POLL)))
                    .data(handle)
                    .concurrency(workers.max(1))
                    .build(run_job)
                    .run_until(stop),
            ),
        };
        // The workers run as a task of their own, so that a panic in them is reported here
        // instead of ending the rest of the background work; they go when this future goes
        // (an instance dropped without its shutdown signal), not later.
        let _stop_with_this = AbortOnDrop(run.abort_handle());
        match run.await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => tracing::error!(error = %err, "the job workers stopped"),
            Err(err) => tracing::error!(error = %err, "the job workers failed"),
        }
    }
}

/// Aborts a spawned task when dropped.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Context, Wake, Waker};

    use super::*;

    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// The poll that sees a period end also arranges the next wake-up: a worker that parks
    /// right after it is woken again a period later, not at its next heartbeat.
    #[tokio::test]
    async fn a_tick_that_fires_still_arranges_the_next() {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        let mut every = EveryTick::new(Duration::from_millis(50));
        let snapshot = PollSnapshot::default();
        // The first tick is due at once (the timer fires it on its next turn).
        let _ = every.poll_drive(&mut cx, &snapshot);
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert!(
            every.poll_drive(&mut cx, &snapshot).is_ready(),
            "a period has passed"
        );
        let woken = count.0.load(Ordering::SeqCst);
        // Not polled again: only the wake-up arranged by the last poll can come.
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(
            count.0.load(Ordering::SeqCst) > woken,
            "woken for the next period"
        );
    }
}
