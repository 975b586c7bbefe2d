//! Database migrations of resilience-hub.
//!
//! Written in the sea-orm migration DSL, never generated from the service's entities: a
//! migration describes the schema as it was on the day it was written, so it keeps its meaning
//! when the entities move on. Every migration runs on both engines (SQLite and Postgres).
//!
//! Closed sets (kinds, roles, sharing levels) are stored as text with a `CHECK` constraint, so
//! that the database refuses a value the service would never write, whichever engine it is.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_organisations;
mod m20261122_000002_users;
mod m20261122_000003_audit_events;
mod m20261122_000004_reviews;
mod m20261122_000005_actions;
mod m20261122_000006_org_users;
mod m20261122_000007_standards;
mod m20261122_000008_assessments;
mod m20261122_000009_audit_subject;
mod m20261122_000010_access_paths;
mod m20261122_000011_rating_levels_path;
mod m20261122_000012_change_epochs;
mod m20261201_000013_operators;
mod m20261201_000014_row_level_security;
mod m20261203_000015_corrections_and_committees;
mod m20261203_000016_imports;
mod m20261204_000017_outbox_and_webhooks;
mod m20261205_000018_notifications;
mod m20261206_000019_reminders;
mod m20261207_000020_summary_sets_hashed;
mod m20261208_000021_ratings_through_their_organisations;

/// The ordered list of migrations that `resilience-hub migrate` applies.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_organisations::Migration),
            Box::new(m20261122_000002_users::Migration),
            Box::new(m20261122_000003_audit_events::Migration),
            Box::new(m20261122_000004_reviews::Migration),
            Box::new(m20261122_000005_actions::Migration),
            Box::new(m20261122_000006_org_users::Migration),
            Box::new(m20261122_000007_standards::Migration),
            Box::new(m20261122_000008_assessments::Migration),
            Box::new(m20261122_000009_audit_subject::Migration),
            Box::new(m20261122_000010_access_paths::Migration),
            Box::new(m20261122_000011_rating_levels_path::Migration),
            Box::new(m20261122_000012_change_epochs::Migration),
            Box::new(m20261201_000013_operators::Migration),
            Box::new(m20261201_000014_row_level_security::Migration),
            Box::new(m20261203_000015_corrections_and_committees::Migration),
            Box::new(m20261203_000016_imports::Migration),
            Box::new(m20261204_000017_outbox_and_webhooks::Migration),
            Box::new(m20261205_000018_notifications::Migration),
            Box::new(m20261206_000019_reminders::Migration),
            Box::new(m20261207_000020_summary_sets_hashed::Migration),
            Box::new(m20261208_000021_ratings_through_their_organisations::Migration),
        ]
    }
}

/// A `CHECK (column IN (...))` constraint for a column holding one of a closed set of codes.
pub(crate) fn one_of<C: IntoIden + Copy + 'static>(
    name: &'static str,
    column: C,
    values: &[&str],
) -> Check {
    Check::named(
        name,
        Expr::col(column).is_in(values.iter().map(|v| (*v).to_owned())),
    )
}

/// A named foreign key from `from_table.from_col` to `to_table.to_col`.
pub(crate) fn fk(
    name: &str,
    from_table: impl IntoIden,
    from_col: impl IntoIden,
    to_table: impl IntoIden,
    to_col: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from_table, from_col)
        .to(to_table, to_col)
        .to_owned()
}

/// A named index on `columns` of `table`.
pub(crate) fn index<C: IntoIden + Copy>(
    name: &str,
    table: impl IntoIden,
    columns: &[C],
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(*column);
    }
    index.to_owned()
}
