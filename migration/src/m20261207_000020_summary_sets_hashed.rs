//! Summaries look their organisations up in a hash (Postgres).
//!
//! A summary's rows were those whose organisation is `= ANY` of the array in
//! `hub.orgs_summary`. Postgres reads such an array from a setting as a parameter, not a
//! constant, and then compares each row with every element in turn: for a partner body
//! counting the ratings and moderations of the 355 organisations that share with it, that was
//! much of the statement's time (a count of moderations took 22 ms, 16 ms with a hash). As
//! `IN (SELECT unnest(…))` the set is a subquery that Postgres hashes once per statement.
//!
//! Which rows pass is unchanged: the same organisations, only while a summary runs, and the
//! subquery is reached only when the purpose is `summary`, so other statements pay nothing.
//! The policies are those of `m20261201_000014_row_level_security`, rebuilt with the new rule;
//! where a rule reads "in detail, or counted by a summary", the summary is now tested first.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::m20261201_000014_row_level_security::{detail, policies, summary};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Rows a summary counts: only while the request runs a summary, looked up in a hash.
fn hashed(column: &str) -> String {
    format!(
        "((SELECT hub_is('purpose', 'summary')) AND {column} IN (SELECT unnest(hub_orgs('summary'))))"
    )
}

/// `rule` with summaries' organisations looked up in a hash. Where a rule lets through rows
/// read in detail or counted by a summary, the summary's test comes first: in a summary it
/// passes most rows at one probe, where the detail's array would be compared element by
/// element first; outside a summary it is false at once.
fn hashed_rule(rule: &str) -> String {
    let (detail, linear, hashed) = (detail("org_id"), summary("org_id"), hashed("org_id"));
    if rule == format!("{detail} OR {linear}") {
        return format!("{hashed} OR {detail}");
    }
    rule.replace(&linear, &hashed)
}

/// `ALTER POLICY` for each policy whose `USING` the hashed rule changes: to the hashed rule
/// (`up`), or back to the rule of `m20261201_000014_row_level_security`.
fn changes(up: bool) -> Vec<String> {
    policies()
        .into_iter()
        .filter_map(|p| {
            let before = p.using?;
            let after = hashed_rule(&before);
            (after != before).then(|| {
                let using = if up { after } else { before };
                format!("ALTER POLICY {} ON {} USING ({using})", p.name, p.table)
            })
        })
        .collect()
}

/// Runs [`changes`] (SQLite has no row-level security).
async fn alter(manager: &SchemaManager<'_>, up: bool) -> Result<(), DbErr> {
    let db = manager.get_connection();
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    for sql in changes(up) {
        db.execute_unprepared(&sql).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        alter(manager, true).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        alter(manager, false).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_policy_that_counts_for_summaries_is_rewritten() {
        let up = changes(true);
        // Eight counted content tables, assessments, challenges and moderations.
        assert_eq!(up.len(), 11, "{up:#?}");
        for sql in &up {
            assert!(
                sql.contains("IN (SELECT unnest(hub_orgs('summary')))"),
                "{sql}"
            );
            assert!(!sql.contains("ANY ((SELECT hub_orgs('summary'))"), "{sql}");
        }
        let down = changes(false);
        assert_eq!(down.len(), 11);
        assert!(down.iter().all(|sql| !sql.contains("unnest")));
    }

    #[test]
    fn content_rules_test_the_summary_first_and_keep_the_detail() {
        let rule = format!("{} OR {}", detail("org_id"), summary("org_id"));
        assert_eq!(
            hashed_rule(&rule),
            format!("{} OR {}", hashed("org_id"), detail("org_id"))
        );
    }
}
