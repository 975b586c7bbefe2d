//! The point-in-time projection of actions: each action as it stood at the end of a day.
//!
//! This is the scoped entry point to the `actions` table for everything that needs a status,
//! delivery date or RAG: lists, filters, summaries and changes all start from [`projection`],
//! which takes the caller's organisation set and applies it first. The RAG rule is written
//! once, in [`RAG`].
//!
//! The projection has three levels, so that each is easy to read:
//!
//! 1. the actions in scope that existed on the day, with their status, the day that status
//!    began, and the delivery date in force (the latest entry of each history on or before
//!    the day, joined in: one probe of an index on `(action_id, effective_on, id)` each);
//! 2. the RAG of each;
//! 3. the caller's filters on any of those.
//!
//! Every view is also as known at a moment ([`AsAt::known`]): entries recorded later, and
//! actions recorded later, are left out, so that what the service said at that moment can be
//! said again, byte for byte, however the past was corrected since (see [`crate::history`]).
//!
//! No history entry is ever dated after the day it is recorded (the mutations refuse it), and
//! an action's own columns always hold its latest status, completion and delivery date. So
//! for today, or any later day, as known now, level 1 reads those columns instead of the
//! histories ([`Source::Current`]): the same answer, without three lookups per action.
//! Dashboards ask about today, and this is what keeps them cheap.
//!
//! An action's completion date is the first day of its current run of completeness: saying
//! COMPLETE again does not move it.

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

use super::{Action, ActionStatus, Rag, Standing};
use crate::access::OrgSet;
use crate::error::AppResult;
use crate::history::AsAt;
use crate::ids::{ActionId, OrgId, RecommendationId, ReviewId, UserId};
use crate::sql::Sql;

/// The columns of `actions` every projection carries.
const COLUMNS: &str = "a.id, a.org_id, a.review_id, a.recommendation_id, a.title, a.detail, \
     a.owner, a.owner_user_id, a.opened_on, a.original_due_on, a.due_on, a.status, \
     a.completed_on, a.percent_complete, a.version, a.created_at, a.updated_at";

/// The RAG rule, over a row of level 1 and the day (bound once, as the only placeholder).
const RAG: &str = "CASE \
     WHEN t.at_status IS NULL OR t.at_status = 'WITHDRAWN' THEN NULL \
     WHEN t.at_status = 'COMPLETE' THEN 'GREEN' \
     WHEN t.at_due_on < ? THEN 'RED' \
     ELSE 'AMBER' END";

/// Which actions a projection covers, beyond the caller's scope.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Of these organisations only (narrowing the scope, never widening it).
    pub organisations: Option<Vec<OrgId>>,
    /// Of these reviews.
    pub reviews: Option<Vec<ReviewId>>,
    /// Answering these recommendations.
    pub recommendations: Option<Vec<RecommendationId>>,
    /// These actions.
    pub ids: Option<Vec<ActionId>>,
    /// With this status on the day.
    pub status: Option<ActionStatus>,
    /// With this RAG on the day.
    pub rag: Option<Rag>,
    /// RED on the day (`true`), or not (`false`).
    pub overdue: Option<bool>,
    /// Due (on the day's delivery date) strictly before this date.
    pub due_before: Option<NaiveDate>,
    /// Due strictly after this date.
    pub due_after: Option<NaiveDate>,
    /// Whose owner contains this text, ignoring case.
    pub owner: Option<String>,
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// The value of `column` in the latest entry of the history `table` on or before the day, as
/// known at the moment, for action `a`: a scalar subquery, one probe of the history's index
/// (action, date). Not a join on the latest entry's id: under Postgres row-level security the
/// joined history is a security barrier, which a join condition holding a subquery cannot be
/// pushed into, and the join then read every visible entry once per action.
fn latest(sql: &mut Sql, table: &str, column: &str, at: AsAt) {
    sql.push("(SELECT h.")
        .push(column)
        .push(" FROM ")
        .push(table)
        .push(" h WHERE h.action_id = a.id AND h.effective_on <= ")
        .bind(at.day);
    known(sql, "h.changed_at", at);
    sql.push(" ORDER BY h.effective_on DESC, h.id DESC LIMIT 1)");
}

pub use crate::history::push_known as known;

/// The first day of the current run of completeness of action `t` on the day, as known at
/// the moment: the earliest COMPLETE entry with no other status after it.
fn run_start(sql: &mut Sql, at: AsAt) {
    sql.push(
        "(SELECT MIN(h.effective_on) FROM action_status_changes h WHERE h.action_id = t.id \
         AND h.status = 'COMPLETE' AND h.effective_on <= ",
    )
    .bind(at.day);
    known(sql, "h.changed_at", at);
    sql.push(
        " AND NOT EXISTS (SELECT 1 FROM action_status_changes g WHERE g.action_id = t.id \
         AND g.status <> 'COMPLETE' AND g.effective_on <= ",
    )
    .bind(at.day);
    known(sql, "g.changed_at", at);
    sql.push(
        " AND (g.effective_on > h.effective_on OR (g.effective_on = h.effective_on AND g.id > h.id))))",
    );
}

