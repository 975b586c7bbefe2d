//! An index for counting ratings by level: progress against a framework's standards counts
//! the ratings of hundreds of assessments at once, and with the level beside the assessment
//! and the standard those counts are read from the index alone, never the table.

use sea_orm_migration::prelude::*;

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Ratings {
    Table,
    AssessmentId,
    StandardId,
    LevelId,
}

const NAME: &str = "ratings_assessment_level_idx";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index(
                NAME,
                Ratings::Table,
                &[Ratings::AssessmentId, Ratings::StandardId, Ratings::LevelId],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(NAME).table(Ratings::Table).to_owned())
            .await
    }
}
