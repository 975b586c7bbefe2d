//! `recommendation_status_changes`: the history of a recommendation's status.

use crate::codes::RecommendationStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "recommendation_status_changes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub recommendation_id: Uuid,
    pub status: RecommendationStatus,
    pub effective_on: Date,
    pub changed_by: Option<Uuid>,
    pub changed_at: DateTimeUtc,
    /// Why an entry dated before the latest of its history was made; none for one in order.
    pub correction_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
