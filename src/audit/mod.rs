//! The audit trail: an append-only record of every change, written in the same transaction as
//! the change itself, so that a change without its event (or an event without its change) can
//! never be committed.

// The audit trail writes its own append-only table, in the write's savepoint.
#![allow(clippy::disallowed_methods)]

pub mod graphql;
pub mod outbox;
pub mod service;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use serde::Serialize;
use uuid::Uuid;

use crate::access::Access;
use crate::auth::Role;
use crate::entity::{audit_event, outbox_event};
use crate::error::AppResult;
use crate::ids::{AuditEventId, OrgId, UserId};

pub use crate::codes::EntityType;

/// What happened to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, async_graphql::Enum)]
#[graphql(name = "AuditOperation")]
pub enum Operation {
    /// It was created.
    Create,
    /// It was changed.
    Update,
    /// It was removed.
    Delete,
}

impl Operation {
    fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "CREATE",
            Operation::Update => "UPDATE",
            Operation::Delete => "DELETE",
        }
    }

    fn parse(code: &str) -> Option<Self> {
        [Operation::Create, Operation::Update, Operation::Delete]
            .into_iter()
            .find(|o| o.as_str() == code)
    }
}

/// Who made a change: a user acting through the API, or the command line.
#[derive(Clone, Copy, Debug)]
pub enum Author {
    Api {
        user_id: UserId,
        org_id: OrgId,
        role: Role,
    },
    CommandLine,
    /// A person acting through a link the service sent them (a reminder's unsubscribe link),
    /// with no token and so no role.
    Link {
        user_id: UserId,
        org_id: OrgId,
    },
}

impl From<&Access> for Author {
    fn from(access: &Access) -> Self {
        let actor = access.actor();
        Author::Api {
            user_id: actor.user_id,
            org_id: actor.org_id,
            role: actor.role,
        }
    }
}

/// One change to record.
pub struct Change<'a, T: Serialize> {
    /// The organisation whose trail holds the event.
    pub org_id: OrgId,
    /// Another organisation the change concerns, whose trail shows it too.
    pub subject_org_id: Option<OrgId>,
    pub entity_type: EntityType,
    pub entity_id: Uuid,
    pub operation: Operation,
    pub before: Option<&'a T>,
    pub after: Option<&'a T>,
}

impl<'a, T: Serialize> Change<'a, T> {
    /// `entity` was created, and is now `after`.
    pub fn created(org_id: OrgId, entity_type: EntityType, entity_id: Uuid, after: &'a T) -> Self {
        Change {
            org_id,
            subject_org_id: None,
            entity_type,
            entity_id,
            operation: Operation::Create,
            before: None,
            after: Some(after),
        }
    }

    /// `entity` changed from `before` to `after`.
    pub fn updated(
        org_id: OrgId,
        entity_type: EntityType,
        entity_id: Uuid,
        before: &'a T,
        after: &'a T,
    ) -> Self {
        Change {
            org_id,
            subject_org_id: None,
            entity_type,
            entity_id,
            operation: Operation::Update,
            before: Some(before),
            after: Some(after),
        }
    }

    /// `entity`, which was `before`, is gone.
    pub fn deleted(org_id: OrgId, entity_type: EntityType, entity_id: Uuid, before: &'a T) -> Self {
        Change {
            org_id,
            subject_org_id: None,
            entity_type,
            entity_id,
            operation: Operation::Delete,
            before: Some(before),
            after: None,
        }
    }
}

impl<T: Serialize> Change<'_, T> {
    /// The same change, shown in `subject`'s trail too.
    pub fn concerning(mut self, subject: OrgId) -> Self {
        self.subject_org_id = Some(subject);
        self
    }
}

/// Writes one audit event and its outbox row (the event to publish, see [`outbox`]), and
/// marks the epoch of the records changed (see [`crate::epochs`]). Call it with the
/// mutation's own transaction.
pub async fn record<T: Serialize>(
    txn: &impl ConnectionTrait,
    author: Author,
    change: Change<'_, T>,
) -> AppResult<()> {
    record_all(txn, author, None, std::slice::from_ref(&change)).await
}

