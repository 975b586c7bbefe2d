//! Which users have acted for which organisation: recorded at sign-in, so that an action can
//! name a person of the organisation as its owner.

use sea_orm_migration::{prelude::*, schema::*};

use crate::fk;
use crate::m20261122_000001_organisations::Organisations;
use crate::m20261122_000002_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum OrgUsers {
    Table,
    OrgId,
    UserId,
    FirstSeenAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OrgUsers::Table)
                    .col(uuid(OrgUsers::OrgId))
                    .col(uuid(OrgUsers::UserId))
                    .col(timestamp_with_time_zone(OrgUsers::FirstSeenAt))
                    .primary_key(Index::create().col(OrgUsers::OrgId).col(OrgUsers::UserId))
                    .foreign_key(&mut fk(
                        "org_users_org_fk",
                        OrgUsers::Table,
                        OrgUsers::OrgId,
                        Organisations::Table,
                        Organisations::Id,
                    ))
                    .foreign_key(&mut fk(
                        "org_users_user_fk",
                        OrgUsers::Table,
                        OrgUsers::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OrgUsers::Table).to_owned())
            .await
    }
}
