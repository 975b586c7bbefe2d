//! Connecting to the database, migrating it, and the request-scoped handle.
//!
//! All of a request's database work goes through one [`RequestDb`]: a single transaction
//! opened when the request arrives and finished when its response is ready. That gives every
//! GraphQL response one consistent snapshot, lets per-request settings (such as Postgres
//! row-level security keyed on the caller) apply to every statement, and makes a mutation's
//! change and its audit event commit together.
//!
//! The handle also keeps the request's [`Tally`]: how many statements it ran, against a
//! budget, and whether the database failed under it ([`is_unavailable`]), so that the handler
//! can roll the whole request back and name the failure for what it is.

// The store layer: the request handle runs what the entry points build.
#![allow(clippy::disallowed_methods)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    AccessMode, ConnectOptions, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, DbErr, ExecResult, QueryResult, SqliteTransactionMode, Statement,
    TransactionOptions, TransactionTrait,
};
use tokio::sync::RwLock;

use crate::faults::OVER_BUDGET;
pub use crate::faults::{is_over_budget, is_unavailable};
use crate::sql::Sql;

/// What one request's statements did: how many ran, against the request's budget, and
/// whether the database failed under any of them.
#[derive(Debug)]
pub struct Tally {
    statements: AtomicU32,
    budget: u32,
    /// Set once the request's own work is done: what is left (moving epochs, committing) is
    /// the service's, and never refused for the budget.
    lifted: AtomicBool,
    over_budget: AtomicBool,
    unavailable: AtomicBool,
}

impl Tally {
    fn new(budget: u32) -> Self {
        Tally {
            statements: AtomicU32::new(0),
            budget,
            lifted: AtomicBool::new(false),
            over_budget: AtomicBool::new(false),
            unavailable: AtomicBool::new(false),
        }
    }

    /// Counts a statement about to run; past the budget it is refused.
    fn admit(&self) -> Result<(), DbErr> {
        let n = self.statements.fetch_add(1, Ordering::Relaxed) + 1;
        if self.budget > 0 && n > self.budget && !self.lifted.load(Ordering::Relaxed) {
            self.over_budget.store(true, Ordering::Relaxed);
            return Err(DbErr::Custom(OVER_BUDGET.to_owned()));
        }
        Ok(())
    }

    /// Notes a database failure among `result`'s, and passes it on.
    fn observe<T>(&self, result: Result<T, DbErr>) -> Result<T, DbErr> {
        if let Err(err) = &result
            && is_unavailable(err)
        {
            self.unavailable.store(true, Ordering::Relaxed);
        }
        result
    }

    /// Ends the budget: the request's own work is done, and the statements that finish it
    /// (its epochs) must run whatever it spent.
    pub fn lift(&self) {
        self.lifted.store(true, Ordering::Relaxed);
    }

    /// Statements run (or refused) so far.
    pub fn statements(&self) -> u32 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Whether a statement was refused for being past the budget.
    pub fn over_budget(&self) -> bool {
        self.over_budget.load(Ordering::Relaxed)
    }

    /// Whether the database failed under one of the request's statements.
    pub fn unavailable(&self) -> bool {
        self.unavailable.load(Ordering::Relaxed)
    }
}

/// Options of a transaction that writes outside a request (the command line, the demo data):
/// on SQLite it takes the write lock up front, so that another writer's commit between its
/// first read and its first write makes it wait its turn instead of failing.
pub const WRITE: TransactionOptions = TransactionOptions {
    isolation_level: None,
    access_mode: None,
    sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
};

/// Pool settings taken from configuration.
#[derive(Clone, Debug)]
pub struct PoolSettings {
    /// Most connections the pool opens.
    pub max_connections: u32,
    /// How long a request waits for a connection before it is told the database is unavailable.
    pub acquire_timeout: Duration,
}

