//! Reading users: who the caller may see, and how much of each (recording them on first
//! sight is `auth::identity`'s).

use std::collections::HashSet;

use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};

use super::User;
use crate::access::Access;
use crate::access::scope::Scoped;
pub use crate::auth::identity::Callers;
use crate::entity::{org_user, user};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;

/// The caller's own user.
pub async fn me(access: &Access) -> AppResult<User> {
    get_visible(access, access.actor().user_id).await
}

/// A person by id, as the caller may see them (see [`people`]).
pub async fn get_visible(access: &Access, id: UserId) -> AppResult<User> {
    people(access, &[id.0])
        .await?
        .pop()
        .ok_or(AppError::NotFound("user"))
}

/// The people who have acted for the caller's own organisation, by name.
pub async fn colleagues(access: &Access) -> AppResult<Vec<User>> {
    if access.actor().role == crate::auth::Role::PlatformAdmin {
        return Ok(Vec::new());
    }
    let ids: Vec<uuid::Uuid> = org_user::Entity::scoped(access)
        .select_only()
        .column(org_user::Column::UserId)
        .filter(org_user::Column::OrgId.eq(access.org_id().0))
        .into_tuple()
        .all(access.db())
        .await?;
    let mut users = people(access, &ids).await?;
    users.sort_by(|a, b| a.display_name.cmp(&b.display_name));
    Ok(users)
}

/// The people among `ids` the caller may see, and as much of each as it may see: every path
/// that shows a person (an author, an owner, an audit actor, a person by id) comes here.
///
/// The caller and the people who act for its own organisation are seen whole. A person who
/// acts for another organisation whose detail the caller reads (a panel member that shares
/// detail: where that person's updates and changes are) is seen by name only, never an email.
/// Anyone else is not found, exactly like an id nobody has. A platform administrator sees
/// only itself and its colleagues: people are tenant content.
pub async fn people(access: &Access, ids: &[uuid::Uuid]) -> AppResult<Vec<User>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let me = access.actor().user_id.0;
    let own = access.org_id().0;
    let acting: Vec<(uuid::Uuid, uuid::Uuid)> = org_user::Entity::scoped(access)
        .select_only()
        .column(org_user::Column::UserId)
        .column(org_user::Column::OrgId)
        .filter(org_user::Column::UserId.is_in(ids.iter().copied()))
        .into_tuple()
        .all(access.db())
        .await?;
    let whole: HashSet<uuid::Uuid> = acting
        .iter()
        .filter(|(_, org)| *org == own)
        .map(|(user, _)| *user)
        .chain(ids.contains(&me).then_some(me))
        .collect();
    let named: HashSet<uuid::Uuid> = acting.iter().map(|(user, _)| *user).collect();
    let visible: Vec<uuid::Uuid> = whole.union(&named).copied().collect();
    Ok(user::Entity::scoped(access)
        .filter(user::Column::Id.is_in(visible))
        .all(access.db())
        .await?
        .into_iter()
        .map(|row| {
            let keep_email = whole.contains(&row.id);
            let mut person = User::from(row);
            if !keep_email {
                person.email = None;
            }
            person
        })
        .collect())
}

/// Whether `user` has acted for the caller's own organisation.
pub async fn acts_for_own(access: &Access, user: UserId) -> AppResult<bool> {
    Ok(org_user::Entity::scoped(access)
        .filter(org_user::Column::OrgId.eq(access.org_id().0))
        .filter(org_user::Column::UserId.eq(user.0))
        .one(access.db())
        .await?
        .is_some())
}
