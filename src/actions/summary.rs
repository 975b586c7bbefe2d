//! Summaries computed in SQL: where a review or an organisation stood on a day, and what
//! moved between two committee dates.
//!
//! A summary of a review is detail (its reader must be able to read the review); a summary of
//! an organisation is a summary (its panels read it, and partner bodies where it shares by
//! name).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

use super::asof::{self, Filter};
use super::{Action, ActionStatus, DueDateChange, Rag};
use crate::access::scope;
use crate::access::{Access, OrgSet, Purpose};
use crate::entity::due_date_change;
use crate::epochs::Family;
use crate::error::AppResult;
use crate::history::AsAt;
use crate::ids::{OrgId, ReviewId};
use crate::reviews::RecommendationStatus;
use crate::sql::Sql;

/// What a summary is grouped by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Grouping {
    /// One summary per review.
    Review,
    /// One summary per organisation, across all its reviews (and free-standing actions).
    Organisation,
}

impl Grouping {
    fn column(self, alias: &str) -> String {
        match self {
            Grouping::Review => format!("{alias}.review_id"),
            Grouping::Organisation => format!("{alias}.org_id"),
        }
    }

    fn scope(self, access: &Access) -> OrgSet {
        match self {
            Grouping::Review => access.orgs(Purpose::Detail),
            Grouping::Organisation => access.orgs(Purpose::Summary),
        }
    }

    fn filter(self, keys: &[Uuid]) -> Filter {
        match self {
            Grouping::Review => Filter {
                reviews: Some(keys.iter().copied().map(ReviewId).collect()),
                ..Default::default()
            },
            Grouping::Organisation => Filter {
                organisations: Some(keys.iter().copied().map(OrgId).collect()),
                ..Default::default()
            },
        }
    }
}

/// Counts of recommendations by status on a day.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecommendationCounts {
    pub by_status: Vec<(RecommendationStatus, i64)>,
}

impl RecommendationCounts {
    /// All made by the day.
    pub fn total(&self) -> i64 {
        self.by_status.iter().map(|(_, n)| n).sum()
    }

    /// Those with `status`.
    pub fn with(&self, status: RecommendationStatus) -> i64 {
        self.by_status
            .iter()
            .filter(|(s, _)| *s == status)
            .map(|(_, n)| n)
            .sum()
    }

    /// Those still asking something of the organisation.
    pub fn outstanding(&self) -> i64 {
        self.by_status
            .iter()
            .filter(|(s, _)| s.is_outstanding())
            .map(|(_, n)| n)
            .sum()
    }
}

/// Counts of actions by RAG on a day.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ActionCounts {
    /// Actions agreed by the day, withdrawn ones left out.
    pub total: i64,
    pub green: i64,
    pub amber: i64,
    pub red: i64,
    pub withdrawn: i64,
    /// The earliest delivery date still ahead among actions not complete.
    pub next_due_on: Option<NaiveDate>,
}

impl ActionCounts {
    /// The share of actions complete, in percent; `None` when there are none.
    pub fn percent_complete(&self) -> Option<f64> {
        (self.total > 0).then(|| (self.green as f64) * 100.0 / (self.total as f64))
    }
}

/// Where a review or an organisation stood at the end of a day. Its actions are counted when
/// it is made; its recommendations only when a field asks for them (through the request's
/// loaders), since most views of progress read the actions alone.
#[derive(Clone, Debug, PartialEq)]
pub struct ProgressSummary {
    pub grouping: Grouping,
    /// The review or organisation.
    pub key: Uuid,
    /// The day it is as at, and the moment it is as known at.
    pub at: AsAt,
    pub actions: ActionCounts,
}

impl ProgressSummary {
    /// A summary of nothing recorded.
    pub fn empty(grouping: Grouping, key: Uuid, at: AsAt) -> Self {
        ProgressSummary {
            grouping,
            key,
            at,
            actions: ActionCounts::default(),
        }
    }
}

/// The actions of a projection `p` by status and RAG on the day, with the earliest delivery
/// date of each tally: a handful of rows per group, which [`ActionCounts::add`] folds. Grouping
/// by the two values costs the database less than a conditional sum per count per row, and the
/// RAG stays the projection's.
const TALLY: &str = "p.at_status, p.at_rag, COUNT(*) AS n, MIN(p.at_due_on) AS first_due_on";

/// One tally of [`TALLY`].
#[derive(FromQueryResult)]
struct Tally {
    at_status: Option<String>,
    at_rag: Option<String>,
    n: i64,
    first_due_on: Option<NaiveDate>,
}