/// Where level 1 of the projection reads an action's status and delivery date from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The histories, as they stood at the end of the day: any day.
    History,
    /// The action's own columns: today or later only, when they equal the histories' latest.
    Current,
}

impl Source {
    /// The cheapest source that is exact for `at`.
    pub fn for_view(at: AsAt) -> Self {
        if at.reads_current() {
            Source::Current
        } else {
            Source::History
        }
    }
}

/// The actions in `scope` matching `filter`, as they stood at the end of `at`'s day as known
/// at its moment: a subquery whose rows have the columns of `actions` plus `at_status`,
/// `at_since`, `at_due_on` and `at_rag`. Actions agreed after the day, or recorded after the
/// moment, are not in it.
pub fn projection(scope: &OrgSet, filter: &Filter, at: AsAt) -> Sql {
    projection_from(Source::for_view(at), scope, filter, at, Detail::Read)
}

/// Whether a projection reads the actions' `detail`, the one column of free text that can be
/// long: a list that does not show it reads `NULL` instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    Read,
    Skip,
}

/// [`projection`], reading level 1 from `source` (tests compare the two), and `detail` or not.
pub fn projection_from(
    source: Source,
    scope: &OrgSet,
    filter: &Filter,
    at: AsAt,
    detail: Detail,
) -> Sql {
    let day = at.day;
    // Level 1: the actions that existed, with their status and delivery date on the day.
    let mut inner = Sql::new("SELECT ");
    match detail {
        Detail::Read => inner.push(COLUMNS),
        Detail::Skip => inner.push(&COLUMNS.replace("a.detail", "NULL AS detail")),
    };
    inner.push(", ");
    match source {
        Source::History => {
            latest(&mut inner, "action_status_changes", "status", at);
            inner.push(" AS at_status, COALESCE(");
            latest(&mut inner, "due_date_changes", "new_due_on", at);
            inner.push(", a.original_due_on) AS at_due_on FROM actions a");
        }
        Source::Current => {
            // `at_since` is read only for a completed action: its completion date.
            inner.push(
                "a.status AS at_status, a.completed_on AS at_since, a.due_on AS at_due_on \
                 FROM actions a",
            );
        }
    }
    inner.push(" WHERE ");
    // One list of organisations, the scope narrowed by the filter: a second list would be
    // checked against every row the first one finds.
    let asked: Option<Vec<Uuid>> = filter
        .organisations
        .as_ref()
        .map(|orgs| orgs.iter().map(|o| o.0).collect());
    scope
        .narrowed(asked.as_deref())
        .push_condition(&mut inner, "a.org_id");
    inner.push(" AND a.opened_on <= ").bind(day);
    known(&mut inner, "a.created_at", at);
    if let Some(reviews) = &filter.reviews {
        inner
            .push(" AND ")
            .push_in("a.review_id", reviews.iter().map(|r| r.0));
    }
    if let Some(recs) = &filter.recommendations {
        inner
            .push(" AND ")
            .push_in("a.recommendation_id", recs.iter().map(|r| r.0));
    }
    if let Some(ids) = &filter.ids {
        inner.push(" AND ").push_in("a.id", ids.iter().map(|a| a.0));
    }
    if let Some(owner) = &filter.owner {
        inner
            .push(" AND LOWER(a.owner) LIKE ")
            .bind(like_pattern(owner))
            .push(" ESCAPE '\\'");
    }
    match source {
        Source::Current => push_current_filters(&mut inner, filter, day),
        // A fence: the planner may not merge level 1 into the levels above. Merged, each
        // history lookup was copied to every place that names its column (the RAG rule
        // names the status three times, the plan's counts twice more) and planned and run
        // at each: an action plan's statement held 42 subplans, planning took 9 ms and
        // running 10, against 3.5 and 4.5 fenced. `OFFSET 0` is Postgres's idiom, but
        // SQLite wants a `LIMIT` before it; a limit no list reaches is the same fence in both.
        Source::History => {
            inner.push(" LIMIT 9223372036854775807");
        }
    }

    // Level 2: the RAG of each, and from the histories the completion date of those complete
    // (only theirs: it is two more probes).
    let mut rated = Sql::new("SELECT t.*, ");
    push_rag(&mut rated, day);
    rated.push(" AS at_rag");
    if source == Source::History {
        rated.push(", CASE WHEN t.at_status = 'COMPLETE' THEN ");
        run_start(&mut rated, at);
        rated.push(" END AS at_since");
    }
    rated.push(" FROM (").append(&inner).push(") t");

    // Level 3: the caller's filters on the day's values.
    let mut outer = Sql::new("SELECT p.* FROM (");
    outer.append(&rated).push(") p WHERE 1 = 1");
    if let Some(status) = filter.status {
        outer.push(" AND p.at_status = ").bind(status.code());
    }
    if let Some(rag) = filter.rag {
        outer.push(" AND p.at_rag = ").bind(rag.code());
    }
    match filter.overdue {
        Some(true) => {
            outer.push(" AND p.at_rag = 'RED'");
        }
        Some(false) => {
            outer.push(" AND (p.at_rag IS NULL OR p.at_rag <> 'RED')");
        }
        None => {}
    }
    if let Some(before) = filter.due_before {
        outer.push(" AND p.at_due_on < ").bind(before);
    }
    if let Some(after) = filter.due_after {
        outer.push(" AND p.at_due_on > ").bind(after);
    }
    outer
}

