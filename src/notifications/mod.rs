//! Notices in the service: what people should know that they did not ask for, listed for a
//! front end's bell (`notifications`) and marked read by each person (`markNotificationsRead`).
//!
//! A notice is for one person or for everyone acting for the organisation in a role: the
//! service learns roles from tokens and keeps no list of an organisation's managers, so a
//! notice "to the managers" is read by whoever reads as a manager. The first notice is the
//! service's own: a webhook endpoint it disabled (`webhook.disabled`).

pub mod graphql;
pub mod service;

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::access::scope;
use crate::auth::Role;
use crate::entity::notification;
use crate::ids::{NotificationId, OrgId};

/// The kind of the notice that the service disabled a webhook endpoint (its subject).
pub const WEBHOOK_DISABLED: &str = "webhook.disabled";

/// One notice, as its reader sees it.
#[derive(Clone, Debug)]
pub struct Notification {
    pub id: NotificationId,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub subject_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// A notice to write.
pub struct Notice<'a> {
    /// What it is about, as a dotted name (`webhook.disabled`).
    pub kind: &'a str,
    pub title: String,
    pub body: String,
    /// The row it concerns, if any.
    pub subject_id: Option<Uuid>,
}

/// Writes `notice` for everyone acting for `org` as `role`, in `txn` (the caller's, so that
/// it stands or falls with the change it reports).
pub async fn notify_role(
    txn: &impl ConnectionTrait,
    org: OrgId,
    role: Role,
    notice: Notice<'_>,
) -> Result<NotificationId, sea_orm::DbErr> {
    let id = NotificationId::new();
    scope::insert_owned::<notification::Entity, _>(
        org,
        notification::ActiveModel {
            id: Set(id.0),
            recipient_role: Set(Some(role.claim().to_owned())),
            recipient_user_id: Set(None),
            kind: Set(notice.kind.to_owned()),
            title: Set(notice.title),
            body: Set(notice.body),
            subject_id: Set(notice.subject_id),
            created_at: Set(Utc::now()),
            ..Default::default()
        },
    )
    .exec_without_returning(txn)
    .await?;
    Ok(id)
}
