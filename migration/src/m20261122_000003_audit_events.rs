//! The append-only audit trail: one row per change, written in the change's own transaction.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_organisations::Organisations;
use crate::m20261122_000002_users::Users;
use crate::one_of;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum AuditEvents {
    Table,
    Id,
    OrgId,
    ActorUserId,
    ActorOrgId,
    ActorRole,
    EntityType,
    EntityId,
    Operation,
    Before,
    After,
    RequestId,
    OccurredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(pk_uuid(AuditEvents::Id))
                    // The organisation whose trail this event belongs to.
                    .col(uuid(AuditEvents::OrgId))
                    // Null when the change came from the command line (set-up, demo data).
                    .col(uuid_null(AuditEvents::ActorUserId))
                    .col(uuid_null(AuditEvents::ActorOrgId))
                    .col(string_len_null(AuditEvents::ActorRole, 32).check(one_of(
                        "audit_events_actor_role_check",
                        AuditEvents::ActorRole,
                        &["viewer", "contributor", "manager", "platform_admin"],
                    )))
                    .col(string_len(AuditEvents::EntityType, 64))
                    .col(uuid(AuditEvents::EntityId))
                    .col(string_len(AuditEvents::Operation, 64))
                    .col(json_binary_null(AuditEvents::Before))
                    .col(json_binary_null(AuditEvents::After))
                    .col(string_len_null(AuditEvents::RequestId, 64))
                    .col(timestamp_with_time_zone(AuditEvents::OccurredAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("audit_events_org_fk")
                            .from(AuditEvents::Table, AuditEvents::OrgId)
                            .to(Organisations::Table, Organisations::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("audit_events_actor_user_fk")
                            .from(AuditEvents::Table, AuditEvents::ActorUserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // A trail is read newest first, per organisation; ids are time-ordered (UUIDv7).
        manager
            .create_index(
                Index::create()
                    .name("audit_events_org_id_idx")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::OrgId)
                    .col(AuditEvents::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("audit_events_entity_idx")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::EntityId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditEvents::Table).to_owned())
            .await
    }
}
