//! `actions`: an action that answers a recommendation, or stands on its own.

use crate::codes::ActionStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "actions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub review_id: Option<Uuid>,
    pub recommendation_id: Option<Uuid>,
    pub title: String,
    pub detail: Option<String>,
    pub owner: String,
    pub owner_user_id: Option<Uuid>,
    pub opened_on: Date,
    pub original_due_on: Date,
    pub due_on: Date,
    pub status: ActionStatus,
    pub completed_on: Option<Date>,
    pub percent_complete: Option<i32>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl crate::concurrency::Versioned for Entity {
    fn version_column() -> Column {
        Column::Version
    }

    fn updated_at_column() -> Column {
        Column::UpdatedAt
    }
}