impl PoolSettings {
    /// The owner's few connections: migrations, grants, the command line.
    pub fn owner() -> Self {
        PoolSettings {
            max_connections: 2,
            ..Default::default()
        }
    }
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

/// How long a connection may sit idle in the pool before it is checked on the way out.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);

/// The service's connection pool, with a count of the SQL statements it has run.
#[derive(Clone, Debug)]
pub struct Database {
    conn: DatabaseConnection,
    statements: Arc<AtomicU64>,
    /// How many times a request's transaction may try to begin: once on each connection the
    /// pool may hold, all of which the server may have ended at once, and once on a new one.
    begin_attempts: u32,
}

impl Database {
    /// Connects to `url` (`sqlite://…` or `postgres://…`).
    pub async fn connect(url: &str, pool: &PoolSettings) -> anyhow::Result<Self> {
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.max_connections(pool.max_connections)
            .acquire_timeout(pool.acquire_timeout)
            .connect_timeout(pool.acquire_timeout)
            // Every connection is checked as it goes back to the pool (sqlx sends it a `Sync`
            // and waits for the answer), so one taken out again soon after is known to be
            // alive: checking it again on the way out cost every request a round trip of its
            // own. One that sat idle longer is checked, and a request whose transaction
            // cannot begin on a connection that died in between tries the next
            // (`Database::begin_request`).
            .test_before_acquire_if_idle_for(PING_IF_IDLE_FOR)
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(|o| {
                o.create_if_missing(true)
                    .foreign_keys(true)
                    // WAL lets readers go on while one writer commits; the busy timeout makes a
                    // second writer wait its turn instead of failing at once.
                    .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
            });
        let mut conn = sea_orm::Database::connect(opts)
            .await
            .with_context(|| format!("cannot connect to the database at {}", redact(url)))?;
        let statements = Arc::new(AtomicU64::new(0));
        let counter = statements.clone();
        conn.set_metric_callback(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        Ok(Database {
            conn,
            statements,
            begin_attempts: pool.max_connections + 1,
        })
    }

    /// Applies every pending migration.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        Migrator::up(&self.conn, None)
            .await
            .context("applying migrations")
    }

    /// On Postgres, grants the role `service` connects as what the service needs of the
    /// tables this (the owner's) connection migrated: reading and writing rows, the audit
    /// trail only appended to, and the functions the row-level security policies call. Row
    /// level security then decides which rows. Nothing when both are the same role, or on
    /// SQLite.
    pub async fn grant_to_service(&self, service: &Database) -> anyhow::Result<()> {
        if self.conn.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let Some(role) = self.other_role(service).await? else {
            return Ok(());
        };
        let schema = quote_ident(&self.current_schema().await?);
        self.conn
            .execute_unprepared(&format!(
                "GRANT USAGE ON SCHEMA {schema} TO {role}; \
                 GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}; \
                 REVOKE UPDATE, DELETE ON audit_events FROM {role}; \
                 GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {schema} TO {role};"
            ))
            .await
            .context("granting the service's role its privileges")?;
        Ok(())
    }

    /// What keeps row-level security from binding this pool's role, if anything: being a
    /// superuser, having `BYPASSRLS`, or owning the tables. `None` on SQLite, or when it binds.
    pub async fn rls_bypass(&self) -> anyhow::Result<Option<&'static str>> {
        if self.conn.get_database_backend() != DbBackend::Postgres {
            return Ok(None);
        }
        let why = self
            .scalar_text(
                "SELECT CASE WHEN r.rolsuper THEN 'superuser' WHEN r.rolbypassrls THEN 'bypassrls' \
                 WHEN EXISTS (SELECT 1 FROM pg_tables t WHERE t.schemaname = current_schema() \
                 AND t.tableowner = current_user) THEN 'owner' ELSE '' END \
                 FROM pg_roles r WHERE r.rolname = current_user",
            )
            .await?;
        Ok(match why.as_str() {
            "superuser" => Some("it is a superuser"),
            "bypassrls" => Some("it has BYPASSRLS"),
            "owner" => Some("it owns the tables"),
            _ => None,
        })
    }

