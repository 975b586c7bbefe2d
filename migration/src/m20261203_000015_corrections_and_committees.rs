//! History that never changes its mind.
//!
//! Every history row already has the day it is effective and the moment it was recorded. An
//! entry dated before the latest one of its history is a correction: it keeps the reason it was
//! made (`correction_reason`, null for an entry made in order), so that it can be listed apart.
//!
//! `committees` are the meetings an organisation (or a panel) reports to: a meeting's date is
//! the natural "as at" and "as known at" of the report it received.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The histories an entry of which can be a correction.
const HISTORIES: [&str; 4] = [
    "action_status_changes",
    "due_date_changes",
    "progress_updates",
    "recommendation_status_changes",
];

#[derive(DeriveIden, Clone, Copy)]
enum Committees {
    Table,
    Id,
    OrgId,
    Name,
    MeetsOn,
    PaperUrl,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in HISTORIES {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(table))
                        .add_column(
                            ColumnDef::new(Alias::new("correction_reason"))
                                .text()
                                .null(),
                        )
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Committees::Table)
                    .col(
                        ColumnDef::new(Committees::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Committees::OrgId).uuid().not_null())
                    .col(ColumnDef::new(Committees::Name).text().not_null())
                    .col(ColumnDef::new(Committees::MeetsOn).date().not_null())
                    .col(ColumnDef::new(Committees::PaperUrl).text().null())
                    .col(ColumnDef::new(Committees::CreatedBy).uuid().null())
                    .col(
                        ColumnDef::new(Committees::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(&mut fk(
                        "fk_committees_org",
                        Committees::Table,
                        Committees::OrgId,
                        Organisations::Table,
                        Organisations::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_committees_org_meets",
                Committees::Table,
                &[Committees::OrgId, Committees::MeetsOn, Committees::Id],
            ))
            .await?;
        let db = manager.get_connection();
        if db.get_database_backend() == DbBackend::Postgres {
            // As the other tenant tables (see the row-level security migration): read with the
            // organisation's detail, written by the organisation itself.
            db.execute_unprepared(
                "ALTER TABLE committees ENABLE ROW LEVEL SECURITY; \
                 ALTER TABLE committees FORCE ROW LEVEL SECURITY; \
                 CREATE POLICY maintenance ON committees TO CURRENT_USER USING (true) WITH CHECK (true); \
                 CREATE POLICY tenant_read ON committees FOR SELECT \
                   USING (org_id = ANY ((SELECT hub_orgs('detail'))::uuid[])); \
                 CREATE POLICY tenant_insert ON committees FOR INSERT \
                   WITH CHECK (org_id = (SELECT hub_org())); \
                 CREATE POLICY tenant_update ON committees FOR UPDATE \
                   USING (org_id = (SELECT hub_org())) WITH CHECK (org_id = (SELECT hub_org())); \
                 CREATE POLICY tenant_delete ON committees FOR DELETE \
                   USING (org_id = (SELECT hub_org()));",
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Committees::Table).to_owned())
            .await?;
        for table in HISTORIES {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(table))
                        .drop_column(Alias::new("correction_reason"))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
