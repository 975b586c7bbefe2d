//! `action_status_changes`: the history of an action's status.

use crate::codes::ActionStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "action_status_changes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub action_id: Uuid,
    pub status: ActionStatus,
    pub effective_on: Date,
    pub progress_update_id: Option<Uuid>,
    pub changed_by: Option<Uuid>,
    pub changed_at: DateTimeUtc,
    /// Why an entry dated before the latest of its history was made; none for one in order.
    pub correction_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
