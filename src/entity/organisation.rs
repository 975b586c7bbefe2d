//! `organisations`: every tenant, whatever its kind.

use sea_orm::entity::prelude::*;

use crate::codes::OrgKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organisations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub slug: String,
    pub name: String,
    pub kind: OrgKind,
    pub region: Option<String>,
    /// Whether the organisation operates the platform: only its tokens may be `platform_admin`.
    pub operator: bool,
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
