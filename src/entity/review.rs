//! `reviews`: a review an organisation went through.

use crate::codes::{ReviewKind, ReviewStatus};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reviews")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub kind: ReviewKind,
    pub title: String,
    pub reviewer: Option<String>,
    pub reviewer_org_id: Option<Uuid>,
    pub commissioned_on: Option<Date>,
    pub reported_on: Option<Date>,
    pub status: ReviewStatus,
    pub summary: Option<String>,
    pub source_url: Option<String>,
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
