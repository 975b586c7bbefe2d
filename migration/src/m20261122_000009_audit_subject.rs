//! An audit event may concern a second organisation besides the one whose trail holds it: the
//! member of a panel membership, the organisation a panel challenged. Its trail shows the event
//! too.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum AuditEvents {
    Table,
    SubjectOrgId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AuditEvents::Table)
                    .add_column(uuid_null(AuditEvents::SubjectOrgId))
                    .to_owned(),
            )
            .await?;
        // Membership events named their member as the entity; it is now their subject.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE audit_events SET subject_org_id = entity_id WHERE entity_type = 'PANEL_MEMBERSHIP'",
            )
            .await?;
        manager
            .create_index(index(
                "audit_events_subject_idx",
                AuditEvents::Table,
                &[AuditEvents::SubjectOrgId],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("audit_events_subject_idx")
                    .table(AuditEvents::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AuditEvents::Table)
                    .drop_column(AuditEvents::SubjectOrgId)
                    .to_owned(),
            )
            .await
    }
}
