//! `recommendations`: a finding that asks for change.

use crate::codes::{RecommendationKind, RecommendationStatus};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "recommendations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub review_id: Uuid,
    pub position: i32,
    pub reference: String,
    pub kind: RecommendationKind,
    pub text: String,
    pub status: RecommendationStatus,
    pub target_date: Option<Date>,
    pub discharged_on: Option<Date>,
    pub discharged_by: Option<Uuid>,
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
