//! Each instance's publisher: reads the outbox in commit order and hands the events to the
//! instance's [`Hub`].
//!
//! Woken by `NOTIFY` from any instance's commits on Postgres and by this instance's own
//! commits everywhere, and polling besides: a notification is only a wake-up (a pooler in
//! transaction mode drops them, a listener's connection can fail), the outbox is the truth.
//! It starts from the end of the outbox: a live subscription hears of changes made after it
//! began. Webhooks, which must hear of everything, keep their own durable position
//! ([`super::webhooks::dispatch`]).

use std::sync::Arc;
use std::time::Duration;

use sea_orm::DbBackend;
use sea_orm::sqlx::postgres::PgListener;
use tokio::sync::watch;

use super::Hub;
use super::outbox::{self, BATCH, Position, Seen};
use crate::db::Database;

/// The channel outbox inserts notify on (the payload is the schema written to).
const CHANNEL: &str = "hub_outbox";

/// Runs until `stop` changes: reads new events and publishes them, every `poll` at least.
pub async fn run(db: Database, hub: Arc<Hub>, poll: Duration, mut stop: watch::Receiver<bool>) {
    let mut seen = loop {
        match seen_now(&db).await {
            Ok(seen) => break seen,
            Err(err) => {
                tracing::warn!(error = %err, "the publisher cannot read the outbox yet");
                tokio::select! {
                    _ = tokio::time::sleep(poll) => continue,
                    _ = stop.changed() => return,
                }
            }
        }
    };
    // The schema this pool writes to, which notifications name (Postgres).
    let schema = match db.conn().get_database_backend() {
        DbBackend::Postgres => db.current_schema().await.ok(),
        _ => None,
    };
    let mut listener = listen(&db).await;
    loop {
        match read_new(&db, &hub, &seen).await {
            Ok(next) => seen = next,
            Err(err) => tracing::warn!(error = %err, "reading the outbox failed; retrying"),
        }
        // Until something says there may be more to read, or the poll is due.
        let due = tokio::time::Instant::now() + poll;
        loop {
            tokio::select! {
                _ = hub.written_signal() => break,
                notice = next_notice(&mut listener) => match notice {
                    // Another schema's (another deployment's, or another test's) events.
                    Some(payload) if schema.as_deref().is_some_and(|s| s != payload) => {}
                    Some(_) => break,
                    None => {
                        // The listening connection failed: poll until it is back.
                        listener = None;
                        break;
                    }
                },
                _ = tokio::time::sleep_until(due) => {
                    if listener.is_none() {
                        listener = listen(&db).await;
                    }
                    break;
                }
                _ = stop.changed() => return,
            }
        }
    }
}

/// What is visible in the outbox now.
async fn seen_now(db: &Database) -> crate::error::AppResult<Seen> {
    let txn = db.begin_publisher(false).await?;
    let seen = outbox::seen_now(&txn).await;
    txn.abandon().await;
    seen
}

/// Publishes every event committed since `seen`, a batch at a time; returns what is seen now.
async fn read_new(db: &Database, hub: &Hub, seen: &Seen) -> crate::error::AppResult<Seen> {
    let txn = db.begin_publisher(false).await?;
    let read = async {
        let upto = outbox::seen_now(&txn).await?;
        let mut from = Position::default();
        loop {
            let (events, last, full) = outbox::between(&txn, seen, &upto, from, BATCH).await?;
            from = last;
            hub.publish(events);
            if !full {
                return Ok(upto);
            }
        }
    }
    .await;
    txn.abandon().await;
    read
}

/// A connection listening for outbox inserts, on Postgres.
async fn listen(db: &Database) -> Option<PgListener> {
    if db.conn().get_database_backend() != DbBackend::Postgres {
        return None;
    }
    let pool = db.conn().get_postgres_connection_pool();
    let mut listener = match PgListener::connect_with(pool).await {
        Ok(listener) => listener,
        Err(err) => {
            tracing::warn!(error = %err, "cannot listen for outbox notifications; polling");
            return None;
        }
    };
    match listener.listen(CHANNEL).await {
        Ok(()) => Some(listener),
        Err(err) => {
            tracing::warn!(error = %err, "cannot listen for outbox notifications; polling");
            None
        }
    }
}

/// The next notification's payload; `None` when the listener failed. Never completes
/// without a listener.
async fn next_notice(listener: &mut Option<PgListener>) -> Option<String> {
    match listener {
        Some(l) => match l.try_recv().await {
            Ok(Some(n)) => Some(n.payload().to_owned()),
            Ok(None) | Err(_) => None,
        },
        None => std::future::pending().await,
    }
}
