//! Reading one's notices and marking them read. A notice is the reader's when it is for them
//! or for their role in their organisation; any other answers as one that does not exist.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{ColumnTrait, Condition, QueryFilter, Select};
use tracing::instrument;
use uuid::Uuid;

use super::Notification;
use crate::access::{Access, scope};
use crate::entity::{notification, notification_read};
use crate::error::{AppError, AppResult};
use crate::ids::NotificationId;
use crate::pagination::{Cursor, PageArgs, Paged, Sort, no_key};

/// Most notices marked in one call.
pub const MAX_MARKED: usize = 100;

/// The caller's notices: its organisation's, for the caller or the caller's role.
fn mine(access: &Access) -> Select<notification::Entity> {
    let actor = access.actor();
    scope::owned_rows::<notification::Entity>(access.org_id()).filter(
        Condition::any()
            .add(notification::Column::RecipientUserId.eq(actor.user_id.0))
            .add(notification::Column::RecipientRole.eq(actor.role.claim())),
    )
}

/// Those of `query`'s notices the caller has not marked read.
fn unread(access: &Access, query: Select<notification::Entity>) -> Select<notification::Entity> {
    query.filter(
        notification::Column::Id.not_in_subquery(
            Query::select()
                .column(notification_read::Column::NotificationId)
                .from(notification_read::Entity)
                .and_where(notification_read::Column::UserId.eq(access.actor().user_id.0))
                .to_owned(),
        ),
    )
}

/// The caller's readings of `ids`: when each was read.
async fn read_at(
    access: &Access,
    ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, chrono::DateTime<Utc>>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = scope::owned_rows::<notification_read::Entity>(access.org_id())
        .filter(notification_read::Column::UserId.eq(access.actor().user_id.0))
        .filter(notification_read::Column::NotificationId.is_in(ids))
        .all(access.db())
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.notification_id, r.read_at))
        .collect())
}

fn from_row(row: notification::Model) -> Notification {
    Notification {
        id: NotificationId(row.id),
        kind: row.kind,
        title: row.title,
        body: row.body,
        subject_id: row.subject_id,
        created_at: row.created_at,
        read_at: None,
    }
}

/// The caller's notices, newest first (only the unread ones when `unread_only`): two
/// statements a page, and the count when asked.
pub async fn list(
    access: &Access,
    unread_only: bool,
    page: PageArgs,
) -> AppResult<Paged<Notification>> {
    let query = if unread_only {
        unread(access, mine(access))
    } else {
        mine(access)
    };
    let total = scope::total_of(access, query.clone());
    let rows = page
        .keyset(
            query,
            None,
            notification::Column::Id,
            Sort::Descending,
            no_key,
        )?
        .all(access.db())
        .await?;
    let mut paged = Paged::from_rows(&page, rows, total, |m| Cursor::by_id(m.id), from_row);
    let read = read_at(access, paged.items.iter().map(|(_, n)| n.id.0).collect()).await?;
    for (_, item) in &mut paged.items {
        item.read_at = read.get(&item.id.0).copied();
    }
    Ok(paged)
}

/// One of the caller's notices.
pub async fn get(access: &Access, id: NotificationId) -> AppResult<Notification> {
    let row = mine(access)
        .filter(notification::Column::Id.eq(id.0))
        .one(access.db())
        .await?
        .ok_or(AppError::NotFound("notification"))?;
    let read = read_at(access, vec![row.id]).await?;
    let mut notice = from_row(row);
    notice.read_at = read.get(&id.0).copied();
    Ok(notice)
}

/// Marks the caller's notices `ids` read (every unread one when `None`); how many were newly
/// marked. An id that is not the caller's is `NOT_FOUND`, and nothing is marked.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn mark_read(access: &Access, ids: Option<Vec<NotificationId>>) -> AppResult<u64> {
    if let Some(ids) = &ids
        && ids.len() > MAX_MARKED
    {
        return Err(AppError::bad_input(
            "ids",
            format!("at most {MAX_MARKED} notices at once; leave ids out to mark them all"),
        ));
    }
    let txn = access.begin_write().await?;
    let found = match &ids {
        Some(ids) => {
            let found = mine(access)
                .filter(notification::Column::Id.is_in(ids.iter().map(|i| i.0)))
                .all(&txn)
                .await?;
            let known: std::collections::HashSet<Uuid> = found.iter().map(|n| n.id).collect();
            if ids.iter().any(|id| !known.contains(&id.0)) {
                return Err(AppError::NotFound("notification"));
            }
            found
        }
        // All of them: the unread ones, never the caller's whole history.
        None => unread(access, mine(access)).all(&txn).await?,
    };
    if found.is_empty() {
        txn.commit().await?;
        return Ok(0);
    }
    let now = Utc::now();
    let me = access.actor().user_id.0;
    let inserted = scope::insert_many_owned::<notification_read::Entity, _>(
        access.org_id(),
        found.iter().map(|n| notification_read::ActiveModel {
            notification_id: Set(n.id),
            user_id: Set(me),
            read_at: Set(now),
            ..Default::default()
        }),
    )
    .on_conflict(
        OnConflict::columns([
            notification_read::Column::NotificationId,
            notification_read::Column::UserId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    txn.commit().await?;
    Ok(inserted)
}
