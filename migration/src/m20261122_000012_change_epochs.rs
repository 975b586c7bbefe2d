//! Change epochs: a counter per family of records (and, for families kept per organisation,
//! per organisation), moved on in the same transaction as every change to them, so that an
//! aggregate remembered under an epoch is known to be current by reading one row (see the
//! service's `epochs` module). `subject` is the organisation, or the nil id for a family kept
//! as a whole.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChangeEpochs {
    Table,
    Family,
    Subject,
    Epoch,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ChangeEpochs::Table)
                    .col(
                        ColumnDef::new(ChangeEpochs::Family)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ChangeEpochs::Subject).uuid().not_null())
                    .col(
                        ColumnDef::new(ChangeEpochs::Epoch)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .primary_key(
                        Index::create()
                            .col(ChangeEpochs::Family)
                            .col(ChangeEpochs::Subject),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ChangeEpochs::Table).to_owned())
            .await
    }
}