    /// On Postgres, the role `service` connects as, quoted, when it is not this pool's own
    /// (then this owner grants it what it needs); `None` when both are the same role.
    pub async fn other_role(&self, service: &Database) -> anyhow::Result<Option<String>> {
        let role = service.scalar_text("SELECT current_user::text").await?;
        let own = self.scalar_text("SELECT current_user::text").await?;
        Ok((role != own).then(|| quote_ident(&role)))
    }

    /// On Postgres, the schema this pool's tables are in (its search path's first).
    pub async fn current_schema(&self) -> anyhow::Result<String> {
        self.scalar_text("SELECT current_schema()::text").await
    }

    async fn scalar_text(&self, sql: &str) -> anyhow::Result<String> {
        let row = self
            .conn
            .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
            .await?
            .context("no row")?;
        Ok(row.try_get_by_index::<String>(0)?)
    }

    /// The pool, for work outside a request (start-up, command-line tools, sign-in).
    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// SQL statements run since start-up; tests and benchmarks read it to catch N+1 queries.
    pub fn statement_count(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Whether the database answers (`GET /readyz`).
    pub async fn ping(&self) -> bool {
        self.conn.ping().await.is_ok()
    }

    /// Opens the transaction of one request. `writes` is true when the request holds a
    /// mutation; `budget` is the most statements it may run (0: no limit).
    pub async fn begin_request(&self, writes: bool, budget: u32) -> Result<RequestDb, DbErr> {
        let backend = self.conn.get_database_backend();
        let options = match backend {
            // Take the write lock up front: a deferred transaction that read first and then
            // tries to write fails at once if another writer committed in between.
            DbBackend::Sqlite => TransactionOptions {
                sqlite_transaction_mode: Some(if writes {
                    SqliteTransactionMode::Immediate
                } else {
                    SqliteTransactionMode::Deferred
                }),
                ..Default::default()
            },
            // A query cannot write, whatever bug a resolver may have: its transaction is made
            // read-only by its first statement (see `RequestDb::read_only`), not by a
            // `SET TRANSACTION` round trip of its own.
            _ => TransactionOptions {
                access_mode: writes.then_some(AccessMode::ReadWrite),
                ..Default::default()
            },
        };
        let mut attempt = 1;
        let txn = loop {
            match self.conn.begin_with_options(options).await {
                Ok(txn) => break txn,
                // A connection that died while idle (a restart, a proxy's timeout) fails its
                // `BEGIN`, and goes: nothing has run yet, so beginning again on another is
                // safe. After a restart every idle connection is dead, so the pool's next
                // may be too. Not after waiting for a connection in vain, which would only
                // wait again.
                Err(err)
                    if attempt < self.begin_attempts
                        && !matches!(err, DbErr::ConnectionAcquire(_))
                        && is_unavailable(&err) =>
                {
                    tracing::info!(error = %err, attempt, "beginning a request's transaction again");
                    attempt += 1;
                }
                Err(err) => return Err(err),
            }
        };
        Ok(RequestDb {
            txn: RwLock::new(Some(txn)),
            backend,
            tally: Arc::new(Tally::new(budget)),
            read_only: AtomicBool::new(backend == DbBackend::Postgres && !writes),
            summary_held: tokio::sync::Mutex::new(None),
            writes,
        })
    }
}

impl Database {
    /// Opens a transaction of the background publisher: it reads every organisation's events
    /// and (when `writes`) writes their webhook deliveries, under `hub.purpose = publish`,
    /// which row-level security lets only the outbox and webhook tables answer to. No request
    /// sets it.
    pub async fn begin_publisher(&self, writes: bool) -> Result<RequestDb, DbErr> {
        let db = self.begin_request(writes, 0).await?;
        db.set_settings(&[("purpose", "publish".to_owned())])
            .await?;
        Ok(db)
    }
}

/// A Postgres identifier, quoted.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Hides the password of a connection URL in messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// The request-scoped database handle: one transaction for the whole request.
///
/// It implements [`ConnectionTrait`], so sea-orm queries run on it directly. The transaction
/// sits behind a lock so that [`RequestDb::finish`] can take it out to end it even while a
/// per-request DataLoader still holds a reference to the handle; anything that tries to use the
/// handle after that gets an error instead of a statement outside the transaction.
pub struct RequestDb {
    txn: RwLock<Option<DatabaseTransaction>>,
    backend: DbBackend,
    tally: Arc<Tally>,
    /// A Postgres transaction still to be made read-only: by the settings statement that
    /// opens nearly every request (one round trip for both), or else before its first
    /// statement.
    read_only: AtomicBool,
    /// The summary settings the transaction holds now ([`RequestDb::for_summary`]): `None`
    /// once they are reset. Behind an async lock held while they change, so that no statement
    /// of the request runs until a reset it waits for has run.
    summary_held: tokio::sync::Mutex<Option<Grouping>>,
    /// Whether the request may write (it holds a mutation). In a read-only request, every
    /// statement of which runs through this handle, a summary's settings stay set after it,
    /// to be reset only before the next statement that is not a summary like it: a request's
    /// last summary then needs no reset at all (the transaction's end discards them), and
    /// summaries back to back share one setting. A mutation's savepoint runs statements on a
    /// handle of its own, so a request that writes resets them straight after each summary.
    writes: bool,
}

impl std::fmt::Debug for RequestDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestDb")
            .field("backend", &self.backend)
            .finish()
    }
}

