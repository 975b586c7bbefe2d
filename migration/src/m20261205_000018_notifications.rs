//! Notices in the service itself: what an organisation's people should know that nobody asked
//! for, such as a webhook endpoint the service disabled.
//!
//! A notice is for one person (`recipient_user_id`) or for everyone acting for the
//! organisation in a role (`recipient_role`, as `manager`): the service knows roles only from
//! tokens, so a notice to the managers reaches whoever reads it as a manager. Each person's
//! reading of it is a row of `notification_reads`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Notifications {
    Table,
    Id,
    OrgId,
    RecipientRole,
    RecipientUserId,
    Kind,
    Title,
    Body,
    SubjectId,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum NotificationReads {
    Table,
    NotificationId,
    UserId,
    OrgId,
    ReadAt,
}

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
}

/// Postgres only: row-level security. People read their organisation's notices and write
/// their own readings; the background work (the publisher's purpose) writes notices.
const POSTGRES: &str = r#"
ALTER TABLE notifications ENABLE ROW LEVEL SECURITY;
ALTER TABLE notifications FORCE ROW LEVEL SECURITY;
CREATE POLICY maintenance ON notifications TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY tenant_read ON notifications FOR SELECT
    USING (org_id = (SELECT hub_org())
           AND (recipient_user_id = (SELECT hub_user())
                OR (recipient_role IS NOT NULL AND (SELECT hub_is('role', recipient_role)))));
CREATE POLICY publisher ON notifications
    USING ((SELECT hub_is('purpose', 'publish')))
    WITH CHECK ((SELECT hub_is('purpose', 'publish')));

ALTER TABLE notification_reads ENABLE ROW LEVEL SECURITY;
ALTER TABLE notification_reads FORCE ROW LEVEL SECURITY;
CREATE POLICY maintenance ON notification_reads TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY own ON notification_reads
    USING (org_id = (SELECT hub_org()) AND user_id = (SELECT hub_user()))
    WITH CHECK (org_id = (SELECT hub_org()) AND user_id = (SELECT hub_user()));
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .col(
                        ColumnDef::new(Notifications::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Notifications::OrgId).uuid().not_null())
                    .col(ColumnDef::new(Notifications::RecipientRole).text().null())
                    .col(ColumnDef::new(Notifications::RecipientUserId).uuid().null())
                    .col(ColumnDef::new(Notifications::Kind).text().not_null())
                    .col(ColumnDef::new(Notifications::Title).text().not_null())
                    .col(ColumnDef::new(Notifications::Body).text().not_null())
                    .col(ColumnDef::new(Notifications::SubjectId).uuid().null())
                    .col(
                        ColumnDef::new(Notifications::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .check(Expr::cust(
                        "(recipient_role IS NULL) <> (recipient_user_id IS NULL)",
                    ))
                    .foreign_key(&mut fk(
                        "fk_notifications_org",
                        Notifications::Table,
                        Notifications::OrgId,
                        Organisations::Table,
                        Organisations::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_notifications_org_id",
                Notifications::Table,
                &[Notifications::OrgId, Notifications::Id],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NotificationReads::Table)
                    .col(
                        ColumnDef::new(NotificationReads::NotificationId)
                            .uuid()
                            .not_null(),
                    )
                    .col(ColumnDef::new(NotificationReads::UserId).uuid().not_null())
                    .col(ColumnDef::new(NotificationReads::OrgId).uuid().not_null())
                    .col(
                        ColumnDef::new(NotificationReads::ReadAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(NotificationReads::NotificationId)
                            .col(NotificationReads::UserId),
                    )
                    .foreign_key(
                        &mut fk(
                            "fk_notification_reads_notification",
                            NotificationReads::Table,
                            NotificationReads::NotificationId,
                            Notifications::Table,
                            Notifications::Id,
                        )
                        .on_delete(ForeignKeyAction::Cascade)
                        .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(POSTGRES).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(NotificationReads::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Notifications::Table).to_owned())
            .await?;
        Ok(())
    }
}
