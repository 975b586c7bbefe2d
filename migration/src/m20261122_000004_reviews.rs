//! Reviews an organisation went through, their judgements, and the recommendations they made,
//! with the history of each recommendation's status (so a past date's counts can be rebuilt).

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_organisations::Organisations;
use crate::m20261122_000002_users::Users;
use crate::{fk, index, one_of};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum Reviews {
    Table,
    Id,
    OrgId,
    Kind,
    Title,
    Reviewer,
    ReviewerOrgId,
    CommissionedOn,
    ReportedOn,
    Status,
    Summary,
    SourceUrl,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ReviewJudgements {
    Table,
    Id,
    OrgId,
    ReviewId,
    Position,
    Area,
    Grade,
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum Recommendations {
    Table,
    Id,
    OrgId,
    ReviewId,
    Position,
    Reference,
    Kind,
    Text,
    Status,
    TargetDate,
    DischargedOn,
    DischargedBy,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum RecommendationStatusChanges {
    Table,
    Id,
    OrgId,
    RecommendationId,
    Status,
    EffectiveOn,
    ChangedBy,
    ChangedAt,
}

const RECOMMENDATION_STATUSES: &[&str] = &[
    "OPEN",
    "IN_PROGRESS",
    "DISCHARGED",
    "ONGOING",
    "SUPERSEDED",
    "NOT_ACCEPTED",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Reviews::Table)
                    .col(pk_uuid(Reviews::Id))
                    // The organisation reviewed, which owns the review whoever conducted it.
                    .col(uuid(Reviews::OrgId))
                    .col(string_len(Reviews::Kind, 32).check(one_of(
                        "reviews_kind_check",
                        Reviews::Kind,
                        &[
                            "INSPECTION",
                            "PEER_REVIEW",
                            "PEER_CHALLENGE",
                            "SCRUTINY_REVIEW",
                            "INTERNAL_AUDIT",
                            "EXERCISE_DEBRIEF",
                            "INCIDENT_DEBRIEF",
                        ],
                    )))
                    .col(string_len(Reviews::Title, 300))
                    .col(string_len_null(Reviews::Reviewer, 300))
                    .col(uuid_null(Reviews::ReviewerOrgId))
                    .col(date_null(Reviews::CommissionedOn))
                    .col(date_null(Reviews::ReportedOn))
                    .col(string_len(Reviews::Status, 16).check(one_of(
                        "reviews_status_check",
                        Reviews::Status,
                        &["PLANNED", "IN_PROGRESS", "REPORTED", "CLOSED"],
                    )))
                    .col(text_null(Reviews::Summary))
                    .col(string_len_null(Reviews::SourceUrl, 2048))
                    .col(integer(Reviews::Version).default(1))
                    .col(timestamp_with_time_zone(Reviews::CreatedAt))
                    .col(timestamp_with_time_zone(Reviews::UpdatedAt))
                    .foreign_key(&mut fk(
                        "reviews_org_fk",
                        Reviews::Table,
                        Reviews::OrgId,
                        Organisations::Table,
                        Organisations::Id,
                    ))
                    .foreign_key(&mut fk(
                        "reviews_reviewer_org_fk",
                        Reviews::Table,
                        Reviews::ReviewerOrgId,
                        Organisations::Table,
                        Organisations::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "reviews_org_idx",
                Reviews::Table,
                &[Reviews::OrgId, Reviews::Id],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ReviewJudgements::Table)
                    .col(pk_uuid(ReviewJudgements::Id))
                    .col(uuid(ReviewJudgements::OrgId))
                    .col(uuid(ReviewJudgements::ReviewId))
                    .col(integer(ReviewJudgements::Position))
                    .col(string_len(ReviewJudgements::Area, 200))
                    .col(string_len(ReviewJudgements::Grade, 32).check(one_of(
                        "review_judgements_grade_check",
                        ReviewJudgements::Grade,
                        &[
                            "OUTSTANDING",
                            "GOOD",
                            "ADEQUATE",
                            "REQUIRES_IMPROVEMENT",
                            "INADEQUATE",
                        ],
                    )))
                    .foreign_key(&mut fk(
                        "review_judgements_review_fk",
                        ReviewJudgements::Table,
                        ReviewJudgements::ReviewId,
                        Reviews::Table,
                        Reviews::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "review_judgements_review_idx",
                ReviewJudgements::Table,
                &[ReviewJudgements::ReviewId, ReviewJudgements::Position],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Recommendations::Table)
                    .col(pk_uuid(Recommendations::Id))
                    .col(uuid(Recommendations::OrgId))
                    .col(uuid(Recommendations::ReviewId))
                    .col(integer(Recommendations::Position))
                    .col(string_len(Recommendations::Reference, 32))
                    .col(string_len(Recommendations::Kind, 32).check(one_of(
                        "recommendations_kind_check",
                        Recommendations::Kind,
                        &[
                            "RECOMMENDATION",
                            "CAUSE_OF_CONCERN",
                            "AREA_FOR_IMPROVEMENT",
                            "OBSERVATION",
                            "LESSON",
                        ],
                    )))
                    .col(text(Recommendations::Text))
                    .col(string_len(Recommendations::Status, 16).check(one_of(
                        "recommendations_status_check",
                        Recommendations::Status,
                        RECOMMENDATION_STATUSES,
                    )))
                    .col(date_null(Recommendations::TargetDate))
                    .col(date_null(Recommendations::DischargedOn))
                    .col(uuid_null(Recommendations::DischargedBy))
                    .col(integer(Recommendations::Version).default(1))
                    .col(timestamp_with_time_zone(Recommendations::CreatedAt))
                    .col(timestamp_with_time_zone(Recommendations::UpdatedAt))
                    .foreign_key(&mut fk(
                        "recommendations_review_fk",
                        Recommendations::Table,
                        Recommendations::ReviewId,
                        Reviews::Table,
                        Reviews::Id,
                    ))
                    .foreign_key(&mut fk(
                        "recommendations_discharged_by_fk",
                        Recommendations::Table,
                        Recommendations::DischargedBy,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        // A reference ("R3") names one recommendation within its review.
        manager
            .create_index(
                index(
                    "recommendations_review_reference_key",
                    Recommendations::Table,
                    &[Recommendations::ReviewId, Recommendations::Reference],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "recommendations_org_idx",
                Recommendations::Table,
                &[Recommendations::OrgId, Recommendations::ReviewId],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RecommendationStatusChanges::Table)
                    .col(pk_uuid(RecommendationStatusChanges::Id))
                    .col(uuid(RecommendationStatusChanges::OrgId))
                    .col(uuid(RecommendationStatusChanges::RecommendationId))
                    .col(
                        string_len(RecommendationStatusChanges::Status, 16).check(one_of(
                            "recommendation_status_changes_status_check",
                            RecommendationStatusChanges::Status,
                            RECOMMENDATION_STATUSES,
                        )),
                    )
                    // The day from which the status holds.
                    .col(date(RecommendationStatusChanges::EffectiveOn))
                    .col(uuid_null(RecommendationStatusChanges::ChangedBy))
                    .col(timestamp_with_time_zone(
                        RecommendationStatusChanges::ChangedAt,
                    ))
                    .foreign_key(&mut fk(
                        "recommendation_status_changes_recommendation_fk",
                        RecommendationStatusChanges::Table,
                        RecommendationStatusChanges::RecommendationId,
                        Recommendations::Table,
                        Recommendations::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        // "The status as it stood on a date": the latest change on or before it.
        manager
            .create_index(index(
                "recommendation_status_changes_lookup_idx",
                RecommendationStatusChanges::Table,
                &[
                    RecommendationStatusChanges::RecommendationId,
                    RecommendationStatusChanges::EffectiveOn,
                    RecommendationStatusChanges::Id,
                ],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RecommendationStatusChanges::Table.into_iden(),
            Recommendations::Table.into_iden(),
            ReviewJudgements::Table.into_iden(),
            Reviews::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
