//! Actions, and the history that lets any past day's picture be rebuilt: status changes,
//! delivery-date changes and progress updates (all append-only), plus evidence.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_organisations::Organisations;
use crate::m20261122_000002_users::Users;
use crate::m20261122_000004_reviews::{Recommendations, Reviews};
use crate::{fk, index, one_of};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Actions {
    Table,
    Id,
    OrgId,
    ReviewId,
    RecommendationId,
    Title,
    Detail,
    Owner,
    OwnerUserId,
    OpenedOn,
    OriginalDueOn,
    DueOn,
    Status,
    CompletedOn,
    PercentComplete,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ActionStatusChanges {
    Table,
    Id,
    OrgId,
    ActionId,
    Status,
    EffectiveOn,
    ProgressUpdateId,
    ChangedBy,
    ChangedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum DueDateChanges {
    Table,
    Id,
    OrgId,
    ActionId,
    PreviousDueOn,
    NewDueOn,
    Reason,
    EffectiveOn,
    ChangedBy,
    ChangedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ProgressUpdates {
    Table,
    Id,
    OrgId,
    ActionId,
    AsAt,
    Narrative,
    NewStatus,
    PercentComplete,
    AuthorId,
    RecordedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Evidence {
    Table,
    Id,
    OrgId,
    ActionId,
    Title,
    Url,
    Reference,
    AddedBy,
    AddedAt,
}

const ACTION_STATUSES: &[&str] = &["NOT_STARTED", "IN_PROGRESS", "COMPLETE", "WITHDRAWN"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Actions::Table)
                    .col(pk_uuid(Actions::Id))
                    .col(uuid(Actions::OrgId))
                    .col(uuid_null(Actions::ReviewId))
                    .col(uuid_null(Actions::RecommendationId))
                    .col(string_len(Actions::Title, 300))
                    .col(text_null(Actions::Detail))
                    // A role ("Head of Protection"), not necessarily a person.
                    .col(string_len(Actions::Owner, 200))
                    .col(uuid_null(Actions::OwnerUserId))
                    // The day the action was agreed: it does not exist before.
                    .col(date(Actions::OpenedOn))
                    // Kept as first agreed; `due_on` follows the due-date changes.
                    .col(date(Actions::OriginalDueOn))
                    .col(date(Actions::DueOn))
                    // The current status, derived from the status changes.
                    .col(string_len(Actions::Status, 16).check(one_of(
                        "actions_status_check",
                        Actions::Status,
                        ACTION_STATUSES,
                    )))
                    .col(date_null(Actions::CompletedOn))
                    .col(integer_null(Actions::PercentComplete))
                    .col(integer(Actions::Version).default(1))
                    .col(timestamp_with_time_zone(Actions::CreatedAt))
                    .col(timestamp_with_time_zone(Actions::UpdatedAt))
                    .foreign_key(&mut fk(
                        "actions_org_fk",
                        Actions::Table,
                        Actions::OrgId,
                        Organisations::Table,
                        Organisations::Id,
                    ))
                    .foreign_key(&mut fk(
                        "actions_review_fk",
                        Actions::Table,
                        Actions::ReviewId,
                        Reviews::Table,
                        Reviews::Id,
                    ))
                    .foreign_key(&mut fk(
                        "actions_recommendation_fk",
                        Actions::Table,
                        Actions::RecommendationId,
                        Recommendations::Table,
                        Recommendations::Id,
                    ))
                    .foreign_key(&mut fk(
                        "actions_owner_user_fk",
                        Actions::Table,
                        Actions::OwnerUserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "actions_org_due_idx",
                &[Actions::OrgId, Actions::DueOn, Actions::Id][..],
            ),
            (
                "actions_review_idx",
                &[Actions::ReviewId, Actions::DueOn][..],
            ),
            (
                "actions_recommendation_idx",
                &[Actions::RecommendationId][..],
            ),
        ] {
            manager
                .create_index(index(name, Actions::Table, columns))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(ProgressUpdates::Table)
                    .col(pk_uuid(ProgressUpdates::Id))
                    .col(uuid(ProgressUpdates::OrgId))
                    .col(uuid(ProgressUpdates::ActionId))
                    // The day the update speaks for.
                    .col(date(ProgressUpdates::AsAt))
                    .col(text(ProgressUpdates::Narrative))
                    .col(
                        string_len_null(ProgressUpdates::NewStatus, 16).check(one_of(
                            "progress_updates_new_status_check",
                            ProgressUpdates::NewStatus,
                            ACTION_STATUSES,
                        )),
                    )
                    .col(
                        integer_null(ProgressUpdates::PercentComplete).check(Check::named(
                            "progress_updates_percent_check",
                            Expr::col(ProgressUpdates::PercentComplete).between(0, 100),
                        )),
                    )
                    .col(uuid_null(ProgressUpdates::AuthorId))
                    .col(timestamp_with_time_zone(ProgressUpdates::RecordedAt))
                    .foreign_key(&mut fk(
                        "progress_updates_action_fk",
                        ProgressUpdates::Table,
                        ProgressUpdates::ActionId,
                        Actions::Table,
                        Actions::Id,
                    ))
                    .foreign_key(&mut fk(
                        "progress_updates_author_fk",
                        ProgressUpdates::Table,
                        ProgressUpdates::AuthorId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "progress_updates_action_idx",
                ProgressUpdates::Table,
                &[
                    ProgressUpdates::ActionId,
                    ProgressUpdates::AsAt,
                    ProgressUpdates::Id,
                ],
            ))
            .await?;
        manager
            .create_index(index(
                "progress_updates_org_as_at_idx",
                ProgressUpdates::Table,
                &[ProgressUpdates::OrgId, ProgressUpdates::AsAt],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ActionStatusChanges::Table)
                    .col(pk_uuid(ActionStatusChanges::Id))
                    .col(uuid(ActionStatusChanges::OrgId))
                    .col(uuid(ActionStatusChanges::ActionId))
                    .col(string_len(ActionStatusChanges::Status, 16).check(one_of(
                        "action_status_changes_status_check",
                        ActionStatusChanges::Status,
                        ACTION_STATUSES,
                    )))
                    .col(date(ActionStatusChanges::EffectiveOn))
                    // Set when the change came with a progress update.
                    .col(uuid_null(ActionStatusChanges::ProgressUpdateId))
                    .col(uuid_null(ActionStatusChanges::ChangedBy))
                    .col(timestamp_with_time_zone(ActionStatusChanges::ChangedAt))
                    .foreign_key(&mut fk(
                        "action_status_changes_action_fk",
                        ActionStatusChanges::Table,
                        ActionStatusChanges::ActionId,
                        Actions::Table,
                        Actions::Id,
                    ))
                    .foreign_key(&mut fk(
                        "action_status_changes_update_fk",
                        ActionStatusChanges::Table,
                        ActionStatusChanges::ProgressUpdateId,
                        ProgressUpdates::Table,
                        ProgressUpdates::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "action_status_changes_lookup_idx",
                ActionStatusChanges::Table,
                &[
                    ActionStatusChanges::ActionId,
                    ActionStatusChanges::EffectiveOn,
                    ActionStatusChanges::Id,
                ],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DueDateChanges::Table)
                    .col(pk_uuid(DueDateChanges::Id))
                    .col(uuid(DueDateChanges::OrgId))
                    .col(uuid(DueDateChanges::ActionId))
                    .col(date(DueDateChanges::PreviousDueOn))
                    .col(date(DueDateChanges::NewDueOn))
                    .col(text(DueDateChanges::Reason))
                    // The day from which the new date is in force.
                    .col(date(DueDateChanges::EffectiveOn))
                    .col(uuid_null(DueDateChanges::ChangedBy))
                    .col(timestamp_with_time_zone(DueDateChanges::ChangedAt))
                    .foreign_key(&mut fk(
                        "due_date_changes_action_fk",
                        DueDateChanges::Table,
                        DueDateChanges::ActionId,
                        Actions::Table,
                        Actions::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "due_date_changes_lookup_idx",
                DueDateChanges::Table,
                &[
                    DueDateChanges::ActionId,
                    DueDateChanges::EffectiveOn,
                    DueDateChanges::Id,
                ],
            ))
            .await?;
        manager
            .create_index(index(
                "due_date_changes_org_idx",
                DueDateChanges::Table,
                &[DueDateChanges::OrgId, DueDateChanges::EffectiveOn],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Evidence::Table)
                    .col(pk_uuid(Evidence::Id))
                    .col(uuid(Evidence::OrgId))
                    .col(uuid(Evidence::ActionId))
                    .col(string_len(Evidence::Title, 300))
                    .col(string_len_null(Evidence::Url, 2048))
                    .col(string_len_null(Evidence::Reference, 300))
                    .col(uuid_null(Evidence::AddedBy))
                    .col(timestamp_with_time_zone(Evidence::AddedAt))
                    .foreign_key(&mut fk(
                        "evidence_action_fk",
                        Evidence::Table,
                        Evidence::ActionId,
                        Actions::Table,
                        Actions::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "evidence_action_idx",
                Evidence::Table,
                &[Evidence::ActionId, Evidence::Id],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Evidence::Table.into_iden(),
            DueDateChanges::Table.into_iden(),
            ActionStatusChanges::Table.into_iden(),
            ProgressUpdates::Table.into_iden(),
            Actions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
