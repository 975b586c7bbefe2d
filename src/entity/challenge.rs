//! `challenges`: a panel's challenge session on a submitted assessment.

use crate::codes::Tier;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "challenges")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub panel_id: Uuid,
    pub org_id: Uuid,
    pub assessment_id: Uuid,
    pub held_on: Date,
    pub tier: Tier,
    pub attendees: Option<String>,
    pub completed: bool,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
