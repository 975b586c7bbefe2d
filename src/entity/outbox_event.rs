//! `outbox_events`: every change's event to publish, written in the change's transaction.
//!
//! On Postgres the table also has `tx_id` (the writing transaction's id, set by its default),
//! which only the publisher's reads use; the entity leaves it out so that inserts take it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox_events")]
pub struct Model {
    /// Order of writing (within a transaction, and between transactions on SQLite).
    #[sea_orm(primary_key)]
    pub seq: i64,
    /// The event's id: a subscription message's `eventId`, a webhook's `webhook-id`.
    pub id: Uuid,
    pub org_id: Uuid,
    pub subject_org_id: Option<Uuid>,
    /// `entity.operation`, such as `action.updated`.
    pub event_type: String,
    pub entity_type: String,
    pub entity_id: Uuid,
    /// The ids the event concerns and the names of the fields that changed: never content.
    #[sea_orm(column_type = "JsonBinary")]
    pub payload: Json,
    pub actor_user_id: Option<Uuid>,
    pub actor_org_id: Option<Uuid>,
    pub occurred_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
