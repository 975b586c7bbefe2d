//! Reminders: who is told of due and overdue actions, how often, and what they were told.
//!
//! - `org_users.role`: the role a person last acted for the organisation in, as their token
//!   said, so that the managers' weekly digest knows who the managers are.
//! - `reminder_settings`: an organisation's rules (off until a manager turns them on).
//! - `reminder_preferences`: a person's own choice (on or off, daily or weekly).
//! - `reminder_digests`: one message per person, organisation and day, with what it says (as
//!   it stood that day) and where its mail stands.
//! - `reminders_told`: each thing a person was told, once: what makes a second run of the same
//!   day send nothing new, and a run after downtime tell only what is due now.
//! - `reminder_runs`: which organisations a day's run has done.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::{fk, index, one_of};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum OrgUsers {
    Table,
    Role,
}

#[derive(DeriveIden, Clone, Copy)]
enum ReminderSettings {
    Table,
    OrgId,
    Enabled,
    LeadTimes,
    StaleAfterDays,
    QuietDays,
    WeeklyDay,
    PanelDigest,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ReminderPreferences {
    Table,
    OrgId,
    UserId,
    Enabled,
    Frequency,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ReminderDigests {
    Table,
    Id,
    OrgId,
    UserId,
    Day,
    Content,
    Email,
    Status,
    Attempts,
    NextAttemptAt,
    HeldUntil,
    LastError,
    SentAt,
    UnsubscribeToken,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum RemindersTold {
    Table,
    UserId,
    OrgId,
    ActionId,
    Reason,
    Occasion,
    DigestId,
}

#[derive(DeriveIden, Clone, Copy)]
enum ReminderRuns {
    Table,
    OrgId,
    Day,
    Weekly,
    Digests,
    RanAt,
}

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
}

/// Postgres only: row-level security. An organisation's people read its settings and its
/// managers change them; each person reads and changes their own preferences. Everything
/// else is the background work's (`hub.purpose = remind`): the daily run, the mail, and
/// unsubscribing by a link's token, which no caller's settings could reach.
const POSTGRES: &str = r#"
ALTER TABLE reminder_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE reminder_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY maintenance ON reminder_settings TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY tenant_read ON reminder_settings FOR SELECT USING (org_id = (SELECT hub_org()));
CREATE POLICY tenant_manager ON reminder_settings
    USING ((SELECT hub_is('role', 'manager')) AND org_id = (SELECT hub_org()))
    WITH CHECK ((SELECT hub_is('role', 'manager')) AND org_id = (SELECT hub_org()));
CREATE POLICY remind ON reminder_settings
    USING ((SELECT hub_is('purpose', 'remind'))) WITH CHECK ((SELECT hub_is('purpose', 'remind')));

ALTER TABLE reminder_preferences ENABLE ROW LEVEL SECURITY;
ALTER TABLE reminder_preferences FORCE ROW LEVEL SECURITY;
CREATE POLICY maintenance ON reminder_preferences TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY own ON reminder_preferences
    USING (org_id = (SELECT hub_org()) AND user_id = (SELECT hub_user()))
    WITH CHECK (org_id = (SELECT hub_org()) AND user_id = (SELECT hub_user()));
CREATE POLICY remind ON reminder_preferences
    USING ((SELECT hub_is('purpose', 'remind'))) WITH CHECK ((SELECT hub_is('purpose', 'remind')));

ALTER TABLE reminder_digests ENABLE ROW LEVEL SECURITY;
ALTER TABLE reminder_digests FORCE ROW LEVEL SECURITY;
CREATE POLICY maintenance ON reminder_digests TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY remind ON reminder_digests
    USING ((SELECT hub_is('purpose', 'remind'))) WITH CHECK ((SELECT hub_is('purpose', 'remind')));

ALTER TABLE reminders_told ENABLE ROW LEVEL SECURITY;
ALTER TABLE reminders_told FORCE ROW LEVEL SECURITY;
CREATE POLICY maintenance ON reminders_told TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY remind ON reminders_told
    USING ((SELECT hub_is('purpose', 'remind'))) WITH CHECK ((SELECT hub_is('purpose', 'remind')));

ALTER TABLE reminder_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE reminder_runs FORCE ROW LEVEL SECURITY;
CREATE POLICY maintenance ON reminder_runs TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY remind ON reminder_runs
    USING ((SELECT hub_is('purpose', 'remind'))) WITH CHECK ((SELECT hub_is('purpose', 'remind')));

CREATE POLICY tenant_update ON org_users FOR UPDATE
    USING (user_id = (SELECT hub_user())) WITH CHECK (user_id = (SELECT hub_user()));

CREATE POLICY remind ON notifications FOR INSERT
    WITH CHECK ((SELECT hub_is('purpose', 'remind')) AND org_id = (SELECT hub_org()));
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(OrgUsers::Table)
                    .add_column(text_null(OrgUsers::Role))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReminderSettings::Table)
                    .col(pk_uuid(ReminderSettings::OrgId))
                    .col(boolean(ReminderSettings::Enabled))
                    .col(text(ReminderSettings::LeadTimes))
                    .col(integer(ReminderSettings::StaleAfterDays))
                    .col(text(ReminderSettings::QuietDays))
                    .col(text(ReminderSettings::WeeklyDay))
                    .col(boolean(ReminderSettings::PanelDigest))
                    .col(timestamp_with_time_zone(ReminderSettings::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_reminder_settings_org",
                        ReminderSettings::Table,
                        ReminderSettings::OrgId,
                        Organisations::Table,
                        Organisations::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReminderPreferences::Table)
                    .col(uuid(ReminderPreferences::OrgId))
                    .col(uuid(ReminderPreferences::UserId))
                    .col(boolean(ReminderPreferences::Enabled))
                    .col(text(ReminderPreferences::Frequency))
                    .col(timestamp_with_time_zone(ReminderPreferences::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(ReminderPreferences::OrgId)
                            .col(ReminderPreferences::UserId),
                    )
                    .check(one_of(
                        "reminder_preferences_frequency_check",
                        ReminderPreferences::Frequency,
                        &["DAILY", "WEEKLY"],
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReminderDigests::Table)
                    .col(pk_uuid(ReminderDigests::Id))
                    .col(uuid(ReminderDigests::OrgId))
                    .col(uuid(ReminderDigests::UserId))
                    .col(date(ReminderDigests::Day))
                    .col(text(ReminderDigests::Content))
                    .col(text_null(ReminderDigests::Email))
                    .col(text(ReminderDigests::Status))
                    .col(integer(ReminderDigests::Attempts))
                    .col(timestamp_with_time_zone(ReminderDigests::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(ReminderDigests::HeldUntil))
                    .col(text_null(ReminderDigests::LastError))
                    .col(timestamp_with_time_zone_null(ReminderDigests::SentAt))
                    .col(text(ReminderDigests::UnsubscribeToken))
                    .col(timestamp_with_time_zone(ReminderDigests::CreatedAt))
                    .check(one_of(
                        "reminder_digests_status_check",
                        ReminderDigests::Status,
                        &["PENDING", "SENT", "FAILED", "NOT_MAILED"],
                    ))
                    .foreign_key(&mut fk(
                        "fk_reminder_digests_org",
                        ReminderDigests::Table,
                        ReminderDigests::OrgId,
                        Organisations::Table,
                        Organisations::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "reminder_digests_person_day_key",
                    ReminderDigests::Table,
                    &[
                        ReminderDigests::OrgId,
                        ReminderDigests::UserId,
                        ReminderDigests::Day,
                    ],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "reminder_digests_unsubscribe_key",
                    ReminderDigests::Table,
                    &[ReminderDigests::UnsubscribeToken],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_reminder_digests_pending",
                ReminderDigests::Table,
                &[ReminderDigests::Status, ReminderDigests::NextAttemptAt],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RemindersTold::Table)
                    .col(uuid(RemindersTold::UserId))
                    .col(uuid(RemindersTold::OrgId))
                    .col(uuid(RemindersTold::ActionId))
                    .col(text(RemindersTold::Reason))
                    .col(text(RemindersTold::Occasion))
                    .col(uuid(RemindersTold::DigestId))
                    .primary_key(
                        Index::create()
                            .col(RemindersTold::UserId)
                            .col(RemindersTold::OrgId)
                            .col(RemindersTold::ActionId)
                            .col(RemindersTold::Reason)
                            .col(RemindersTold::Occasion),
                    )
                    .foreign_key(
                        &mut fk(
                            "fk_reminders_told_digest",
                            RemindersTold::Table,
                            RemindersTold::DigestId,
                            ReminderDigests::Table,
                            ReminderDigests::Id,
                        )
                        .on_delete(ForeignKeyAction::Cascade)
                        .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReminderRuns::Table)
                    .col(uuid(ReminderRuns::OrgId))
                    .col(date(ReminderRuns::Day))
                    .col(boolean(ReminderRuns::Weekly))
                    .col(integer(ReminderRuns::Digests))
                    .col(timestamp_with_time_zone(ReminderRuns::RanAt))
                    .primary_key(
                        Index::create()
                            .col(ReminderRuns::OrgId)
                            .col(ReminderRuns::Day),
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
        for table in [
            ReminderRuns::Table.into_iden(),
            RemindersTold::Table.into_iden(),
            ReminderDigests::Table.into_iden(),
            ReminderPreferences::Table.into_iden(),
            ReminderSettings::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        let db = manager.get_connection();
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(
                "DROP POLICY IF EXISTS remind ON notifications; \
                 DROP POLICY IF EXISTS tenant_update ON org_users;",
            )
            .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(OrgUsers::Table)
                    .drop_column(OrgUsers::Role)
                    .to_owned(),
            )
            .await
    }
}
