//! The service's counters, served at `GET /metrics` in the Prometheus text format: GraphQL
//! requests, the errors they answered by code, the SQL statements run and the connection
//! pool. Counters only, never tenant data. The benchmark reads them to report statements per
//! request and error rates.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use sea_orm::DbBackend;

use super::response::Reply;
use crate::db::Database;
use crate::error::ErrorCode;

/// Counters of the GraphQL endpoint, shared by every request.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: AtomicU64,
    failed: AtomicU64,
    errors: [AtomicU64; ErrorCode::ALL.len()],
}

impl Metrics {
    /// Counts one answered request to `/graphql`.
    pub(super) fn record(&self, reply: &Reply) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if !reply.codes.is_empty() {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
        for code in &reply.codes {
            self.errors[*code as usize].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The counters in the Prometheus text format.
    pub(super) fn render(&self, db: &Database) -> String {
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, samples: &[(String, u64)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (labels, value) in samples {
                let _ = writeln!(out, "{name}{labels} {value}");
            }
        };
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        metric(
            "resilience_hub_graphql_requests_total",
            "counter",
            "Requests answered at /graphql.",
            &[(String::new(), load(&self.requests))],
        );
        metric(
            "resilience_hub_graphql_failed_requests_total",
            "counter",
            "Requests whose response held at least one error.",
            &[(String::new(), load(&self.failed))],
        );
        let errors: Vec<(String, u64)> = ErrorCode::ALL
            .iter()
            .map(|c| {
                (
                    format!("{{code=\"{}\"}}", c.as_str()),
                    load(&self.errors[*c as usize]),
                )
            })
            .collect();
        metric(
            "resilience_hub_graphql_errors_total",
            "counter",
            "Errors in responses, by extensions.code.",
            &errors,
        );
        metric(
            "resilience_hub_sql_statements_total",
            "counter",
            "SQL statements run, by requests and by the service itself.",
            &[(String::new(), db.statement_count())],
        );
        let (open, idle) = pool_size(db);
        metric(
            "resilience_hub_db_connections",
            "gauge",
            "Connections of the database pool.",
            &[
                ("{state=\"open\"}".to_owned(), open),
                ("{state=\"idle\"}".to_owned(), idle),
            ],
        );
        out
    }
}

/// Open and idle connections of the pool.
fn pool_size(db: &Database) -> (u64, u64) {
    let conn = db.conn();
    match conn.get_database_backend() {
        DbBackend::Postgres => {
            let pool = conn.get_postgres_connection_pool();
            (pool.size().into(), pool.num_idle() as u64)
        }
        _ => {
            let pool = conn.get_sqlite_connection_pool();
            (pool.size().into(), pool.num_idle() as u64)
        }
    }
}
