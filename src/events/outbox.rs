//! Reading the outbox: the events committed since a position, in commit order.
//!
//! Two readers, two ways of never skipping a transaction that took a lower sequence number
//! but committed later:
//!
//! - Webhooks keep a durable [`Position`]: on Postgres a row is read only once every
//!   transaction older than the one that wrote it has finished (`tx_id` below the oldest
//!   running transaction's). Simple to store, but one long transaction anywhere on the
//!   server holds every later event back until it ends.
//! - Live subscriptions keep what they have [`Seen`]: a Postgres snapshot. An event is new
//!   when its transaction was not visible in the last snapshot and is visible in this one,
//!   so a transaction still running is read when it commits, and holds back nobody else's.
//!
//! On SQLite, whose writers take turns, the sequence alone does for both.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement};
use uuid::Uuid;

use super::Event;
use crate::audit::EntityType;
use crate::db::RequestDb;
use crate::error::AppResult;
use crate::ids::{EventId, OrgId, UserId};

/// A place in the outbox: after the event at (transaction, sequence).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub tx: i64,
    pub seq: i64,
}

/// Most events read in one statement.
pub const BATCH: u64 = 1000;

const COLUMNS: &str = "seq, id, org_id, subject_org_id, event_type, entity_type, entity_id, \
                       payload, actor_user_id, occurred_at";

/// What a live reader has read: everything visible in a snapshot (Postgres, its text
/// `xmin:xmax:xip,…`), or up to a sequence (SQLite).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seen {
    Snapshot(String),
    Seq(i64),
}

/// What is visible now: events after it are new.
pub async fn seen_now(txn: &RequestDb) -> AppResult<Seen> {
    let backend = txn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "SELECT pg_current_snapshot()::text AS snap",
        _ => "SELECT COALESCE(MAX(seq), 0) AS seq FROM outbox_events",
    };
    let row = txn
        .query_one_raw(Statement::from_string(backend, sql))
        .await?;
    Ok(match (backend, row) {
        (DbBackend::Postgres, Some(row)) => Seen::Snapshot(row.try_get("", "snap")?),
        (_, Some(row)) => Seen::Seq(row.try_get("", "seq")?),
        (_, None) => Seen::Seq(0),
    })
}

/// The events not visible in `seen` and visible in `upto`, after `from` within them, at
/// most `limit`, in (transaction, sequence) order, with the position of the last read.
pub async fn between(
    txn: &RequestDb,
    seen: &Seen,
    upto: &Seen,
    from: Position,
    limit: u64,
) -> AppResult<(Vec<Event>, Position, bool)> {
    let backend = txn.get_database_backend();
    let statement = match (seen, upto) {
        (Seen::Snapshot(seen), Seen::Snapshot(upto)) => Statement::from_sql_and_values(
            backend,
            // Everything below the old snapshot's xmin was visible in it: the index's bound.
            format!(
                "SELECT {COLUMNS}, tx_id::text::bigint AS tx FROM outbox_events \
                 WHERE tx_id >= pg_snapshot_xmin($1::pg_snapshot) \
                   AND NOT pg_visible_in_snapshot(tx_id, $1::pg_snapshot) \
                   AND pg_visible_in_snapshot(tx_id, $2::pg_snapshot) \
                   AND (tx_id, seq) > ($3::text::xid8, $4) \
                 ORDER BY tx_id, seq LIMIT $5"
            ),
            [
                seen.clone().into(),
                upto.clone().into(),
                from.tx.to_string().into(),
                from.seq.into(),
                (limit as i64).into(),
            ],
        ),
        (Seen::Seq(seen), Seen::Seq(upto)) => Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT {COLUMNS}, 0 AS tx FROM outbox_events \
                 WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?"
            ),
            [
                (*seen).max(from.seq).into(),
                (*upto).into(),
                (limit as i64).into(),
            ],
        ),
        _ => {
            return Err(anyhow::anyhow!("an outbox snapshot compared with a sequence").into());
        }
    };
    let rows = txn.query_all_raw(statement).await?;
    let full = rows.len() as u64 >= limit;
    let (events, last) = read_all(&rows, from)?;
    Ok((events, last, full))
}

/// The events after `from`, at most `limit`, in commit order, with the position of the last.
pub async fn after(
    txn: &RequestDb,
    from: Position,
    limit: u64,
) -> AppResult<(Vec<Event>, Position)> {
    let backend = txn.get_database_backend();
    let statement = match backend {
        DbBackend::Postgres => Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT {COLUMNS}, tx_id::text::bigint AS tx FROM outbox_events \
                 WHERE (tx_id, seq) > ($1::text::xid8, $2) \
                   AND tx_id < pg_snapshot_xmin(pg_current_snapshot()) \
                 ORDER BY tx_id, seq LIMIT $3"
            ),
            [
                from.tx.to_string().into(),
                from.seq.into(),
                (limit as i64).into(),
            ],
        ),
        _ => Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT {COLUMNS}, 0 AS tx FROM outbox_events WHERE seq > ? ORDER BY seq LIMIT ?"
            ),
            [from.seq.into(), (limit as i64).into()],
        ),
    };
    let rows = txn.query_all_raw(statement).await?;
    read_all(&rows, from)
}

/// The rows as events, with the position of the last row (`from` when there is none).
fn read_all(rows: &[QueryResult], from: Position) -> AppResult<(Vec<Event>, Position)> {
    let mut last = from;
    let mut events = Vec::with_capacity(rows.len());
    for row in rows {
        let (event, position) = read(row)?;
        last = position;
        events.extend(event);
    }
    Ok((events, last))
}

/// One row as an event (none for an entity type this build does not know), and its position.
fn read(row: &QueryResult) -> AppResult<(Option<Event>, Position)> {
    let position = Position {
        tx: row.try_get("", "tx")?,
        seq: row.try_get("", "seq")?,
    };
    let entity: String = row.try_get("", "entity_type")?;
    let Some(entity_type) = EntityType::parse(&entity) else {
        return Ok((None, position));
    };
    let occurred_at: DateTime<Utc> = row.try_get("", "occurred_at")?;
    Ok((
        Some(Event {
            seq: position.seq,
            id: EventId(row.try_get::<Uuid>("", "id")?),
            org_id: OrgId(row.try_get::<Uuid>("", "org_id")?),
            subject_org_id: row
                .try_get::<Option<Uuid>>("", "subject_org_id")?
                .map(OrgId),
            event_type: row.try_get("", "event_type")?,
            entity_type,
            entity_id: row.try_get("", "entity_id")?,
            payload: row.try_get("", "payload")?,
            actor_user_id: row
                .try_get::<Option<Uuid>>("", "actor_user_id")?
                .map(UserId),
            occurred_at,
        }),
        position,
    ))
}
