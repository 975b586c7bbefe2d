//! Reading the outbox: the events committed since a position, in commit order.
//!
//! On Postgres a row is read only once every transaction older than the one that wrote it
//! has finished (`tx_id` below the oldest running transaction's): a transaction that took a
//! lower sequence number but commits later can then never be skipped. Position is the pair
//! (transaction id, sequence). On SQLite, whose writers take turns, the sequence alone.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement};
use uuid::Uuid;

use super::Event;
use crate::audit::EntityType;
use crate::db::{Database, RequestDb};
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

/// Where the outbox ends now: events after it are new.
pub async fn end(db: &Database) -> AppResult<Position> {
    let txn = db.begin_publisher(false).await?;
    let position = end_in(&txn).await;
    txn.abandon().await;
    position
}

async fn end_in(txn: &RequestDb) -> AppResult<Position> {
    let sql = match txn.get_database_backend() {
        // Every transaction below the oldest running one has finished: start just before it.
        DbBackend::Postgres => {
            "SELECT (pg_snapshot_xmin(pg_current_snapshot())::text::bigint - 1) AS tx, \
             COALESCE((SELECT MAX(seq) FROM outbox_events), 0) AS seq"
        }
        _ => "SELECT 0 AS tx, COALESCE(MAX(seq), 0) AS seq FROM outbox_events",
    };
    let row = txn
        .query_one_raw(Statement::from_string(txn.get_database_backend(), sql))
        .await?;
    Ok(match row {
        Some(row) => Position {
            tx: row.try_get("", "tx")?,
            seq: row.try_get("", "seq")?,
        },
        None => Position::default(),
    })
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
    let mut last = from;
    let mut events = Vec::with_capacity(rows.len());
    for row in rows {
        let (event, position) = read(&row)?;
        last = position;
        if let Some(event) = event {
            events.push(event);
        }
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
