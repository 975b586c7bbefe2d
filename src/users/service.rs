//! Reading and recording users.

use chrono::{Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::User;
use crate::access::Access;
use crate::auth::VerifiedToken;
use crate::entity::user;
use crate::error::{AppError, AppResult};
use crate::ids::UserId;

/// How stale `last_seen_at` may get before a request refreshes it: a write per request would
/// cost more than the timestamp is worth.
const LAST_SEEN_GRANULARITY: Duration = Duration::hours(1);

/// Finds the token's user, creating it on first sight and refreshing its profile from the
/// `name` and `email` claims when they changed. Absent claims leave the profile as it is.
pub async fn upsert_from_token(
    db: &impl ConnectionTrait,
    token: &VerifiedToken,
) -> AppResult<UserId> {
    let find = || {
        user::Entity::find()
            .filter(user::Column::Issuer.eq(&token.issuer))
            .filter(user::Column::Subject.eq(&token.subject))
    };
    let now = Utc::now();
    let Some(existing) = find().one(db).await? else {
        // Two first requests of a new user may race; the unique key settles it, and both then
        // read the one row.
        user::Entity::insert(user::ActiveModel {
            id: Set(UserId::new().0),
            issuer: Set(token.issuer.clone()),
            subject: Set(token.subject.clone()),
            display_name: Set(token.name.clone()),
            email: Set(token.email.clone()),
            created_at: Set(now),
            last_seen_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([user::Column::Issuer, user::Column::Subject])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
        let row = find()
            .one(db)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("user row vanished after insert")))?;
        return Ok(UserId(row.id));
    };

    let name = token.name.clone().or_else(|| existing.display_name.clone());
    let email = token.email.clone().or_else(|| existing.email.clone());
    let profile_changed = name != existing.display_name || email != existing.email;
    if profile_changed || now - existing.last_seen_at > LAST_SEEN_GRANULARITY {
        user::Entity::update_many()
            .col_expr(user::Column::DisplayName, name.into())
            .col_expr(user::Column::Email, email.into())
            .col_expr(user::Column::LastSeenAt, now.into())
            .filter(user::Column::Id.eq(existing.id))
            .exec(db)
            .await?;
    }
    Ok(UserId(existing.id))
}

/// The caller's own user. Users are not tenant content, but nobody browses other people's
/// profiles: a user is reachable only as the caller or as the author of something visible.
pub async fn me(access: &Access) -> AppResult<User> {
    let id = access.actor().user_id;
    get_visible(access, id).await
}

/// A user by id, as far as the caller may see them (today: only themselves).
pub async fn get_visible(access: &Access, id: UserId) -> AppResult<User> {
    if id != access.actor().user_id {
        return Err(AppError::NotFound("user"));
    }
    user::Entity::find_by_id(id.0)
        .one(access.db())
        .await?
        .map(User::from)
        .ok_or(AppError::NotFound("user"))
}

/// Users by id, for objects that name their author (audit events). Only called with ids
/// taken from rows the caller could already read.
pub async fn by_ids(access: &Access, ids: &[uuid::Uuid]) -> AppResult<Vec<User>> {
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids.iter().copied()))
        .all(access.db())
        .await?
        .into_iter()
        .map(User::from)
        .collect())
}
