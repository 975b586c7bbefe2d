//! Spreadsheets in.
//!
//! `imports` records every import an organisation ran, dry or real: who, when, the file (name,
//! size, SHA-256), what it found and did. A real import's `state` remembers, for each action it
//! wrote or matched, a fingerprint of what the service then held, so that the next import of the
//! same plan can tell an action changed in the service since (a conflict, never overwritten)
//! from one the file changes.
//!
//! `audit_events.import_id` names the import that wrote an event.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::{fk, index, one_of};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Imports {
    Table,
    Id,
    OrgId,
    Kind,
    TargetId,
    FileName,
    SizeBytes,
    Sha256,
    DryRun,
    Outcome,
    RowsRead,
    Created,
    Updated,
    Unchanged,
    Conflicts,
    Errors,
    Warnings,
    State,
    ImportedBy,
    ImportedAt,
}

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    ImportId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Imports::Table)
                    .col(ColumnDef::new(Imports::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Imports::OrgId).uuid().not_null())
                    .col(
                        ColumnDef::new(Imports::Kind)
                            .text()
                            .not_null()
                            .check(one_of(
                                "ck_imports_kind",
                                Imports::Kind,
                                &["ACTION_PLAN", "ASSESSMENT"],
                            )),
                    )
                    .col(ColumnDef::new(Imports::TargetId).uuid().null())
                    .col(ColumnDef::new(Imports::FileName).text().not_null())
                    .col(ColumnDef::new(Imports::SizeBytes).big_integer().not_null())
                    .col(ColumnDef::new(Imports::Sha256).text().not_null())
                    .col(ColumnDef::new(Imports::DryRun).boolean().not_null())
                    .col(
                        ColumnDef::new(Imports::Outcome)
                            .text()
                            .not_null()
                            .check(one_of(
                                "ck_imports_outcome",
                                Imports::Outcome,
                                &["CHECKED", "IMPORTED", "REFUSED"],
                            )),
                    )
                    .col(ColumnDef::new(Imports::RowsRead).integer().not_null())
                    .col(ColumnDef::new(Imports::Created).integer().not_null())
                    .col(ColumnDef::new(Imports::Updated).integer().not_null())
                    .col(ColumnDef::new(Imports::Unchanged).integer().not_null())
                    .col(ColumnDef::new(Imports::Conflicts).integer().not_null())
                    .col(ColumnDef::new(Imports::Errors).integer().not_null())
                    .col(ColumnDef::new(Imports::Warnings).integer().not_null())
                    .col(ColumnDef::new(Imports::State).json_binary().null())
                    .col(ColumnDef::new(Imports::ImportedBy).uuid().null())
                    .col(
                        ColumnDef::new(Imports::ImportedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(&mut fk(
                        "fk_imports_org",
                        Imports::Table,
                        Imports::OrgId,
                        Organisations::Table,
                        Organisations::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_imports_org_id",
                Imports::Table,
                &[Imports::OrgId, Imports::Id],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_imports_target",
                Imports::Table,
                &[Imports::OrgId, Imports::TargetId, Imports::Id],
            ))
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AuditEvents::Table)
                    .add_column(ColumnDef::new(AuditEvents::ImportId).uuid().null())
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        if db.get_database_backend() == DbBackend::Postgres {
            // An organisation's own imports, read and written by itself alone (no panel or
            // partner reads another's onboarding).
            db.execute_unprepared(
                "ALTER TABLE imports ENABLE ROW LEVEL SECURITY; \
                 ALTER TABLE imports FORCE ROW LEVEL SECURITY; \
                 CREATE POLICY maintenance ON imports TO CURRENT_USER USING (true) WITH CHECK (true); \
                 CREATE POLICY tenant_read ON imports FOR SELECT \
                   USING (org_id = (SELECT hub_org())); \
                 CREATE POLICY tenant_insert ON imports FOR INSERT \
                   WITH CHECK (org_id = (SELECT hub_org()));",
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AuditEvents::Table)
                    .drop_column(AuditEvents::ImportId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Imports::Table).to_owned())
            .await?;
        Ok(())
    }
}
