//! Assessments of organisations against frameworks, their ratings (with evidence and the
//! actions that close the gaps), and the challenge sessions and moderation of regional panels.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_organisations::Organisations;
use crate::m20261122_000002_users::Users;
use crate::m20261122_000007_standards::{Frameworks, RatingLevels, Standards};
use crate::{fk, index, one_of};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Assessments {
    Table,
    Id,
    OrgId,
    FrameworkId,
    Cycle,
    Tier,
    Status,
    SubmittedOn,
    SubmittedBy,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Ratings {
    Table,
    Id,
    OrgId,
    AssessmentId,
    StandardId,
    LevelId,
    PositionStatement,
    Version,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum RatingEvidence {
    Table,
    Id,
    OrgId,
    RatingId,
    Title,
    Url,
    Reference,
    AddedBy,
    AddedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum RatingActions {
    Table,
    RatingId,
    ActionId,
    OrgId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Challenges {
    Table,
    Id,
    PanelId,
    OrgId,
    AssessmentId,
    HeldOn,
    Tier,
    Attendees,
    Completed,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Moderations {
    Table,
    Id,
    PanelId,
    OrgId,
    AssessmentId,
    ChallengeId,
    StandardId,
    LevelId,
    Outcome,
    Comment,
    CreatedBy,
    CreatedAt,
}

const TIERS: &[&str] = &[
    "SELF_ASSESSMENT",
    "SUB_REGIONAL_CHALLENGE",
    "PEER_CHALLENGE",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Assessments::Table)
                    .col(pk_uuid(Assessments::Id))
                    .col(uuid(Assessments::OrgId))
                    .col(uuid(Assessments::FrameworkId))
                    .col(string_len(Assessments::Cycle, 16))
                    .col(string_len(Assessments::Tier, 32).check(one_of(
                        "assessments_tier_check",
                        Assessments::Tier,
                        TIERS,
                    )))
                    .col(string_len(Assessments::Status, 16).check(one_of(
                        "assessments_status_check",
                        Assessments::Status,
                        &["DRAFT", "SUBMITTED", "MODERATED", "PUBLISHED"],
                    )))
                    .col(date_null(Assessments::SubmittedOn))
                    .col(uuid_null(Assessments::SubmittedBy))
                    .col(integer(Assessments::Version).default(1))
                    .col(timestamp_with_time_zone(Assessments::CreatedAt))
                    .col(timestamp_with_time_zone(Assessments::UpdatedAt))
                    .foreign_key(&mut fk(
                        "assessments_org_fk",
                        Assessments::Table,
                        Assessments::OrgId,
                        Organisations::Table,
                        Organisations::Id,
                    ))
                    .foreign_key(&mut fk(
                        "assessments_framework_fk",
                        Assessments::Table,
                        Assessments::FrameworkId,
                        Frameworks::Table,
                        Frameworks::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        // One assessment per organisation, framework, cycle and tier.
        manager
            .create_index(
                index(
                    "assessments_org_framework_cycle_tier_key",
                    Assessments::Table,
                    &[
                        Assessments::OrgId,
                        Assessments::FrameworkId,
                        Assessments::Cycle,
                        Assessments::Tier,
                    ],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "assessments_framework_cycle_idx",
                Assessments::Table,
                &[
                    Assessments::FrameworkId,
                    Assessments::Cycle,
                    Assessments::Status,
                ],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Ratings::Table)
                    .col(pk_uuid(Ratings::Id))
                    .col(uuid(Ratings::OrgId))
                    .col(uuid(Ratings::AssessmentId))
                    .col(uuid(Ratings::StandardId))
                    // Null until the standard is rated.
                    .col(uuid_null(Ratings::LevelId))
                    .col(text_null(Ratings::PositionStatement))
                    .col(integer(Ratings::Version).default(1))
                    .col(uuid_null(Ratings::UpdatedBy))
                    .col(timestamp_with_time_zone(Ratings::UpdatedAt))
                    .foreign_key(&mut fk(
                        "ratings_assessment_fk",
                        Ratings::Table,
                        Ratings::AssessmentId,
                        Assessments::Table,
                        Assessments::Id,
                    ))
                    .foreign_key(&mut fk(
                        "ratings_standard_fk",
                        Ratings::Table,
                        Ratings::StandardId,
                        Standards::Table,
                        Standards::Id,
                    ))
                    .foreign_key(&mut fk(
                        "ratings_level_fk",
                        Ratings::Table,
                        Ratings::LevelId,
                        RatingLevels::Table,
                        RatingLevels::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "ratings_assessment_standard_key",
                    Ratings::Table,
                    &[Ratings::AssessmentId, Ratings::StandardId],
                )
                .unique()
                .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RatingEvidence::Table)
                    .col(pk_uuid(RatingEvidence::Id))
                    .col(uuid(RatingEvidence::OrgId))
                    .col(uuid(RatingEvidence::RatingId))
                    .col(string_len(RatingEvidence::Title, 300))
                    .col(string_len_null(RatingEvidence::Url, 2048))
                    .col(string_len_null(RatingEvidence::Reference, 300))
                    .col(uuid_null(RatingEvidence::AddedBy))
                    .col(timestamp_with_time_zone(RatingEvidence::AddedAt))
                    .foreign_key(&mut fk(
                        "rating_evidence_rating_fk",
                        RatingEvidence::Table,
                        RatingEvidence::RatingId,
                        Ratings::Table,
                        Ratings::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "rating_evidence_rating_idx",
                RatingEvidence::Table,
                &[RatingEvidence::RatingId],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RatingActions::Table)
                    .col(uuid(RatingActions::RatingId))
                    .col(uuid(RatingActions::ActionId))
                    .col(uuid(RatingActions::OrgId))
                    .primary_key(
                        Index::create()
                            .col(RatingActions::RatingId)
                            .col(RatingActions::ActionId),
                    )
                    .foreign_key(&mut fk(
                        "rating_actions_rating_fk",
                        RatingActions::Table,
                        RatingActions::RatingId,
                        Ratings::Table,
                        Ratings::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Challenges::Table)
                    .col(pk_uuid(Challenges::Id))
                    // The panel that held the session, which owns the record.
                    .col(uuid(Challenges::PanelId))
                    // The organisation challenged.
                    .col(uuid(Challenges::OrgId))
                    .col(uuid(Challenges::AssessmentId))
                    .col(date(Challenges::HeldOn))
                    .col(string_len(Challenges::Tier, 32).check(one_of(
                        "challenges_tier_check",
                        Challenges::Tier,
                        TIERS,
                    )))
                    .col(text_null(Challenges::Attendees))
                    .col(boolean(Challenges::Completed).default(false))
                    .col(uuid_null(Challenges::CreatedBy))
                    .col(timestamp_with_time_zone(Challenges::CreatedAt))
                    .foreign_key(&mut fk(
                        "challenges_panel_fk",
                        Challenges::Table,
                        Challenges::PanelId,
                        Organisations::Table,
                        Organisations::Id,
                    ))
                    .foreign_key(&mut fk(
                        "challenges_assessment_fk",
                        Challenges::Table,
                        Challenges::AssessmentId,
                        Assessments::Table,
                        Assessments::Id,
                    ))
                    .foreign_key(&mut fk(
                        "challenges_created_by_fk",
                        Challenges::Table,
                        Challenges::CreatedBy,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "challenges_assessment_idx",
                Challenges::Table,
                &[Challenges::AssessmentId, Challenges::HeldOn],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Moderations::Table)
                    .col(pk_uuid(Moderations::Id))
                    .col(uuid(Moderations::PanelId))
                    .col(uuid(Moderations::OrgId))
                    .col(uuid(Moderations::AssessmentId))
                    .col(uuid(Moderations::ChallengeId))
                    .col(uuid(Moderations::StandardId))
                    .col(uuid(Moderations::LevelId))
                    .col(string_len(Moderations::Outcome, 16).check(one_of(
                        "moderations_outcome_check",
                        Moderations::Outcome,
                        &["AGREED", "ADJUSTED", "QUERIED"],
                    )))
                    .col(text_null(Moderations::Comment))
                    .col(uuid_null(Moderations::CreatedBy))
                    .col(timestamp_with_time_zone(Moderations::CreatedAt))
                    .foreign_key(&mut fk(
                        "moderations_challenge_fk",
                        Moderations::Table,
                        Moderations::ChallengeId,
                        Challenges::Table,
                        Challenges::Id,
                    ))
                    .foreign_key(&mut fk(
                        "moderations_standard_fk",
                        Moderations::Table,
                        Moderations::StandardId,
                        Standards::Table,
                        Standards::Id,
                    ))
                    .foreign_key(&mut fk(
                        "moderations_level_fk",
                        Moderations::Table,
                        Moderations::LevelId,
                        RatingLevels::Table,
                        RatingLevels::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "moderations_challenge_standard_key",
                    Moderations::Table,
                    &[Moderations::ChallengeId, Moderations::StandardId],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "moderations_assessment_idx",
                Moderations::Table,
                &[Moderations::AssessmentId, Moderations::StandardId],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Moderations::Table.into_iden(),
            Challenges::Table.into_iden(),
            RatingActions::Table.into_iden(),
            RatingEvidence::Table.into_iden(),
            Ratings::Table.into_iden(),
            Assessments::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
