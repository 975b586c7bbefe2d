//! Standards libraries: versioned frameworks of standards with an ordered rating scale, shared
//! (owned by the platform) or owned by a regional panel; and the links from recommendations to
//! the standards they bear on.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_organisations::Organisations;
use crate::m20261122_000004_reviews::Recommendations;
use crate::{fk, index, one_of};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum Frameworks {
    Table,
    Id,
    OwnerOrgId,
    Code,
    Name,
    Description,
    Version,
    Status,
    PredecessorId,
    Revision,
    CreatedAt,
    UpdatedAt,
    PublishedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum Standards {
    Table,
    Id,
    FrameworkId,
    Code,
    Title,
    Description,
    DesiredOutcome,
    Position,
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum RatingLevels {
    Table,
    Id,
    FrameworkId,
    Code,
    Label,
    Rank,
}

#[derive(DeriveIden, Clone, Copy)]
enum RecommendationStandards {
    Table,
    RecommendationId,
    StandardId,
    OrgId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Frameworks::Table)
                    .col(pk_uuid(Frameworks::Id))
                    // Null: a shared framework, owned by the platform.
                    .col(uuid_null(Frameworks::OwnerOrgId))
                    .col(string_len(Frameworks::Code, 32))
                    .col(string_len(Frameworks::Name, 200))
                    .col(text_null(Frameworks::Description))
                    // The version within the line of a code: 1, 2, …
                    .col(integer(Frameworks::Version))
                    .col(string_len(Frameworks::Status, 16).check(one_of(
                        "frameworks_status_check",
                        Frameworks::Status,
                        &["DRAFT", "PUBLISHED"],
                    )))
                    .col(uuid_null(Frameworks::PredecessorId))
                    // Optimistic concurrency on the row (the framework's own "version" is taken).
                    .col(integer(Frameworks::Revision).default(1))
                    .col(timestamp_with_time_zone(Frameworks::CreatedAt))
                    .col(timestamp_with_time_zone(Frameworks::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Frameworks::PublishedAt))
                    .foreign_key(&mut fk(
                        "frameworks_owner_fk",
                        Frameworks::Table,
                        Frameworks::OwnerOrgId,
                        Organisations::Table,
                        Organisations::Id,
                    ))
                    .foreign_key(&mut fk(
                        "frameworks_predecessor_fk",
                        Frameworks::Table,
                        Frameworks::PredecessorId,
                        Frameworks::Table,
                        Frameworks::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "frameworks_code_idx",
                Frameworks::Table,
                &[Frameworks::Code, Frameworks::Version],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Standards::Table)
                    .col(pk_uuid(Standards::Id))
                    .col(uuid(Standards::FrameworkId))
                    .col(string_len(Standards::Code, 32))
                    .col(string_len(Standards::Title, 300))
                    .col(text_null(Standards::Description))
                    .col(text_null(Standards::DesiredOutcome))
                    .col(integer(Standards::Position))
                    .foreign_key(&mut fk(
                        "standards_framework_fk",
                        Standards::Table,
                        Standards::FrameworkId,
                        Frameworks::Table,
                        Frameworks::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "standards_framework_code_key",
                    Standards::Table,
                    &[Standards::FrameworkId, Standards::Code],
                )
                .unique()
                .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RatingLevels::Table)
                    .col(pk_uuid(RatingLevels::Id))
                    .col(uuid(RatingLevels::FrameworkId))
                    .col(string_len(RatingLevels::Code, 32))
                    .col(string_len(RatingLevels::Label, 100))
                    // Higher is better.
                    .col(integer(RatingLevels::Rank))
                    .foreign_key(&mut fk(
                        "rating_levels_framework_fk",
                        RatingLevels::Table,
                        RatingLevels::FrameworkId,
                        Frameworks::Table,
                        Frameworks::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "rating_levels_framework_code_key",
                    RatingLevels::Table,
                    &[RatingLevels::FrameworkId, RatingLevels::Code],
                )
                .unique()
                .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RecommendationStandards::Table)
                    .col(uuid(RecommendationStandards::RecommendationId))
                    .col(uuid(RecommendationStandards::StandardId))
                    .col(uuid(RecommendationStandards::OrgId))
                    .primary_key(
                        Index::create()
                            .col(RecommendationStandards::RecommendationId)
                            .col(RecommendationStandards::StandardId),
                    )
                    .foreign_key(&mut fk(
                        "recommendation_standards_recommendation_fk",
                        RecommendationStandards::Table,
                        RecommendationStandards::RecommendationId,
                        Recommendations::Table,
                        Recommendations::Id,
                    ))
                    .foreign_key(&mut fk(
                        "recommendation_standards_standard_fk",
                        RecommendationStandards::Table,
                        RecommendationStandards::StandardId,
                        Standards::Table,
                        Standards::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "recommendation_standards_standard_idx",
                RecommendationStandards::Table,
                &[
                    RecommendationStandards::OrgId,
                    RecommendationStandards::StandardId,
                ],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RecommendationStandards::Table.into_iden(),
            RatingLevels::Table.into_iden(),
            Standards::Table.into_iden(),
            Frameworks::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