#[derive(FromQueryResult)]
struct GroupedTally {
    grp: Option<Uuid>,
    #[sea_orm(nested)]
    tally: Tally,
}

impl ActionCounts {
    /// Adds a tally: withdrawn actions apart from the total, the rest by RAG.
    fn add(&mut self, tally: &Tally) {
        if tally.at_status.as_deref() == Some(ActionStatus::Withdrawn.code()) {
            self.withdrawn += tally.n;
        } else {
            self.total += tally.n;
        }
        match tally.at_rag.as_deref().and_then(Rag::from_code) {
            Some(Rag::Green) => self.green += tally.n,
            Some(Rag::Red) => self.red += tally.n,
            Some(Rag::Amber) => {
                self.amber += tally.n;
                self.next_due_on = match (self.next_due_on, tally.first_due_on) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
            None => {}
        }
    }
}

#[derive(FromQueryResult)]
struct GroupedRecommendations {
    grp: Uuid,
    at_status: RecommendationStatus,
    n: i64,
}

/// Each organisation's actions by RAG at the end of a day, with the actions' epoch they were
/// counted at: every organisation on a handful of days each.
struct RememberedCounts;

impl crate::cache::Memo for RememberedCounts {
    // As known at a past moment, counts cannot change; as known now, the epoch says whether
    // they still hold.
    type Key = (Uuid, AsAt);
    type Value = (i64, ActionCounts);
    const CAPACITY: usize = 100_000;
}

/// The actions of each of `keys` (reviews or organisations, per `grouping`) counted by RAG
/// at the end of `day`. Keys outside the caller's scope get none; keys in scope without
/// actions get zeros.
///
/// An organisation's counts are remembered between requests and reused while its actions'
/// epoch stays where it was (see [`crate::epochs`]): one statement reads the epochs, and only
/// the organisations whose actions changed since are counted, in one more. A panel's heat map
/// of 33 members, refreshed by many users, would otherwise count tens of thousands of actions
/// each time. A review's counts are counted each time (one statement).
pub async fn action_counts(
    access: &Access,
    grouping: Grouping,
    keys: &[Uuid],
    at: AsAt,
) -> AppResult<HashMap<Uuid, ActionCounts>> {
    if grouping == Grouping::Review {
        return count_actions(access, grouping, keys, at).await;
    }
    let scope = grouping.scope(access);
    let orgs: Vec<Uuid> = keys
        .iter()
        .copied()
        .filter(|k| scope.contains(*k))
        .collect();
    if orgs.is_empty() {
        return Ok(HashMap::new());
    }
    // The epochs are read first: what is counted after them is at least as new.
    let epochs = access.epochs(Family::Actions, &orgs).await?;
    let remembered = access.remembered().of::<RememberedCounts>();
    let mut out = HashMap::with_capacity(orgs.len());
    let mut stale = Vec::new();
    for org in orgs {
        match epochs
            .get(&org)
            .and_then(|epoch| remembered.at_epoch(&(org, at), *epoch))
        {
            Some(counts) => {
                out.insert(org, counts);
            }
            None => stale.push(org),
        }
    }
    if !stale.is_empty() {
        for (org, counts) in count_actions(access, grouping, &stale, at).await? {
            let epoch = epochs.get(&org).copied().unwrap_or(0);
            remembered.keep_newest((org, at), epoch, counts.clone());
            out.insert(org, counts);
        }
    }
    Ok(out)
}

/// Runs a grouped count of `keys`: of organisations as a summary (row-level security lets
/// summaries count what the caller may not read row by row; see
/// [`crate::db::RequestDb::for_summary`]), of reviews as detail. Organisations whose records
/// the caller reads in detail (its own, on its dashboard) are counted as detail too: row-level
/// security gives a summary no row of theirs that detail does not, and the statements that
/// set and reset a summary's purpose would double the count's round trips.
async fn grouped_rows<T: FromQueryResult>(
    access: &Access,
    grouping: Grouping,
    keys: &[Uuid],
    sql: &Sql,
) -> AppResult<Vec<T>> {
    let counted_in_detail = || {
        let detail = access.orgs(Purpose::Detail);
        keys.iter().all(|k| detail.contains(*k))
    };
    match grouping {
        Grouping::Organisation if !counted_in_detail() => scope::summary_rows(access, sql).await,
        _ => scope::rows(access, sql).await,
    }
}

/// Counts the actions of each of `keys` by RAG at the end of `day`: one statement, whatever
/// the number of keys. Keys outside the caller's scope get none; keys in scope without
/// actions get zeros.
async fn count_actions(
    access: &Access,
    grouping: Grouping,
    keys: &[Uuid],
    at: AsAt,
) -> AppResult<HashMap<Uuid, ActionCounts>> {
    let scope = grouping.scope(access);
    let mut out: HashMap<Uuid, ActionCounts> = keys
        .iter()
        .filter(|key| match grouping {
            Grouping::Organisation => scope.contains(**key),
            // A review's readability is checked by whoever holds the review.
            Grouping::Review => true,
        })
        .map(|key| (*key, ActionCounts::default()))
        .collect();
    let group = grouping.column("p");
    let mut sql = Sql::new("SELECT ");
    sql.push(&group)
        .push(" AS grp, ")
        .push(TALLY)
        .push(" FROM (");
    sql.append(&asof::projection(&scope, &grouping.filter(keys), at))
        .push(") p GROUP BY ")
        .push(&group)
        .push(", p.at_status, p.at_rag");
    let rows: Vec<GroupedTally> = grouped_rows(access, grouping, keys, &sql).await?;
    for row in rows {
        if let Some(counts) = row.grp.and_then(|g| out.get_mut(&g)) {
            counts.add(&row.tally);
        }
    }
    Ok(out)
}

/// The summary of each of `keys` (reviews or organisations, per `grouping`) at the end of
/// `day`: one statement, whatever the number of keys. Keys outside the caller's scope get
/// none.
pub async fn progress(
    access: &Access,
    grouping: Grouping,
    keys: &[Uuid],
    at: AsAt,
) -> AppResult<HashMap<Uuid, ProgressSummary>> {
    // Every key in scope gets a summary, zero where nothing is recorded.
    Ok(action_counts(access, grouping, keys, at)
        .await?
        .into_iter()
        .map(|(key, actions)| {
            let mut summary = ProgressSummary::empty(grouping, key, at);
            summary.actions = actions;
            (key, summary)
        })
        .collect())
}

/// The recommendations of each of `keys` (reviews or organisations, per `grouping`) counted by
/// the status each had at the end of `day`: one statement, whatever the number of keys. Keys
/// outside the caller's scope, or without recommendations, get none.
pub async fn recommendation_counts(
    access: &Access,
    grouping: Grouping,
    keys: &[Uuid],
    at: AsAt,
) -> AppResult<HashMap<Uuid, RecommendationCounts>> {
    let scope = grouping.scope(access);
    let group = grouping.column("r");
    let mut sql = Sql::new("SELECT t.grp, t.at_status, COUNT(*) AS n FROM (SELECT ");
    sql.push(&group).push(" AS grp, ");
    crate::reviews::standing::push_status(&mut sql, at);
    sql.push(" AS at_status FROM recommendations r WHERE ");
    scope.push_condition(&mut sql, "r.org_id");
    asof::known(&mut sql, "r.created_at", at);
    sql.push(" AND ").push_in(&group, keys.iter().copied());
    sql.push(") t WHERE t.at_status IS NOT NULL GROUP BY t.grp, t.at_status");
    let rows: Vec<GroupedRecommendations> = grouped_rows(access, grouping, keys, &sql).await?;
    let mut out: HashMap<Uuid, RecommendationCounts> = HashMap::new();
    for row in rows {
        out.entry(row.grp)
            .or_default()
            .by_status
            .push((row.at_status, row.n));
    }
    for counts in out.values_mut() {
        counts
            .by_status
            .sort_by_key(|(s, _)| RecommendationStatus::ALL.iter().position(|x| x == s));
    }
    Ok(out)
}

/// The actions matching `filter` that the caller reads in detail, counted by RAG at the end of
/// `day`: one statement.
pub async fn counts(access: &Access, filter: &Filter, at: AsAt) -> AppResult<ActionCounts> {
    let mut sql = Sql::new("SELECT ");
    sql.push(TALLY).push(" FROM (");
    sql.append(&asof::projection(&access.orgs(Purpose::Detail), filter, at))
        .push(") p GROUP BY p.at_status, p.at_rag");
    let mut counts = ActionCounts::default();
    for tally in scope::rows::<Tally>(access, &sql).await? {
        counts.add(&tally);
    }
    Ok(counts)
}

/// A window between two committee dates, over one review or one organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub grouping: Grouping,
    pub key: Uuid,
    /// The earlier date (excluded).
    pub from: NaiveDate,
    /// The later date (included).
    pub to: NaiveDate,
    /// The moment both ends are as known at; `None` is now.
    pub known: Option<DateTime<Utc>>,
}

