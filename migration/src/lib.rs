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

/// The ordered list of migrations that `resilience-hub migrate` applies.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_organisations::Migration),
            Box::new(m20261122_000002_users::Migration),
            Box::new(m20261122_000003_audit_events::Migration),
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
