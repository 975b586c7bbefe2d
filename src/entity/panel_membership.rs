//! `panel_memberships`: which organisations sit in which regional panel.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "panel_memberships")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub panel_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub member_id: Uuid,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::organisation::Entity",
        from = "Column::MemberId",
        to = "super::organisation::Column::Id"
    )]
    Member,
    #[sea_orm(
        belongs_to = "super::organisation::Entity",
        from = "Column::PanelId",
        to = "super::organisation::Column::Id"
    )]
    Panel,
    #[sea_orm(
        belongs_to = "super::sharing_settings::Entity",
        from = "Column::MemberId",
        to = "super::sharing_settings::Column::OrgId"
    )]
    MemberSharing,
}

impl ActiveModelBehavior for ActiveModel {}
