//! Optimistic concurrency: mutable rows carry a `version`, every change moves it on, and a
//! change based on a version that is no longer current is refused with `CONFLICT`, so that two
//! people editing the same row cannot silently overwrite each other.

// Builds the versioned update that the owner-checked entries filter by owner.
#![allow(clippy::disallowed_methods)]

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, IntoCondition};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, UpdateMany};

use crate::error::{AppError, AppResult};

/// An entity whose rows carry a `version` and an `updated_at`.
pub trait Versioned: EntityTrait {
    /// The `version` column.
    fn version_column() -> Self::Column;
    /// The `updated_at` column.
    fn updated_at_column() -> Self::Column;

    /// Starts an `UPDATE` of the rows matching `row` that still stand at `version`, moving
    /// them on to the next version. Add the changed columns with `col_expr`.
    fn update_at_version(row: impl IntoCondition, version: i32) -> UpdateMany<Self> {
        Self::update_many()
            .col_expr(
                Self::version_column(),
                Expr::col(Self::version_column()).add(1),
            )
            .col_expr(Self::updated_at_column(), Expr::value(Utc::now()))
            .filter(row)
            .filter(Self::version_column().eq(version))
    }
}

/// Runs a versioned update. No row changed means the version was stale: `CONFLICT` naming
/// `what`. Database errors go through `on_error`, which may turn a constraint into a user error.
pub async fn apply<E: EntityTrait>(
    update: UpdateMany<E>,
    db: &impl ConnectionTrait,
    what: &str,
    on_error: impl FnOnce(DbErr) -> AppError,
) -> AppResult<()> {
    let result = update.exec(db).await.map_err(on_error)?;
    if result.rows_affected == 0 {
        return Err(AppError::stale_version(what));
    }
    Ok(())
}