fn finished() -> DbErr {
    DbErr::Custom("the request's transaction has already finished".to_owned())
}

impl RequestDb {
    /// The open transaction, made read-only first if it is still to be, with no summary's
    /// settings left set.
    async fn ready<'g>(
        &self,
        guard: &'g Option<DatabaseTransaction>,
    ) -> Result<&'g DatabaseTransaction, DbErr> {
        self.ready_for(guard, None).await
    }

    /// [`RequestDb::ready`] for a statement of `summary`'s kind (`None`: not a summary).
    async fn ready_for<'g>(
        &self,
        guard: &'g Option<DatabaseTransaction>,
        summary: Option<Grouping>,
    ) -> Result<&'g DatabaseTransaction, DbErr> {
        let txn = guard.as_ref().ok_or_else(finished)?;
        if self.read_only.swap(false, Ordering::Relaxed) {
            self.tally
                .observe(txn.execute_unprepared("SET TRANSACTION READ ONLY").await)?;
        }
        self.settle(txn, summary).await?;
        Ok(txn)
    }

    /// Brings the summary settings to those `to` needs (`None`: none), in one statement when
    /// they differ from those held; nothing on SQLite, which has no row-level security.
    async fn settle(&self, txn: &DatabaseTransaction, to: Option<Grouping>) -> Result<(), DbErr> {
        if self.backend != DbBackend::Postgres {
            return Ok(());
        }
        let mut held = self.summary_held.lock().await;
        if let Some(change) = summary_settings(*held, to) {
            self.tally.observe(txn.query_one_raw(change).await)?;
            *held = to;
        }
        Ok(())
    }

    /// Opens a savepoint for one mutation: its change and its audit event commit or roll back
    /// together, without undoing the mutations before it in the same request.
    pub async fn savepoint(&self) -> Result<Savepoint, DbErr> {
        self.tally.admit()?;
        let guard = self.txn.read().await;
        let txn = self
            .tally
            .observe(self.ready(&guard).await?.begin().await)?;
        Ok(Savepoint {
            txn,
            tally: self.tally.clone(),
        })
    }

    /// Whether the request may write (it holds a mutation). What a request that writes reads
    /// back must come from the database: the epochs its changes move are moved only as it
    /// commits, so a figure remembered under them would still look current to it.
    pub fn writes(&self) -> bool {
        self.writes
    }

    /// What the request's statements did so far.
    pub fn tally(&self) -> &Tally {
        &self.tally
    }

    /// Commits the request's work. Called once, after the response has been computed.
    ///
    /// A read-only request on Postgres has nothing to commit, and Postgres made it read-only
    /// at its first statement: its transaction is dropped instead, which queues its
    /// `ROLLBACK` on the connection. The pool's check of the connection on its way back
    /// (a `Sync`) sends both in one round trip, after the response has gone, where a `COMMIT`
    /// was a round trip of its own before it. The connection goes back to the pool only once
    /// both are answered.
    pub async fn finish(&self) -> Result<(), DbErr> {
        match self.txn.write().await.take() {
            Some(txn) if self.ends_by_rollback() => {
                drop(txn);
                Ok(())
            }
            Some(txn) => txn.commit().await,
            None => Ok(()),
        }
    }

    /// Whether [`RequestDb::finish`] ends the transaction by dropping it.
    fn ends_by_rollback(&self) -> bool {
        self.backend == DbBackend::Postgres && !self.writes
    }

    /// Rolls the request's work back: after a failure, nothing it did may stay. A rollback
    /// that fails (the connection is gone) leaves nothing behind either, since the server
    /// discards an unfinished transaction with its connection.
    pub async fn abandon(&self) {
        if let Some(txn) = self.txn.write().await.take()
            && let Err(err) = txn.rollback().await
        {
            tracing::warn!(error = %err, "rolling back the request's transaction failed");
        }
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for RequestDb {
    fn get_database_backend(&self) -> DbBackend {
        self.backend
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.tally.admit()?;
        let guard = self.txn.read().await;
        let txn = self.ready(&guard).await?;
        self.tally.observe(txn.execute_raw(stmt).await)
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.tally.admit()?;
        let guard = self.txn.read().await;
        let txn = self.ready(&guard).await?;
        self.tally.observe(txn.execute_unprepared(sql).await)
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.tally.admit()?;
        let guard = self.txn.read().await;
        let txn = self.ready(&guard).await?;
        self.tally.observe(txn.query_one_raw(stmt).await)
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.tally.admit()?;
        let guard = self.txn.read().await;
        let txn = self.ready(&guard).await?;
        self.tally.observe(txn.query_all_raw(stmt).await)
    }
}

impl RequestDb {
    /// Sets settings that row-level security reads, for the rest of the request's
    /// transaction: one statement on Postgres, nothing on SQLite (which has no row-level
    /// security). `pairs` are names under `hub.` and their values.
    pub async fn set_settings(&self, pairs: &[(&'static str, String)]) -> Result<(), DbErr> {
        self.set_settings_reading(pairs, &[]).await.map(|_| ())
    }

    /// Sets settings as [`RequestDb::set_settings`] does and, in the same statement, reads
    /// the number each one-column subquery of `also` answers (0 when it answers no row): one
    /// round trip for all. On SQLite only the reads run.
    pub async fn set_settings_reading(
        &self,
        pairs: &[(&'static str, String)],
        also: &[Sql],
    ) -> Result<Vec<i64>, DbErr> {
        let postgres = self.backend == DbBackend::Postgres;
        let mut columns = Vec::new();
        if postgres {
            if self.read_only.swap(false, Ordering::Relaxed) {
                // `SET TRANSACTION READ ONLY` as a function: the same statement does both.
                columns.push(Sql::new("set_config('transaction_read_only', 'on', true)"));
                // Each statement is prepared once per connection; by default Postgres plans
                // it again at every execution for its values (a custom plan), and moves to
                // one plan for all only if its estimate is no worse. Reads are index probes
                // whose best plan does not depend on the values, and planning had become
                // their largest cost: an action plan's statement took 3 to 9 ms to plan and
                // 1 to run with the plan it reuses.
                columns.push(Sql::new(
                    "set_config('plan_cache_mode', 'force_generic_plan', true)",
                ));
            }
            columns.extend(pairs.iter().map(|(name, value)| setting(name, value)));
        }
        for (i, also) in also.iter().enumerate() {
            let mut read = Sql::new("COALESCE((");
            read.append(also).push(&format!("), 0) AS also_{i}"));
            columns.push(read);
        }
        if columns.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new("SELECT ");
        for (i, column) in columns.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.append(column);
        }
        self.tally.admit()?;
        let guard = self.txn.read().await;
        let txn = guard.as_ref().ok_or_else(finished)?;
        self.settle(txn, None).await?;
        let row = self
            .tally
            .observe(txn.query_one_raw(sql.statement(self.backend)).await)?;
        (0..also.len())
            .map(|i| match &row {
                Some(row) => row.try_get("", &format!("also_{i}")),
                None => Ok(0),
            })
            .collect()
    }

    /// The request's handle for a summary: each of its statements runs with `hub.purpose`
    /// set to `summary`, which lets row-level security count rows (a panel member's actions,
    /// a sharer's ratings) that no other statement of the request may read. The setting and
    /// the statement run back to back under the transaction's lock, so no other statement of
    /// the request runs in between; the reset runs before any statement that is not a summary
    /// (in a read-only request, only when one comes: see `RequestDb::writes`).
    pub fn for_summary(&self) -> SummaryDb<'_> {
        SummaryDb(self, Grouping::AsPlanned)
    }

    /// [`RequestDb::for_summary`], for a statement that groups many rows: it is planned with
    /// sorting discouraged, so that Postgres groups them in a hash table. The policies hide
    /// how many rows pass them from the planner, which then expects about a thousand and sorts
    /// them to group: twenty thousand of a partner body's ratings took 10 ms to sort. Only
    /// for a statement that needs no sort of its own (`ORDER BY`, `DISTINCT ON`): it would
    /// be planned without a better way to do it and cost far more.
    pub fn for_hashed_summary(&self) -> SummaryDb<'_> {
        SummaryDb(self, Grouping::Hashed)
    }
}

/// `SELECT set_config('hub.<name>', $n, true), …`: transaction-local settings.
pub(crate) fn settings_statement(pairs: &[(&'static str, String)]) -> Statement {
    let mut sql = Sql::new("SELECT ");
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.append(&setting(name, value));
    }
    sql.statement(DbBackend::Postgres)
}

/// `set_config('hub.<name>', value, true)`: one transaction-local setting.
fn setting(name: &str, value: &str) -> Sql {
    let mut call = Sql::new(&format!("set_config('hub.{name}', "));
    call.bind(value.to_owned()).push(", true)");
    call
}

/// A request's handle whose statements run as summaries ([`RequestDb::for_summary`]).
#[derive(Debug)]
pub struct SummaryDb<'a>(&'a RequestDb, Grouping);

/// How a summary's statement groups its rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Grouping {
    /// As the planner chooses.
    AsPlanned,
    /// In a hash table: planned with `enable_sort` off ([`RequestDb::for_hashed_summary`]).
    Hashed,
}

/// The statement that changes a transaction's summary settings from those of `from` to those
/// of `to` (`None`: no summary), if they differ: the purpose, and the planner's `enable_sort`,
/// off for [`Grouping::Hashed`] (and back to `on`, Postgres's default, which the service
/// changes nowhere else), in one round trip. Each statement is prepared once per connection
/// and planned at its first execution (generic plans), so the setting shapes the plan of the
/// statements it is set for.
fn summary_settings(from: Option<Grouping>, to: Option<Grouping>) -> Option<Statement> {
    if from == to {
        return None;
    }
    let mut sql = Sql::new("SELECT ");
    sql.append(&setting(
        "purpose",
        if to.is_some() { "summary" } else { "" },
    ));
    let hashed = |g: Option<Grouping>| g == Some(Grouping::Hashed);
    if hashed(from) != hashed(to) {
        sql.push(if hashed(to) {
            ", set_config('enable_sort', 'off', true)"
        } else {
            ", set_config('enable_sort', 'on', true)"
        });
    }
    Some(sql.statement(DbBackend::Postgres))
}

impl SummaryDb<'_> {
    /// Runs `run` on the transaction with the summary's settings set for it (on Postgres).
    async fn around<T>(
        &self,
        run: impl AsyncFnOnce(&DatabaseTransaction) -> Result<T, DbErr>,
    ) -> Result<T, DbErr> {
        let db = self.0;
        db.tally.admit()?;
        // Exclusive: no other statement of the request may run under the summary purpose.
        let guard = db.txn.write().await;
        let txn = db.ready_for(&guard, Some(self.1)).await?;
        let result = db.tally.observe(run(txn).await);
        if db.writes {
            db.settle(txn, None).await?;
        }
        result
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for SummaryDb<'_> {
    fn get_database_backend(&self) -> DbBackend {
        self.0.backend
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.around(async |txn| txn.execute_raw(stmt).await).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.around(async |txn| txn.execute_unprepared(sql).await)
            .await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.around(async |txn| txn.query_one_raw(stmt).await).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.around(async |txn| txn.query_all_raw(stmt).await).await
    }
}

/// The connection a caller is identified on, before its request's transaction opens: the
/// pool, through a short transaction of its own on Postgres, begun at the first statement
/// (a caller this process knows costs none) with the settings that let row-level security
/// show the organisation and the user the token names, and nothing else.
pub struct IdentifyDb<'a> {
    db: &'a Database,
    settings: Vec<(&'static str, String)>,
    txn: tokio::sync::OnceCell<DatabaseTransaction>,
}

impl std::fmt::Debug for IdentifyDb<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentifyDb").finish_non_exhaustive()
    }
}