/// What moved between two dates: changes are read in detail, so the caller must be able to
/// read the actions themselves.
impl Window {
    fn filter(&self) -> Filter {
        self.grouping.filter(&[self.key])
    }

    /// The window's start, as known at its moment.
    pub fn start(&self) -> AsAt {
        AsAt {
            day: self.from,
            known: self.known,
        }
    }

    /// The window's end, as known at its moment.
    pub fn end(&self) -> AsAt {
        AsAt {
            day: self.to,
            known: self.known,
        }
    }

    /// The projection at `to` joined to the one at `from` (absent for actions agreed since).
    fn both_ends(&self, access: &Access) -> Sql {
        let scope = access.orgs(Purpose::Detail);
        let mut sql = Sql::new("SELECT now_.* FROM (");
        sql.append(&asof::projection(&scope, &self.filter(), self.end()))
            .push(") now_ LEFT JOIN (")
            .append(&asof::projection(&scope, &self.filter(), self.start()))
            .push(") then_ ON then_.id = now_.id WHERE ");
        sql
    }

    /// Actions complete at `to` that were not at `from`.
    pub fn completed(&self, access: &Access) -> Sql {
        let mut sql = self.both_ends(access);
        sql.push(
            "now_.at_status = 'COMPLETE' AND (then_.id IS NULL OR then_.at_status <> 'COMPLETE')",
        );
        sql
    }

