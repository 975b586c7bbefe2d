//! `sharing_settings`: what an organisation lets its panels and partner bodies read.

use sea_orm::entity::prelude::*;

use crate::codes::PartnerSharing;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sharing_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub org_id: Uuid,
    pub panel_detail: bool,
    pub partners: PartnerSharing,
    pub version: i32,
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
