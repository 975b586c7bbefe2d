//! `moderations`: a panel's moderated level for one standard of an assessment.

use crate::codes::Outcome;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "moderations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub panel_id: Uuid,
    pub org_id: Uuid,
    pub assessment_id: Uuid,
    pub challenge_id: Uuid,
    pub standard_id: Uuid,
    pub level_id: Uuid,
    pub outcome: Outcome,
    pub comment: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
