//! The API of the audit trail.

use async_graphql::{Context, ID, Json, Object, Result};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{AuditEvent, EntityType, Operation, service};
use crate::auth::Role;
use crate::graphql::ContextExt;
use crate::ids::{AnyId, ImportId};
use crate::loaders::items_select;
use crate::organisations::Organisation;
use crate::pagination::{CountedConnection, PageArgs, Paged, connection_complexity};
use crate::users::User;

/// One change, as the audit trail recorded it: who, what, when, before and after.
#[Object]
impl AuditEvent {
    /// Opaque id.
    pub async fn id(&self) -> ID {
        self.id.to_gql()
    }

    /// When the change was committed.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.occurred_at
    }

    /// What kind of thing changed.
    async fn entity_type(&self) -> EntityType {
        self.entity_type
    }

    /// The id of what changed.
    async fn entity_id(&self) -> ID {
        ID(AnyId::encode(self.entity_type.id_kind(), self.entity_id))
    }

    /// What happened to it.
    async fn operation(&self) -> Operation {
        self.operation
    }

    /// Its state before the change (null for a creation).
    async fn before(&self) -> Option<Json<serde_json::Value>> {
        self.before.clone().map(Json)
    }

    /// Its state after the change (null for a removal).
    async fn after(&self) -> Option<Json<serde_json::Value>> {
        self.after.clone().map(Json)
    }

    /// The user who made the change; null when it came from the command line.
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(user) = self.actor_user_id else {
            return Ok(None);
        };
        ctx.loaders()?.users.load_one(user.0).await
    }

    /// The role the change was made in; null when it came from the command line.
    async fn actor_role(&self) -> Option<Role> {
        self.actor_role
    }

    /// The organisation the change was made for, as far as the caller may see it.
    async fn actor_organisation(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        let Some(org) = self.actor_org_id else {
            return Ok(None);
        };
        ctx.loaders()?.organisations.load_one(org.0).await
    }

    /// The id of the HTTP request that made the change, as in the service's logs.
    async fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// The import that made the change (see `Query.imports`), when a spreadsheet import did.
    async fn import_id(&self) -> Option<ID> {
        self.import_id.map(|id| ImportId(id).into())
    }
}

/// Queries about the audit trail.
#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// The audit trail, newest first. A manager reads their own organisation's trail; a
    /// platform administrator reads the provisioning trail (organisations and memberships).
    #[graphql(complexity = "connection_complexity(first, last, child_complexity)")]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size: 1 to 100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last event of the previous page.")] after: Option<String>,
        #[graphql(
            desc = "Page size when paging backwards: the last 1 to 100 before `before` (or of the list)."
        )]
        last: Option<i32>,
        #[graphql(desc = "Cursor of the first event of the next page: the page ends before it.")]
        before: Option<String>,
        #[graphql(desc = "Only events about the object with this id.")] entity_id: Option<ID>,
    ) -> Result<CountedConnection<AuditEvent>> {
        let access = ctx.access()?;
        let page = PageArgs::new(ctx.limits(), "auditEvents", first, after, last, before)?;
        let entity = entity_id
            .map(|id| AnyId::parse("entityId", &id).map(|id| id.uuid))
            .transpose()?;
        let events = service::list(access, entity, page).await?;
        prime_actors(ctx, &events).await?;
        Ok(events.into())
    }
}

/// Loads the actors of a whole page of events in one go, when the query asks for them.
async fn prime_actors(ctx: &Context<'_>, page: &Paged<AuditEvent>) -> Result<()> {
    let events = || page.items.iter().map(|(_, e)| e);
    let loaders = ctx.loaders()?;
    let access = ctx.access()?;
    if items_select(ctx, "actor") {
        let ids: Vec<Uuid> = events()
            .filter_map(|e| e.actor_user_id.map(|u| u.0))
            .collect();
        let users = crate::users::service::people(access, &ids).await?;
        loaders
            .users
            .feed_many(users.into_iter().map(|u| (u.id.0, u)))
            .await;
    }
    if items_select(ctx, "actorOrganisation") {
        let ids: Vec<Uuid> = events()
            .filter_map(|e| e.actor_org_id.map(|o| o.0))
            .collect();
        let orgs = crate::organisations::service::by_ids(access, &ids).await?;
        loaders
            .organisations
            .feed_many(orgs.into_iter().map(|o| (o.id.0, o)))
            .await;
    }
    Ok(())
}
