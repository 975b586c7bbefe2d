//! `progress_updates`: a progress update on an action (append-only).

use crate::codes::ActionStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "progress_updates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub action_id: Uuid,
    pub as_at: Date,
    pub narrative: String,
    pub new_status: Option<ActionStatus>,
    pub percent_complete: Option<i32>,
    pub author_id: Option<Uuid>,
    pub recorded_at: DateTimeUtc,
    /// Why an entry dated before the latest of its history was made; none for one in order.
    pub correction_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
