//! Identity bootstrap: the organisation a token names, whether it operates the platform, and
//! its user, created on first sight (`iss` + `sub`) and following its `name` and `email`
//! claims. Runs before a caller has any scope (row-level security shows it only what the
//! token names), so it sits below the access layer, which builds the caller from it.

// Identification reads and writes `organisations`, `users` and `org_users` before any scope
// exists: the one place outside the access layer that may.
#![allow(clippy::disallowed_methods)]

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};

use super::VerifiedToken;
use crate::auth::Role;
use crate::cache::Bounded;
use crate::codes::OrgKind;
use crate::entity::{org_user, organisation, user};
use crate::error::{AppError, AppResult};
use crate::ids::{OrgId, UserId};

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
    acting: Bounded<(uuid::Uuid, uuid::Uuid), Role>,
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

    /// Whether `user` has not been recorded acting for `org` in `role` before.
    fn first_sight(&self, org: OrgId, user: UserId, role: Role) -> bool {
        if self.acting.get(&(org.0, user.0)) == Some(role) {
            return false;
        }
        self.acting.insert((org.0, user.0), role);
        true
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

/// Records that `user` acts for `org` (so that it can own the organisation's actions), and
/// the role it last acted in (so that the managers' reminders know who the managers are).
pub async fn record_acting_for(
    db: &impl ConnectionTrait,
    callers: &Callers,
    org: OrgId,
    user: UserId,
    role: Role,
) -> AppResult<()> {
    if !callers.first_sight(org, user, role) {
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
        role: Set(Some(role.claim().to_owned())),
    })
    .on_conflict(
        OnConflict::columns([org_user::Column::OrgId, org_user::Column::UserId])
            .update_column(org_user::Column::Role)
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The organisation a token's `org` claim names: its API id or its slug. This is one of the two
/// unscoped reads of `organisations` (the other is the command line's): the caller has no
/// scope until it is known.
pub async fn find_org_by_claim(
    db: &impl ConnectionTrait,
    claim: &str,
) -> Result<Option<organisation::Model>, sea_orm::DbErr> {
    let query = match OrgId::parse("org", claim) {
        Ok(id) => organisation::Entity::find_by_id(id.0),
        Err(_) => organisation::Entity::find().filter(organisation::Column::Slug.eq(claim)),
    };
    query.one(db).await
}

/// Whether an organisation operates the platform, which only its tokens' `platform_admin` role
/// needs. Read afresh on every such request (they are rare: provisioning), so that withdrawing
/// the mark takes effect at once on every instance.
pub async fn is_operator(db: &impl ConnectionTrait, org: OrgId) -> AppResult<bool> {
    let flag: Option<bool> = organisation::Entity::find_by_id(org.0)
        .select_only()
        .column(organisation::Column::Operator)
        .into_tuple()
        .one(db)
        .await?;
    Ok(flag.unwrap_or(false))
}
