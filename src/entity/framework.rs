//! `frameworks`: a versioned standards library.

use crate::codes::FrameworkStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "frameworks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub owner_org_id: Option<Uuid>,
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub version: i32,
    pub status: FrameworkStatus,
    pub predecessor_id: Option<Uuid>,
    pub revision: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub published_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl crate::concurrency::Versioned for Entity {
    /// A framework's own `version` numbers its editions; rows change under `revision`.
    fn version_column() -> Column {
        Column::Revision
    }

    fn updated_at_column() -> Column {
        Column::UpdatedAt
    }
}