impl<'a> IdentifyDb<'a> {
    /// Identification on `db` under `settings` (names under `hub.`).
    pub fn new(db: &'a Database, settings: Vec<(&'static str, String)>) -> Self {
        IdentifyDb {
            db,
            settings,
            txn: tokio::sync::OnceCell::new(),
        }
    }

    async fn txn(&self) -> Result<&DatabaseTransaction, DbErr> {
        self.txn
            .get_or_try_init(async || {
                let txn = self.db.conn.begin().await?;
                txn.query_one_raw(settings_statement(&self.settings))
                    .await?;
                Ok(txn)
            })
            .await
    }

    fn pooled(&self) -> bool {
        self.db.conn.get_database_backend() != DbBackend::Postgres
    }

    /// Commits what identification wrote (a new user, a first sight), if it wrote anything.
    pub async fn finish(self) -> Result<(), DbErr> {
        match self.txn.into_inner() {
            Some(txn) => txn.commit().await,
            None => Ok(()),
        }
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for IdentifyDb<'_> {
    fn get_database_backend(&self) -> DbBackend {
        self.db.conn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        if self.pooled() {
            return self.db.conn.execute_raw(stmt).await;
        }
        self.txn().await?.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        if self.pooled() {
            return self.db.conn.execute_unprepared(sql).await;
        }
        self.txn().await?.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        if self.pooled() {
            return self.db.conn.query_one_raw(stmt).await;
        }
        self.txn().await?.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        if self.pooled() {
            return self.db.conn.query_all_raw(stmt).await;
        }
        self.txn().await?.query_all_raw(stmt).await
    }
}

/// One mutation's savepoint within its request's transaction ([`RequestDb::savepoint`]). Its
/// statements count against the request's budget and are watched for database failures like
/// every other of the request's.
pub struct Savepoint {
    txn: DatabaseTransaction,
    tally: Arc<Tally>,
}

impl std::fmt::Debug for Savepoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Savepoint").finish_non_exhaustive()
    }
}

impl Savepoint {
    /// Releases the savepoint: its work becomes part of the request's, committed with it.
    pub async fn commit(self) -> Result<(), DbErr> {
        self.tally.admit()?;
        self.tally.observe(self.txn.commit().await)
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Savepoint {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.tally.admit()?;
        self.tally.observe(self.txn.execute_raw(stmt).await)
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.tally.admit()?;
        self.tally.observe(self.txn.execute_unprepared(sql).await)
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.tally.admit()?;
        self.tally.observe(self.txn.query_one_raw(stmt).await)
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.tally.admit()?;
        self.tally.observe(self.txn.query_all_raw(stmt).await)
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/hub"),
            "postgres://app:***@db:5432/hub"
        );
        assert_eq!(
            redact("sqlite://hub.db?mode=rwc"),
            "sqlite://hub.db?mode=rwc"
        );
    }
}
