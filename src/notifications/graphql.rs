//! The API of notices: `notifications` and `markNotificationsRead`, for every role.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};

use super::{Notification, service};
use crate::graphql::ContextExt;
use crate::ids::NotificationId;
use crate::pagination::{CountedConnection, PageArgs, connection_complexity};

/// A notice for the caller, or for everyone acting for its organisation in its role.
#[Object(name = "Notification")]
impl Notification {
    /// Opaque id.
    pub async fn id(&self) -> ID {
        ID(self.id.to_string())
    }

    /// What it is about, as a dotted name: `webhook.disabled`.
    async fn kind(&self) -> &str {
        &self.kind
    }

    /// One line to show.
    async fn title(&self) -> &str {
        &self.title
    }

    /// What happened and what to do.
    async fn body(&self) -> &str {
        &self.body
    }

    /// The id of what it concerns, if anything: for `webhook.disabled` the endpoint, for
    /// `reminder.due` the reminder (the `id` of its webhook event).
    async fn subject_id(&self) -> Option<ID> {
        let kind = match self.kind.as_str() {
            super::WEBHOOK_DISABLED => crate::ids::IdKind::WebhookEndpoint,
            crate::codes::REMINDER_DUE => crate::ids::IdKind::Reminder,
            _ => return None,
        };
        self.subject_id
            .map(|id| ID(crate::ids::AnyId::encode(kind, id)))
    }

    /// When it was written.
    async fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    /// When the caller marked it read; null while unread.
    async fn read_at(&self) -> Option<DateTime<Utc>> {
        self.read_at
    }
}

/// The caller's notices.
#[derive(Default)]
pub struct NotificationQuery;

#[Object]
impl NotificationQuery {
    /// The caller's notices, newest first: its own and its role's in its organisation.
    #[graphql(complexity = "connection_complexity(first, last, child_complexity)")]
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size: 1 to 100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last notice of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size when paging backwards.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the first notice of the next page.")] before: Option<String>,
        #[graphql(desc = "Only those the caller has not marked read.", default = false)]
        unread_only: bool,
    ) -> Result<CountedConnection<Notification>> {
        let page = PageArgs::new(ctx.limits(), "notifications", first, after, last, before)?;
        Ok(service::list(ctx.access()?, unread_only, page)
            .await?
            .into())
    }
}

/// Marking notices read.
#[derive(Default)]
pub struct NotificationMutation;

#[Object]
impl NotificationMutation {
    /// Marks the caller's notices read: those named (at most 100), or all when `ids` is left
    /// out. Answers how many were newly marked. A notice that is not the caller's is
    /// `NOT_FOUND`, and then none is marked.
    async fn mark_notifications_read(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The notices; all of the caller's when left out.")] ids: Option<Vec<ID>>,
    ) -> Result<i32> {
        let ids = ids
            .map(|ids| {
                ids.iter()
                    .map(|id| NotificationId::parse("ids", id))
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?;
        let marked = service::mark_read(ctx.access()?, ids).await?;
        Ok(i32::try_from(marked).unwrap_or(i32::MAX))
    }
}