/// Conditions on the action's own columns that level 3's filters imply, so that the index on
/// `(org_id, status, due_on, opened_on)` finds the rows instead of every action of the
/// organisation being rated first. Level 3 still applies the filters themselves.
fn push_current_filters(sql: &mut Sql, filter: &Filter, day: NaiveDate) {
    const OPEN: &str = " AND a.status IN ('NOT_STARTED', 'IN_PROGRESS')";
    if let Some(status) = filter.status {
        sql.push(" AND a.status = ").bind(status.code());
    }
    match (filter.rag, filter.overdue) {
        (Some(Rag::Red), _) | (_, Some(true)) => {
            sql.push(OPEN).push(" AND a.due_on < ").bind(day);
        }
        (Some(Rag::Amber), _) => {
            sql.push(OPEN).push(" AND a.due_on >= ").bind(day);
        }
        (Some(Rag::Green), _) => {
            sql.push(" AND a.status = 'COMPLETE'");
        }
        _ => {}
    }
}

/// Appends the RAG rule with `day` bound in its one placeholder.
fn push_rag(sql: &mut Sql, day: NaiveDate) {
    let (head, tail) = RAG
        .split_once('?')
        .expect("the RAG rule has one placeholder");
    sql.push(head).bind(day).push(tail);
}

crate::rows::positional! {
    /// A row of the projection.
    #[derive(Debug, FromQueryResult)]
    pub struct Row {
        pub id: Uuid,
        pub org_id: Uuid,
        pub review_id: Option<Uuid>,
        pub recommendation_id: Option<Uuid>,
        pub title: String,
        pub detail: Option<String>,
        pub owner: String,
        pub owner_user_id: Option<Uuid>,
        pub opened_on: NaiveDate,
        pub original_due_on: NaiveDate,
        pub due_on: NaiveDate,
        pub status: ActionStatus,
        pub completed_on: Option<NaiveDate>,
        pub percent_complete: Option<i32>,
        pub version: i32,
        pub created_at: chrono::DateTime<chrono::Utc>,
        pub updated_at: chrono::DateTime<chrono::Utc>,
        pub at_status: Option<ActionStatus>,
        pub at_since: Option<NaiveDate>,
        pub at_due_on: NaiveDate,
        pub at_rag: Option<String>,
    }
}

impl Row {
    /// The action, with how it stood at `at`.
    pub fn into_action(self, at: AsAt) -> Action {
        let completed_on = match self.at_status {
            Some(ActionStatus::Complete) => self.at_since,
            _ => None,
        };
        Action {
            id: ActionId(self.id),
            org_id: OrgId(self.org_id),
            review_id: self.review_id.map(ReviewId),
            recommendation_id: self.recommendation_id.map(RecommendationId),
            title: self.title,
            detail: self.detail,
            owner: self.owner,
            owner_user_id: self.owner_user_id.map(UserId),
            opened_on: self.opened_on,
            original_due_on: self.original_due_on,
            due_on: self.due_on,
            status: self.status,
            completed_on: self.completed_on,
            percent_complete: self.percent_complete,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
            standing: Standing {
                action: ActionId(self.id),
                as_of: at.day,
                known_at: at.known,
                status: self.at_status,
                due_on: self.at_due_on,
                completed_on,
                rag: self.at_rag.as_deref().and_then(Rag::from_code),
            },
        }
    }
}

/// Runs a query over the projection (or the projection itself) and returns its actions: the
/// projection names the organisations it reads (see [`projection`]).
pub async fn fetch(db: &impl ConnectionTrait, sql: &Sql, at: AsAt) -> AppResult<Vec<Action>> {
    let rows: Vec<Row> = crate::access::scope::rows_in(db, sql).await?;
    Ok(rows.into_iter().map(|r| r.into_action(at)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_patterns_escape_wildcards() {
        assert_eq!(like_pattern("Head_of 100%"), "%head\\_of 100\\%%");
    }

    #[test]
    fn the_projection_binds_every_value_it_names() {
        let day = NaiveDate::from_ymd_opt(2021, 11, 30).unwrap();
        let filter = Filter {
            rag: Some(Rag::Red),
            owner: Some("protection".into()),
            due_before: Some(day),
            ..Default::default()
        };
        let sql = projection(&OrgSet::All, &filter, AsAt::on(day));
        let stmt = sql.statement(sea_orm::DbBackend::Postgres);
        let placeholders = stmt.sql.matches('$').count();
        assert_eq!(placeholders, stmt.values.unwrap().0.len());
    }
}
