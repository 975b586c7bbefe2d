//! Organisations, the panels they belong to, and what each chooses to share.

use sea_orm_migration::{prelude::*, schema::*};

use crate::one_of;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum Organisations {
    Table,
    Id,
    Slug,
    Name,
    Kind,
    Region,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum PanelMemberships {
    Table,
    PanelId,
    MemberId,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum SharingSettings {
    Table,
    OrgId,
    PanelDetail,
    Partners,
    Version,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Organisations::Table)
                    .col(pk_uuid(Organisations::Id))
                    .col(string_len_uniq(Organisations::Slug, 63))
                    .col(string_len(Organisations::Name, 200))
                    .col(string_len(Organisations::Kind, 32).check(one_of(
                        "organisations_kind_check",
                        Organisations::Kind,
                        &[
                            "COUNCIL",
                            "FIRE_AND_RESCUE_SERVICE",
                            "REGIONAL_PANEL",
                            "PARTNER_BODY",
                        ],
                    )))
                    .col(string_len_null(Organisations::Region, 100))
                    .col(integer(Organisations::Version).default(1))
                    .col(timestamp_with_time_zone(Organisations::CreatedAt))
                    .col(timestamp_with_time_zone(Organisations::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("organisations_kind_name_idx")
                    .table(Organisations::Table)
                    .col(Organisations::Kind)
                    .col(Organisations::Name)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PanelMemberships::Table)
                    .col(uuid(PanelMemberships::PanelId))
                    .col(uuid(PanelMemberships::MemberId))
                    .col(timestamp_with_time_zone(PanelMemberships::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(PanelMemberships::PanelId)
                            .col(PanelMemberships::MemberId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("panel_memberships_panel_fk")
                            .from(PanelMemberships::Table, PanelMemberships::PanelId)
                            .to(Organisations::Table, Organisations::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("panel_memberships_member_fk")
                            .from(PanelMemberships::Table, PanelMemberships::MemberId)
                            .to(Organisations::Table, Organisations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // "Which panels is this organisation in?" is asked on every request a member makes.
        manager
            .create_index(
                Index::create()
                    .name("panel_memberships_member_idx")
                    .table(PanelMemberships::Table)
                    .col(PanelMemberships::MemberId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SharingSettings::Table)
                    .col(pk_uuid(SharingSettings::OrgId))
                    .col(boolean(SharingSettings::PanelDetail).default(false))
                    .col(
                        string_len(SharingSettings::Partners, 16)
                            .default("NONE")
                            .check(one_of(
                                "sharing_settings_partners_check",
                                SharingSettings::Partners,
                                &["NONE", "AGGREGATE", "NAMED"],
                            )),
                    )
                    .col(integer(SharingSettings::Version).default(1))
                    .col(timestamp_with_time_zone(SharingSettings::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("sharing_settings_org_fk")
                            .from(SharingSettings::Table, SharingSettings::OrgId)
                            .to(Organisations::Table, Organisations::Id),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SharingSettings::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(PanelMemberships::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Organisations::Table).to_owned())
            .await
    }
}