/// Writes the audit events of many changes by one author in few statements, each naming
/// `import` when an import made them, and marks the epochs of the records changed once each.
pub async fn record_all<T: Serialize>(
    txn: &impl ConnectionTrait,
    author: Author,
    import: Option<Uuid>,
    changes: &[Change<'_, T>],
) -> AppResult<()> {
    let to_json = |v: Option<&T>| -> AppResult<Option<serde_json::Value>> {
        v.map(serde_json::to_value).transpose().map_err(|e| {
            anyhow::Error::new(e)
                .context("serialising an audit image")
                .into()
        })
    };
    let (user, org, role) = match author {
        Author::Api {
            user_id,
            org_id,
            role,
        } => (Some(user_id.0), Some(org_id.0), Some(role)),
        Author::CommandLine => (None, None, None),
        Author::Link { user_id, org_id } => (Some(user_id.0), Some(org_id.0), None),
    };
    let request_id = crate::telemetry::current_request_id();
    let now = Utc::now();
    let mut epochs = std::collections::BTreeSet::new();
    // Bound the statement's size: a bind per column, well under either engine's limit.
    for chunk in changes.chunks(500) {
        let mut rows = Vec::with_capacity(chunk.len());
        let mut outgoing = Vec::with_capacity(chunk.len());
        for change in chunk {
            let before = to_json(change.before)?;
            let after = to_json(change.after)?;
            outgoing.push(outbox::row(
                outbox::Outgoing {
                    org_id: change.org_id,
                    subject_org_id: change.subject_org_id,
                    entity_type: change.entity_type,
                    entity_id: change.entity_id,
                    operation: change.operation,
                    before: before.as_ref(),
                    after: after.as_ref(),
                },
                user,
                org,
                now,
            ));
            rows.push(audit_event::ActiveModel {
                id: Set(AuditEventId::new().0),
                org_id: Set(change.org_id.0),
                actor_user_id: Set(user),
                actor_org_id: Set(org),
                actor_role: Set(role),
                entity_type: Set(change.entity_type.as_str().to_owned()),
                entity_id: Set(change.entity_id),
                operation: Set(change.operation.as_str().to_owned()),
                before: Set(before),
                after: Set(after),
                request_id: Set(request_id.clone()),
                occurred_at: Set(now),
                subject_org_id: Set(change.subject_org_id.map(|o| o.0)),
                import_id: Set(import),
            });
            if let Some(epoch) =
                crate::epochs::Epoch::of_change(change.entity_type, change.org_id.0)
            {
                epochs.insert(epoch);
            }
        }
        if !rows.is_empty() {
            audit_event::Entity::insert_many(rows)
                .exec_without_returning(txn)
                .await?;
            outbox_event::Entity::insert_many(outgoing)
                .exec_without_returning(txn)
                .await?;
        }
    }
    // What is remembered of the records changed must be known to be stale once this commits.
    for epoch in epochs {
        crate::epochs::changed(txn, epoch).await?;
    }
    Ok(())
}

/// An audit event, as the API shows it.
#[derive(Clone, Debug)]
pub struct AuditEvent {
    pub id: AuditEventId,
    pub org_id: OrgId,
    pub actor_user_id: Option<UserId>,
    pub actor_org_id: Option<OrgId>,
    pub actor_role: Option<Role>,
    pub entity_type: EntityType,
    pub entity_id: Uuid,
    pub operation: Operation,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub request_id: Option<String>,
    pub occurred_at: DateTime<Utc>,
    /// The import that made the change, if one did.
    pub import_id: Option<Uuid>,
}

impl TryFrom<audit_event::Model> for AuditEvent {
    type Error = anyhow::Error;

    fn try_from(m: audit_event::Model) -> Result<Self, Self::Error> {
        Ok(AuditEvent {
            id: AuditEventId(m.id),
            org_id: OrgId(m.org_id),
            actor_user_id: m.actor_user_id.map(UserId),
            actor_org_id: m.actor_org_id.map(OrgId),
            actor_role: m.actor_role,
            entity_type: EntityType::parse(&m.entity_type)
                .ok_or_else(|| anyhow::anyhow!("unknown audit entity type {}", m.entity_type))?,
            entity_id: m.entity_id,
            operation: Operation::parse(&m.operation)
                .ok_or_else(|| anyhow::anyhow!("unknown audit operation {}", m.operation))?,
            before: m.before,
            after: m.after,
            request_id: m.request_id,
            occurred_at: m.occurred_at,
            import_id: m.import_id,
        })
    }
}
