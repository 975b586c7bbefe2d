//! Changes out.
//!
//! `outbox_events` holds, for every change, the event to publish, written in the change's own
//! transaction beside its audit event: nothing rolled back is ever published, and nothing
//! committed is lost when an instance dies before publishing. On Postgres each row also keeps
//! the id of the transaction that wrote it (`tx_id`): a reader takes only rows of transactions
//! older than every transaction still running, so a row committed late, with a lower sequence
//! number, is never skipped. A statement-level trigger wakes listening instances with
//! `NOTIFY`; the outbox, not the notification, is what they read.
//!
//! `webhook_endpoints` are an organisation's registered receivers, `webhook_deliveries` one
//! event's delivery to one endpoint (the same event id across its attempts), and
//! `webhook_attempts` each try. `outbox_cursors` keeps how far the webhook dispatcher has read.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::{fk, index, one_of};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum OutboxEvents {
    Table,
    Seq,
    Id,
    OrgId,
    SubjectOrgId,
    EventType,
    EntityType,
    EntityId,
    Payload,
    ActorUserId,
    ActorOrgId,
    OccurredAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum WebhookEndpoints {
    Table,
    Id,
    OrgId,
    Url,
    Description,
    EventTypes,
    Secret,
    PreviousSecret,
    PreviousSecretUntil,
    Enabled,
    DisabledReason,
    DisabledAt,
    FailingSince,
    Version,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum WebhookDeliveries {
    Table,
    Id,
    OrgId,
    EndpointId,
    EventId,
    EventSeq,
    EventType,
    Payload,
    OccurredAt,
    Status,
    Attempts,
    NextAttemptAt,
    ClaimedUntil,
    LastAttemptAt,
    ResponseCode,
    DurationMs,
    LastError,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum WebhookAttempts {
    Table,
    Id,
    OrgId,
    DeliveryId,
    Attempt,
    AttemptedAt,
    Outcome,
    ResponseCode,
    DurationMs,
    Error,
}

#[derive(DeriveIden, Clone, Copy)]
enum OutboxCursors {
    Table,
    Name,
    TxId,
    Seq,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
}

const DELIVERY_STATUSES: &[&str] = &["PENDING", "DELIVERED", "FAILED"];
const ATTEMPT_OUTCOMES: &[&str] = &["DELIVERED", "FAILED", "GONE", "REFUSED"];

/// Postgres only: the transaction id column, the wake-up trigger, and row-level security.
const POSTGRES: &str = r#"
ALTER TABLE outbox_events ADD COLUMN tx_id xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX idx_outbox_events_tx ON outbox_events (tx_id, seq);
CREATE OR REPLACE FUNCTION hub_outbox_wake() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('hub_outbox', current_schema());
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_events_wake AFTER INSERT ON outbox_events
    FOR EACH STATEMENT EXECUTE FUNCTION hub_outbox_wake();

ALTER TABLE outbox_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE outbox_events FORCE ROW LEVEL SECURITY;
CREATE POLICY maintenance ON outbox_events TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY tenant_insert ON outbox_events FOR INSERT
    WITH CHECK (actor_org_id = (SELECT hub_org()));
CREATE POLICY publisher ON outbox_events FOR SELECT
    USING ((SELECT hub_is('purpose', 'publish')));

ALTER TABLE webhook_endpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_endpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY maintenance ON webhook_endpoints TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY tenant_manager ON webhook_endpoints
    USING ((SELECT hub_is('role', 'manager')) AND org_id = (SELECT hub_org()))
    WITH CHECK ((SELECT hub_is('role', 'manager')) AND org_id = (SELECT hub_org()));
CREATE POLICY publisher ON webhook_endpoints
    USING ((SELECT hub_is('purpose', 'publish')))
    WITH CHECK ((SELECT hub_is('purpose', 'publish')));

ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY maintenance ON webhook_deliveries TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY tenant_manager ON webhook_deliveries
    USING ((SELECT hub_is('role', 'manager')) AND org_id = (SELECT hub_org()))
    WITH CHECK ((SELECT hub_is('role', 'manager')) AND org_id = (SELECT hub_org()));
CREATE POLICY publisher ON webhook_deliveries
    USING ((SELECT hub_is('purpose', 'publish')))
    WITH CHECK ((SELECT hub_is('purpose', 'publish')));

ALTER TABLE webhook_attempts ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_attempts FORCE ROW LEVEL SECURITY;
CREATE POLICY maintenance ON webhook_attempts TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY tenant_manager ON webhook_attempts FOR SELECT
    USING ((SELECT hub_is('role', 'manager')) AND org_id = (SELECT hub_org()));
CREATE POLICY publisher ON webhook_attempts
    USING ((SELECT hub_is('purpose', 'publish')))
    WITH CHECK ((SELECT hub_is('purpose', 'publish')));

ALTER TABLE outbox_cursors ENABLE ROW LEVEL SECURITY;
ALTER TABLE outbox_cursors FORCE ROW LEVEL SECURITY;
CREATE POLICY maintenance ON outbox_cursors TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY publisher ON outbox_cursors
    USING ((SELECT hub_is('purpose', 'publish')))
    WITH CHECK ((SELECT hub_is('purpose', 'publish')));
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OutboxEvents::Table)
                    .col(
                        ColumnDef::new(OutboxEvents::Seq)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(OutboxEvents::Id)
                            .uuid()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(OutboxEvents::OrgId).uuid().not_null())
                    .col(ColumnDef::new(OutboxEvents::SubjectOrgId).uuid().null())
                    .col(ColumnDef::new(OutboxEvents::EventType).text().not_null())
                    .col(ColumnDef::new(OutboxEvents::EntityType).text().not_null())
                    .col(ColumnDef::new(OutboxEvents::EntityId).uuid().not_null())
                    .col(
                        ColumnDef::new(OutboxEvents::Payload)
                            .json_binary()
                            .not_null(),
                    )
                    .col(ColumnDef::new(OutboxEvents::ActorUserId).uuid().null())
                    .col(ColumnDef::new(OutboxEvents::ActorOrgId).uuid().null())
                    .col(
                        ColumnDef::new(OutboxEvents::OccurredAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookEndpoints::Table)
                    .col(
                        ColumnDef::new(WebhookEndpoints::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(WebhookEndpoints::OrgId).uuid().not_null())
                    .col(ColumnDef::new(WebhookEndpoints::Url).text().not_null())
                    .col(
                        ColumnDef::new(WebhookEndpoints::Description)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WebhookEndpoints::EventTypes)
                            .json_binary()
                            .not_null(),
                    )
                    .col(ColumnDef::new(WebhookEndpoints::Secret).text().not_null())
                    .col(
                        ColumnDef::new(WebhookEndpoints::PreviousSecret)
                            .text()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(WebhookEndpoints::PreviousSecretUntil)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(WebhookEndpoints::Enabled)
                            .boolean()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WebhookEndpoints::DisabledReason)
                            .text()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(WebhookEndpoints::DisabledAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(WebhookEndpoints::FailingSince)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(WebhookEndpoints::Version)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(WebhookEndpoints::CreatedBy).uuid().null())
                    .col(
                        ColumnDef::new(WebhookEndpoints::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WebhookEndpoints::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(&mut fk(
                        "fk_webhook_endpoints_org",
                        WebhookEndpoints::Table,
                        WebhookEndpoints::OrgId,
                        Organisations::Table,
                        Organisations::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_webhook_endpoints_org",
                WebhookEndpoints::Table,
                &[WebhookEndpoints::OrgId, WebhookEndpoints::Id],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(
                        ColumnDef::new(WebhookDeliveries::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(WebhookDeliveries::OrgId).uuid().not_null())
                    .col(
                        ColumnDef::new(WebhookDeliveries::EndpointId)
                            .uuid()
                            .not_null(),
                    )
                    .col(ColumnDef::new(WebhookDeliveries::EventId).uuid().not_null())
                    .col(
                        ColumnDef::new(WebhookDeliveries::EventSeq)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WebhookDeliveries::EventType)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WebhookDeliveries::Payload)
                            .json_binary()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WebhookDeliveries::OccurredAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WebhookDeliveries::Status)
                            .text()
                            .not_null()
                            .check(one_of(
                                "ck_webhook_deliveries_status",
                                WebhookDeliveries::Status,
                                DELIVERY_STATUSES,
                            )),
                    )
                    .col(
                        ColumnDef::new(WebhookDeliveries::Attempts)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WebhookDeliveries::NextAttemptAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(WebhookDeliveries::ClaimedUntil)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(WebhookDeliveries::LastAttemptAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(WebhookDeliveries::ResponseCode)
                            .integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(WebhookDeliveries::DurationMs)
                            .integer()
                            .null(),
                    )
                    .col(ColumnDef::new(WebhookDeliveries::LastError).text().null())
                    .col(
                        ColumnDef::new(WebhookDeliveries::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_webhook_deliveries_event")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::EndpointId)
                    .col(WebhookDeliveries::EventId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_webhook_deliveries_org",
                WebhookDeliveries::Table,
                &[WebhookDeliveries::OrgId, WebhookDeliveries::Id],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_webhook_deliveries_due",
                WebhookDeliveries::Table,
                &[WebhookDeliveries::Status, WebhookDeliveries::NextAttemptAt],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookAttempts::Table)
                    .col(
                        ColumnDef::new(WebhookAttempts::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(WebhookAttempts::OrgId).uuid().not_null())
                    .col(
                        ColumnDef::new(WebhookAttempts::DeliveryId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WebhookAttempts::Attempt)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WebhookAttempts::AttemptedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WebhookAttempts::Outcome)
                            .text()
                            .not_null()
                            .check(one_of(
                                "ck_webhook_attempts_outcome",
                                WebhookAttempts::Outcome,
                                ATTEMPT_OUTCOMES,
                            )),
                    )
                    .col(
                        ColumnDef::new(WebhookAttempts::ResponseCode)
                            .integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(WebhookAttempts::DurationMs)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(WebhookAttempts::Error).text().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_webhook_attempts_delivery",
                WebhookAttempts::Table,
                &[WebhookAttempts::DeliveryId, WebhookAttempts::Attempt],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OutboxCursors::Table)
                    .col(
                        ColumnDef::new(OutboxCursors::Name)
                            .text()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(OutboxCursors::TxId).big_integer().not_null())
                    .col(ColumnDef::new(OutboxCursors::Seq).big_integer().not_null())
                    .col(
                        ColumnDef::new(OutboxCursors::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        // The webhook dispatcher starts at the beginning of the outbox, so that no event
        // committed before it first runs is passed over.
        db.execute_unprepared(
            "INSERT INTO outbox_cursors (name, tx_id, seq, updated_at) \
             VALUES ('webhooks', 0, 0, CURRENT_TIMESTAMP)",
        )
        .await?;
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(POSTGRES).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "outbox_cursors",
            "webhook_attempts",
            "webhook_deliveries",
            "webhook_endpoints",
            "outbox_events",
        ] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        let db = manager.get_connection();
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("DROP FUNCTION IF EXISTS hub_outbox_wake()")
                .await?;
        }
        Ok(())
    }
}
