//! The service's metrics, served at `GET /metrics` in the Prometheus text format: GraphQL
//! requests, their latency by operation name and error code, the errors they answered by
//! code, the SQL statements run, the connection pool and the persisted-query cache. Counts and
//! timings only, never tenant data.
//!
//! Recorded with the `metrics` crate into a Prometheus recorder of this service's own (not the
//! process-wide one: tests run many services in one process, each with its own figures).

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use metrics::{
    Counter, Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge,
};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};
use sea_orm::DbBackend;

use super::persisted::Persisted;
use super::response::Reply;
use crate::db::Database;
use crate::error::ErrorCode;

const REQUESTS: &str = "resilience_hub_graphql_requests_total";
const FAILED: &str = "resilience_hub_graphql_failed_requests_total";
const ERRORS: &str = "resilience_hub_graphql_errors_total";
const DURATION: &str = "resilience_hub_graphql_request_duration_seconds";
const STATEMENTS: &str = "resilience_hub_sql_statements_total";
const REQUEST_STATEMENTS: &str = "resilience_hub_graphql_request_statements";
const CONNECTIONS: &str = "resilience_hub_db_connections";
const PERSISTED_BYTES: &str = "resilience_hub_persisted_query_cache_bytes";
const SUBSCRIPTIONS: &str = "resilience_hub_live_subscriptions";

/// Request latency buckets, in seconds: from a remembered dashboard to a request abandoned at
/// the default timeout.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Statements per request: the benchmark's heaviest document runs 10, the budget is 1,000.
const STATEMENT_BUCKETS: &[f64] = &[1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 50.0, 100.0, 1000.0];

/// Distinct operation names labelled at most: clients choose them, and a label per name must
/// not grow without bound. Past it, further names are counted as `(other)`.
const MAX_OPERATION_LABELS: usize = 200;

/// The metrics of one running service.
pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    /// The counters every request moves, registered once: a request touches only their
    /// handles, not the recorder's registry.
    requests: Counter,
    failed: Counter,
    /// By [`ErrorCode`], in the order of [`ErrorCode::ALL`].
    errors: [Counter; ErrorCode::ALL.len()],
    operations: Mutex<HashSet<String>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A recorder with its histograms' buckets, and every counter at zero (so that a scrape
    /// before the first request already names them).
    pub fn new() -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(DURATION.to_owned()), LATENCY_BUCKETS)
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Full(REQUEST_STATEMENTS.to_owned()),
                    STATEMENT_BUCKETS,
                )
            })
            .expect("the bucket lists are not empty")
            .build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            describe_counter!(REQUESTS, "Requests answered at /graphql.");
            describe_counter!(FAILED, "Requests whose response held at least one error.");
            describe_counter!(ERRORS, "Errors in responses, by extensions.code.");
            describe_histogram!(
                DURATION,
                Unit::Seconds,
                "Time to answer a request at /graphql, by operation name and the code of its first error (OK for none)."
            );
            describe_histogram!(
                REQUEST_STATEMENTS,
                Unit::Count,
                "SQL statements run by one request at /graphql, by operation name."
            );
            describe_counter!(
                STATEMENTS,
                "SQL statements run, by requests and by the service itself."
            );
            describe_gauge!(CONNECTIONS, "Connections of the database pool.");
            describe_gauge!(SUBSCRIPTIONS, "Live subscriptions on this instance.");
            describe_gauge!(
                PERSISTED_BYTES,
                Unit::Bytes,
                "Bytes of documents held for automatic persisted queries."
            );
        });
        let (requests, failed, errors) = metrics::with_local_recorder(&recorder, || {
            (
                counter!(REQUESTS),
                counter!(FAILED),
                ErrorCode::ALL.map(|code| counter!(ERRORS, "code" => code.as_str())),
            )
        });
        for counter in errors.iter().chain([&requests, &failed]) {
            counter.absolute(0);
        }
        Metrics {
            recorder,
            handle,
            requests,
            failed,
            errors,
            operations: Mutex::new(HashSet::new()),
        }
    }

    /// Records one answered request to `/graphql`, which took `elapsed`.
    pub(super) fn record(&self, reply: &Reply, elapsed: Duration) {
        let operation = self.operation_label(&reply.observed.operations);
        let first_code = reply.codes.first().map_or("OK", |c| c.as_str());
        self.requests.increment(1);
        if !reply.codes.is_empty() {
            self.failed.increment(1);
        }
        for code in &reply.codes {
            self.errors[*code as usize].increment(1);
        }
        metrics::with_local_recorder(&self.recorder, || {
            metrics::histogram!(DURATION, "operation" => operation.clone(), "code" => first_code)
                .record(elapsed.as_secs_f64());
            if let Some(statements) = reply.observed.statements {
                metrics::histogram!(REQUEST_STATEMENTS, "operation" => operation)
                    .record(f64::from(statements));
            }
        });
    }

    /// The label of a request's operations: its name when it is a plain one, `(anonymous)`,
    /// `(batch)` for several, `(other)` past the bound of distinct names.
    fn operation_label(&self, operations: &[Option<String>]) -> String {
        let name = match operations {
            [] | [None] => return "(anonymous)".to_owned(),
            [Some(name)] => name,
            _ => return "(batch)".to_owned(),
        };
        let plain = name.len() <= 64
            && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !plain {
            return "(other)".to_owned();
        }
        let mut seen = self.operations.lock().unwrap_or_else(|e| e.into_inner());
        if seen.contains(name) || seen.len() < MAX_OPERATION_LABELS {
            seen.insert(name.clone());
            name.clone()
        } else {
            "(other)".to_owned()
        }
    }

    /// The metrics in the Prometheus text format, with the pool and cache as they are now.
    pub(super) fn render(
        &self,
        db: &Database,
        persisted: &Persisted,
        subscriptions: usize,
    ) -> String {
        let (open, idle) = pool_size(db);
        let (_, cached_bytes) = persisted.cache_size();
        metrics::with_local_recorder(&self.recorder, || {
            counter!(STATEMENTS).absolute(db.statement_count());
            gauge!(CONNECTIONS, "state" => "open").set(open as f64);
            gauge!(CONNECTIONS, "state" => "idle").set(idle as f64);
            gauge!(PERSISTED_BYTES).set(cached_bytes as f64);
            gauge!(SUBSCRIPTIONS).set(subscriptions as f64);
        });
        self.handle.render()
    }

    /// Folds recent histogram samples into their buckets: run every few seconds, so that memory
    /// stays bounded whether or not anything scrapes `/metrics`.
    pub fn upkeep(&self) {
        self.handle.run_upkeep();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_labels_are_bounded_and_plain() {
        let m = Metrics::new();
        let label = |ops: &[Option<&str>]| {
            m.operation_label(&ops.iter().map(|o| o.map(str::to_owned)).collect::<Vec<_>>())
        };
        assert_eq!(label(&[Some("Dashboard")]), "Dashboard");
        assert_eq!(label(&[None]), "(anonymous)");
        assert_eq!(label(&[Some("A"), Some("B")]), "(batch)");
        assert_eq!(label(&[Some("bad name\"} 1")]), "(other)");
        for i in 0..MAX_OPERATION_LABELS {
            label(&[Some(&format!("Op{i}"))]);
        }
        assert_eq!(label(&[Some("OneTooMany")]), "(other)");
        assert_eq!(
            label(&[Some("Dashboard")]),
            "Dashboard",
            "seen names keep theirs"
        );
    }
}