    /// Actions RED at `to` that were not at `from`.
    pub fn newly_overdue(&self, access: &Access) -> Sql {
        let mut sql = self.both_ends(access);
        sql.push(
            "now_.at_rag = 'RED' AND (then_.id IS NULL OR then_.at_rag IS NULL OR then_.at_rag <> 'RED')",
        );
        sql
    }

    /// Changes of delivery date that took effect after `from`, up to `to`.
    pub fn due_date_changes(&self, access: &Access) -> Sql {
        let mut sql = Sql::new(
            "SELECT c.* FROM due_date_changes c JOIN actions a ON a.id = c.action_id WHERE ",
        );
        access
            .orgs(Purpose::Detail)
            .push_condition(&mut sql, "c.org_id");
        sql.push(" AND ")
            .push(&self.grouping.column("a"))
            .push(" = ")
            .bind(self.key);
        sql.push(" AND c.effective_on > ")
            .bind(self.from)
            .push(" AND c.effective_on <= ")
            .bind(self.to);
        asof::known(&mut sql, "c.changed_at", self.end());
        sql
    }

    /// Progress updates dated after `from`, up to `to`.
    pub fn updates(&self, access: &Access) -> Sql {
        let mut sql = Sql::new(
            "SELECT u.* FROM progress_updates u JOIN actions a ON a.id = u.action_id WHERE ",
        );
        access
            .orgs(Purpose::Detail)
            .push_condition(&mut sql, "u.org_id");
        sql.push(" AND ")
            .push(&self.grouping.column("a"))
            .push(" = ")
            .bind(self.key);
        sql.push(" AND u.as_at > ")
            .bind(self.from)
            .push(" AND u.as_at <= ")
            .bind(self.to);
        asof::known(&mut sql, "u.recorded_at", self.end());
        sql
    }
}

/// How many rows a query of a window returns.
pub async fn count(access: &Access, query: &Sql) -> AppResult<i64> {
    let mut sql = Sql::new("SELECT COUNT(*) AS n FROM (");
    sql.append(query).push(") counted");
    let db = access.db();
    let row = db
        .query_one_raw(sql.statement(db.get_database_backend()))
        .await?;
    Ok(match row {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    })
}

/// The actions of a window query, as they stood at its end, by delivery date.
pub async fn actions(
    access: &Access,
    window: &Window,
    query: Sql,
    limit: u64,
) -> AppResult<Vec<Action>> {
    let mut sql = Sql::new("SELECT w.* FROM (");
    sql.append(&query)
        .push(") w ORDER BY w.at_due_on, w.id LIMIT ")
        .bind(limit as i64);
    asof::fetch(access.db(), &sql, window.end()).await
}

/// The changes of delivery date of a window, in the order they took effect.
pub async fn due_date_changes(
    access: &Access,
    query: Sql,
    limit: u64,
) -> AppResult<Vec<DueDateChange>> {
    let mut sql = Sql::new("SELECT w.* FROM (");
    sql.append(&query)
        .push(") w ORDER BY w.effective_on, w.id LIMIT ")
        .bind(limit as i64);
    Ok(scope::rows::<due_date_change::Model>(access, &sql)
        .await?
        .into_iter()
        .map(DueDateChange::from)
        .collect())
}
