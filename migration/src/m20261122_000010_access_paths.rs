//! An index for how actions are read most: an organisation's (or a panel's members') actions
//! counted by RAG today, and their overdue ones by delivery date. Organisation first, then
//! the columns today's RAG is computed from, so that those reads never touch the table.

use sea_orm_migration::prelude::*;

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Actions {
    Table,
    OrgId,
    Status,
    DueOn,
    OpenedOn,
}

const NAME: &str = "actions_org_standing_idx";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index(
                NAME,
                Actions::Table,
                &[
                    Actions::OrgId,
                    Actions::Status,
                    Actions::DueOn,
                    Actions::OpenedOn,
                ],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(NAME).table(Actions::Table).to_owned())
            .await
    }
}
