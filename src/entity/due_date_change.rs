//! `due_date_changes`: the history of an action's delivery date.

use sea_orm::entity::prelude::*;

// Deserialize: an action plan's statement reads each action's changes as one JSON array of
// these rows (`progress::plan`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "due_date_changes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub action_id: Uuid,
    pub previous_due_on: Date,
    pub new_due_on: Date,
    pub reason: String,
    pub effective_on: Date,
    pub changed_by: Option<Uuid>,
    pub changed_at: DateTimeUtc,
    /// Why an entry dated before the latest of its history was made; none for one in order.
    pub correction_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
