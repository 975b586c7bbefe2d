//! Reading and recording users.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};

use super::User;
use crate::access::{Access, OrgSet, Purpose};
use crate::auth::VerifiedToken;
use crate::cache::Bounded;
use crate::entity::{org_user, user};
use crate::error::{AppError, AppResult};
use crate::ids::{OrgId, UserId};
use crate::organisations::OrgKind;

/// How stale `last_seen_at` may get before a request refreshes it: a write per request would
/// cost more than the timestamp is worth.
const LAST_SEEN_GRANULARITY: Duration = Duration::hours(1);

/// What this process remembers of the callers it has seen, so that a known caller costs no
/// statement before its request's transaction: the organisation each `org` claim names (ids
/// and slugs never change, and organisations are never deleted), each user's id and profile
/// as last written, and which users have been recorded as acting for which organisation.
///
/// Bounded: a map that fills up is emptied and refills, which costs a few lookups. A profile
/// is checked against the database again after [`LAST_SEEN_GRANULARITY`], so a change made
/// through another instance is picked up by then.
#[derive(Debug)]
pub struct Callers {
    orgs: Bounded<String, (OrgId, OrgKind)>,
    users: Bounded<(String, String), KnownUser>,
    acting: Bounded<(uuid::Uuid, uuid::Uuid), ()>,
}

impl Default for Callers {
    fn default() -> Self {
        Callers {
            orgs: Bounded::new(CALLERS_CAPACITY),
            users: Bounded::new(CALLERS_CAPACITY),
            acting: Bounded::new(CALLERS_CAPACITY),
        }
    }
}

/// A user as this process last wrote or read them.
#[derive(Clone, Debug)]
struct KnownUser {
    id: UserId,
    name: Option<String>,
    email: Option<String>,
    seen_at: DateTime<Utc>,
}

const CALLERS_CAPACITY: usize = 100_000;

impl Callers {
    /// The organisation an `org` claim named before.
    pub fn org(&self, claim: &str) -> Option<(OrgId, OrgKind)> {
        self.orgs.get(&claim.to_owned())
    }

    /// Remembers the organisation a claim names (only ever one that exists).
    pub fn remember_org(&self, claim: &str, org: (OrgId, OrgKind)) {
        self.orgs.insert(claim.to_owned(), org);
    }

    /// The token's user, when nothing about them needs writing: known, the profile claims as
    /// stored (an absent claim leaves the profile as it is), and seen recently enough.
    fn user(&self, token: &VerifiedToken, now: DateTime<Utc>) -> Option<UserId> {
        let known = self
            .users
            .get(&(token.issuer.clone(), token.subject.clone()))?;
        let same =
            |claim: &Option<String>, stored: &Option<String>| claim.is_none() || claim == stored;
        (same(&token.name, &known.name)
            && same(&token.email, &known.email)
            && now - known.seen_at <= LAST_SEEN_GRANULARITY)
            .then_some(known.id)
    }

    fn remember_user(&self, token: &VerifiedToken, user: KnownUser) {
        self.users
            .insert((token.issuer.clone(), token.subject.clone()), user);
    }

    fn first_sight(&self, org: OrgId, user: UserId) -> bool {
        self.acting.insert((org.0, user.0), ())
    }
}

/// Finds the token's user, creating it on first sight and refreshing its profile from the
/// `name` and `email` claims when they changed. Absent claims leave the profile as it is. A
/// caller this process knows, whose claims are unchanged, costs no statement.
pub async fn upsert_from_token(
    db: &impl ConnectionTrait,
    callers: &Callers,
    token: &VerifiedToken,
) -> AppResult<UserId> {
    let now = Utc::now();
    if let Some(id) = callers.user(token, now) {
        return Ok(id);
    }
    let find = || {
        user::Entity::find()
            .filter(user::Column::Issuer.eq(&token.issuer))
            .filter(user::Column::Subject.eq(&token.subject))
    };
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
        callers.remember_user(
            token,
            KnownUser {
                id: UserId(row.id),
                name: row.display_name,
                email: row.email,
                seen_at: row.last_seen_at,
            },
        );
        return Ok(UserId(row.id));
    };

    let name = token.name.clone().or_else(|| existing.display_name.clone());
    let email = token.email.clone().or_else(|| existing.email.clone());
    let profile_changed = name != existing.display_name || email != existing.email;
    let mut seen_at = existing.last_seen_at;
    if profile_changed || now - existing.last_seen_at > LAST_SEEN_GRANULARITY {
        user::Entity::update_many()
            .col_expr(user::Column::DisplayName, name.clone().into())
            .col_expr(user::Column::Email, email.clone().into())
            .col_expr(user::Column::LastSeenAt, now.into())
            .filter(user::Column::Id.eq(existing.id))
            .exec(db)
            .await?;
        seen_at = now;
    }
    callers.remember_user(
        token,
        KnownUser {
            id: UserId(existing.id),
            name,
            email,
            seen_at,
        },
    );
    Ok(UserId(existing.id))
}

/// Records that `user` acts for `org` (so that it can own the organisation's actions).
pub async fn record_acting_for(
    db: &impl ConnectionTrait,
    callers: &Callers,
    org: OrgId,
    user: UserId,
) -> AppResult<()> {
    if !callers.first_sight(org, user) {
        return Ok(());
    }
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        // Row-level security lets identification record only the user it found.
        db.query_one_raw(crate::db::settings_statement(&[(
            "user",
            user.0.to_string(),
        )]))
        .await?;
    }
    org_user::Entity::insert(org_user::ActiveModel {
        org_id: Set(org.0),
        user_id: Set(user.0),
        first_seen_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([org_user::Column::OrgId, org_user::Column::UserId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

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
    let ids: Vec<uuid::Uuid> = org_user::Entity::find()
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
    let seen = if access.actor().role == crate::auth::Role::PlatformAdmin {
        OrgSet::Only([own].into())
    } else {
        access.orgs(Purpose::Detail)
    };
    let acting: Vec<(uuid::Uuid, uuid::Uuid)> = org_user::Entity::find()
        .select_only()
        .column(org_user::Column::UserId)
        .column(org_user::Column::OrgId)
        .filter(org_user::Column::UserId.is_in(ids.iter().copied()))
        .filter(seen.condition(org_user::Column::OrgId))
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
    Ok(user::Entity::find()
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

/// Whether `user` has acted for `org`.
pub async fn acts_for(db: &impl ConnectionTrait, org: OrgId, user: UserId) -> AppResult<bool> {
    Ok(org_user::Entity::find_by_id((org.0, user.0))
        .one(db)
        .await?
        .is_some())
}
