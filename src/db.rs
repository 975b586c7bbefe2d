//! Connecting to the database, migrating it, and the request-scoped handle.
//!
//! All of a request's database work goes through one [`RequestDb`]: a single transaction
//! opened when the request arrives and finished when its response is ready. That gives every
//! GraphQL response one consistent snapshot, lets per-request settings (such as Postgres
//! row-level security keyed on the caller) apply to every statement, and makes a mutation's
//! change and its audit event commit together.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    AccessMode, ConnectOptions, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, DbErr, ExecResult, QueryResult, SqliteTransactionMode, Statement,
    TransactionOptions, TransactionTrait,
};
use tokio::sync::RwLock;

/// Pool settings taken from configuration.
#[derive(Clone, Debug)]
pub struct PoolSettings {
    /// Most connections the pool opens.
    pub max_connections: u32,
    /// How long a request waits for a connection before it is told the database is unavailable.
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

/// The service's connection pool, with a count of the SQL statements it has run.
#[derive(Clone, Debug)]
pub struct Database {
    conn: DatabaseConnection,
    statements: Arc<AtomicU64>,
}

impl Database {
    /// Connects to `url` (`sqlite://…` or `postgres://…`).
    pub async fn connect(url: &str, pool: &PoolSettings) -> anyhow::Result<Self> {
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.max_connections(pool.max_connections)
            .acquire_timeout(pool.acquire_timeout)
            .connect_timeout(pool.acquire_timeout)
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
        Ok(Database { conn, statements })
    }

    /// Applies every pending migration.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        Migrator::up(&self.conn, None)
            .await
            .context("applying migrations")
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

    /// Opens the transaction of one request. `writes` is true when the request holds a mutation.
    pub async fn begin_request(&self, writes: bool) -> Result<RequestDb, DbErr> {
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
            // A query cannot write, whatever bug a resolver may have.
            _ => TransactionOptions {
                access_mode: Some(if writes {
                    AccessMode::ReadWrite
                } else {
                    AccessMode::ReadOnly
                }),
                ..Default::default()
            },
        };
        let txn = self.conn.begin_with_options(options).await?;
        Ok(RequestDb {
            txn: RwLock::new(Some(txn)),
            backend,
        })
    }
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
/// sits behind a lock so that [`RequestDb::finish`] can take it out for the commit even while a
/// per-request DataLoader still holds a reference to the handle; anything that tries to use the
/// handle after that gets an error instead of a statement outside the transaction.
pub struct RequestDb {
    txn: RwLock<Option<DatabaseTransaction>>,
    backend: DbBackend,
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
    /// Opens a savepoint for one mutation: its change and its audit event commit or roll back
    /// together, without undoing the mutations before it in the same request.
    pub async fn savepoint(&self) -> Result<DatabaseTransaction, DbErr> {
        let guard = self.txn.read().await;
        guard.as_ref().ok_or_else(finished)?.begin().await
    }

    /// Commits the request's work. Called once, after the response has been computed.
    pub async fn finish(&self) -> Result<(), DbErr> {
        match self.txn.write().await.take() {
            Some(txn) => txn.commit().await,
            None => Ok(()),
        }
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for RequestDb {
    fn get_database_backend(&self) -> DbBackend {
        self.backend
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        let guard = self.txn.read().await;
        guard.as_ref().ok_or_else(finished)?.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        let guard = self.txn.read().await;
        guard
            .as_ref()
            .ok_or_else(finished)?
            .execute_unprepared(sql)
            .await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        let guard = self.txn.read().await;
        guard
            .as_ref()
            .ok_or_else(finished)?
            .query_one_raw(stmt)
            .await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let guard = self.txn.read().await;
        guard
            .as_ref()
            .ok_or_else(finished)?
            .query_all_raw(stmt)
            .await
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
