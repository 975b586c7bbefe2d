//! A rating's assessment is looked for among its organisations' assessments (Postgres).
//!
//! Ratings go with their assessment: a caller reads a rating of its own organisation, or one
//! whose assessment it may read. The rule said the second as `assessment_id IN (SELECT id
//! FROM assessments)`, which Postgres answers by hashing every assessment the caller may
//! read, and to find those it read the whole table under the assessments' policy (6,396 rows
//! at national scale, 1.6 ms, in every statement that reads ratings: a rebuilt heat map's
//! cells paid it for 345 ratings).
//!
//! The subquery now names the organisations whose assessments the caller could read at all
//! (its own, its panel's members, and those a summary counts), which the index on
//! `assessments (org_id, …)` finds (792 rows for a panel of 33 members, 0.4 ms); the
//! assessments' own policy still decides which of those it reads. So the rule lets through
//! the same ratings as before: every assessment the assessments' policy lets through
//! belongs to one of those organisations (`org_id = hub_org()`, or a member's, or one a
//! summary counts), and the policy applies inside the subquery as before.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::m20261201_000014_row_level_security::policies;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The rule as `m20261201_000014_row_level_security` wrote it (`m20261207_000020` left it
/// alone: it has no summary's test).
fn before() -> String {
    policies()
        .into_iter()
        .find(|p| p.table == "ratings" && p.name == "tenant_read")
        .and_then(|p| p.using)
        .expect("the row-level security migration gives ratings a read rule")
}

/// The same rule, with the subquery narrowed to the organisations whose assessments the
/// assessments' policy can let through.
const AFTER: &str = "org_id = (SELECT hub_org()) OR assessment_id IN (SELECT id FROM assessments \
     WHERE org_id = (SELECT hub_org()) \
     OR org_id = ANY ((SELECT hub_orgs('members'))::uuid[]) \
     OR org_id = ANY ((SELECT hub_orgs('summary'))::uuid[]))";

/// Sets the ratings' read rule to `rule` (SQLite has no row-level security).
async fn alter(manager: &SchemaManager<'_>, rule: &str) -> Result<(), DbErr> {
    let db = manager.get_connection();
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    db.execute_unprepared(&format!(
        "ALTER POLICY tenant_read ON ratings USING ({rule})"
    ))
    .await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        alter(manager, AFTER).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        alter(manager, &before()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_is_the_old_one_with_its_subquery_narrowed() {
        let before = before();
        let subquery_open = before
            .strip_suffix(')')
            .expect("the rule ends its subquery");
        assert!(AFTER.starts_with(subquery_open), "{AFTER}");
        assert!(
            AFTER[subquery_open.len()..].starts_with(" WHERE "),
            "{AFTER}"
        );
    }
}
