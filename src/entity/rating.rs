//! `ratings`: an assessment's rating of one standard.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ratings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub assessment_id: Uuid,
    pub standard_id: Uuid,
    pub level_id: Option<Uuid>,
    pub position_statement: Option<String>,
    pub version: i32,
    pub updated_by: Option<Uuid>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::standard::Entity",
        from = "Column::StandardId",
        to = "super::standard::Column::Id"
    )]
    Standard,
}

impl Related<super::standard::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Standard.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
