//! A review's action plan in one statement: the first page of its actions as they stood at
//! a day, the plan's counts by RAG that day, each action's latest progress update and (on
//! Postgres) its changes of delivery date.
//!
//! A committee's action plan asks for all of them at once (the benchmark's second scenario
//! is that page). Apart, they were four statements, two of them rebuilding the same as-of
//! projection. Here the counts are window sums over the projection, taken before the page
//! is cut from it. The latest updates are joined to the page's rows only, one probe of the
//! index on `(action_id, as_at, id)` each, and the changes are gathered per row into one
//! JSON array.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DbBackend, DbErr};
use uuid::Uuid;

use super::ProgressUpdate;
use crate::access::scope::rows_by_position;
use crate::access::{Access, OrgSet, Purpose};
use crate::actions::asof::{self, Detail, Filter};
use crate::actions::service::Order;
use crate::actions::summary::ActionCounts;
use crate::actions::{Action, DueDateChange};
use crate::codes::ActionStatus;
use crate::entity::{due_date_change, progress_update};
use crate::error::{AppError, AppResult};
use crate::history::AsAt;
use crate::ids::ReviewId;
use crate::pagination::{PageArgs, Paged, TotalCount};
use crate::rows::{Cursor, Positional, positional};
use crate::sql::Sql;

/// What the plan's statement answers.
pub struct Plan {
    /// The first page of the review's actions.
    pub page: Paged<Action>,
    /// All of the review's actions on the day, counted by RAG.
    pub counts: ActionCounts,
    /// The latest update of each action of the page, when asked for.
    pub latest: Option<HashMap<Uuid, Option<ProgressUpdate>>>,
    /// The changes of delivery date of each action of the page, oldest first, when asked for
    /// and read in the same statement (on Postgres).
    pub changes: Option<HashMap<Uuid, Vec<DueDateChange>>>,
}

/// What to read beside the page.
#[derive(Clone, Copy, Debug)]
pub struct Reading {
    /// The actions' `detail`.
    pub detail: Detail,
    /// Each action's latest update (of all, not as at the day).
    pub latest: bool,
    /// Each action's changes of delivery date.
    pub changes: bool,
}

/// The plan's counts, the same on every row: window sums over the whole projection.
const COUNTS: &str = "COUNT(*) OVER () AS c_rows, \
     SUM(CASE WHEN p.at_status = 'WITHDRAWN' THEN 1 ELSE 0 END) OVER () AS c_withdrawn, \
     SUM(CASE WHEN p.at_rag = 'GREEN' THEN 1 ELSE 0 END) OVER () AS c_green, \
     SUM(CASE WHEN p.at_rag = 'AMBER' THEN 1 ELSE 0 END) OVER () AS c_amber, \
     SUM(CASE WHEN p.at_rag = 'RED' THEN 1 ELSE 0 END) OVER () AS c_red, \
     MIN(CASE WHEN p.at_rag = 'AMBER' THEN p.at_due_on END) OVER () AS c_next_due_on";

/// The latest update's columns, prefixed: they sit beside the action's own.
const LATEST: &str = ", u.id AS u_id, u.org_id AS u_org_id, u.action_id AS u_action_id, \
     u.as_at AS u_as_at, u.narrative AS u_narrative, u.new_status AS u_new_status, \
     u.percent_complete AS u_percent_complete, u.author_id AS u_author_id, \
     u.recorded_at AS u_recorded_at, u.correction_reason AS u_correction_reason";

positional! {
    /// The plan's counts, the same on every row.
    struct Counts {
        c_rows: i64,
        c_withdrawn: i64,
        c_green: i64,
        c_amber: i64,
        c_red: i64,
        c_next_due_on: Option<NaiveDate>,
    }
}

positional! {
    /// An action's latest update, every column null when it has none.
    struct Latest {
        u_id: Option<Uuid>,
        u_org_id: Option<Uuid>,
        u_action_id: Option<Uuid>,
        u_as_at: Option<NaiveDate>,
        u_narrative: Option<String>,
        u_new_status: Option<ActionStatus>,
        u_percent_complete: Option<i32>,
        u_author_id: Option<Uuid>,
        u_recorded_at: Option<chrono::DateTime<chrono::Utc>>,
        u_correction_reason: Option<String>,
    }
}

impl Latest {
    fn into_update(self) -> Option<ProgressUpdate> {
        Some(ProgressUpdate::from(progress_update::Model {
            id: self.u_id?,
            org_id: self.u_org_id?,
            action_id: self.u_action_id?,
            as_at: self.u_as_at?,
            narrative: self.u_narrative?,
            new_status: self.u_new_status,
            percent_complete: self.u_percent_complete,
            author_id: self.u_author_id,
            recorded_at: self.u_recorded_at?,
            correction_reason: self.u_correction_reason,
        }))
    }
}

/// A row of the plan's statement: an action of the page, the plan's counts, the action's
/// latest update when asked for (else `None`), and its changes of delivery date as JSON.
struct Row {
    action: asof::Row,
    counts: Counts,
    latest: Option<Latest>,
    changes_json: Option<String>,
}

/// A [`Row`] as read: with the latest update's columns when `LATEST`.
struct Read<const LATEST: bool>(Row);

impl<const LATEST: bool> Positional for Read<LATEST> {
    fn columns(names: &mut Vec<&'static str>) {
        asof::Row::columns(names);
        Counts::columns(names);
        if LATEST {
            Latest::columns(names);
        }
        names.push("changes_json");
    }

    fn read(row: &mut Cursor<'_>) -> Result<Self, DbErr> {
        Ok(Read(Row {
            action: asof::Row::read(row)?,
            counts: Counts::read(row)?,
            latest: if LATEST {
                Some(Latest::read(row)?)
            } else {
                None
            },
            changes_json: row.column()?,
        }))
    }
}

/// The rows of the plan's statement `sql`, with the latest updates' columns when `LATEST`.
async fn rows_of<const LATEST: bool>(access: &Access, sql: &Sql) -> AppResult<Vec<Row>> {
    let read: Vec<Read<LATEST>> = rows_by_position(access, sql).await?;
    Ok(read.into_iter().map(|r| r.0).collect())
}

/// Each action's changes of delivery date as one JSON array, oldest first (`[]` for none), in
/// `scope`: Postgres only (SQLite reads them apart).
fn push_changes(sql: &mut Sql, scope: &OrgSet) {
    sql.push(
        ", COALESCE((SELECT json_agg(json_build_object('id', c.id, 'org_id', c.org_id, \
         'action_id', c.action_id, 'previous_due_on', c.previous_due_on, \
         'new_due_on', c.new_due_on, 'reason', c.reason, 'effective_on', c.effective_on, \
         'changed_by', c.changed_by, 'changed_at', c.changed_at, \
         'correction_reason', c.correction_reason) ORDER BY c.effective_on, c.id) \
         FROM due_date_changes c WHERE c.action_id = w.id AND ",
    );
    scope.push_condition(sql, "c.org_id");
    sql.push("), '[]')::text AS changes_json");
}

/// The changes of [`push_changes`]' column: its objects are the table's rows, by column name.
fn changes_of(json: &str) -> AppResult<Vec<DueDateChange>> {
    let changes: Vec<due_date_change::Model> = serde_json::from_str(json)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("a plan's changes of date: {e}")))?;
    Ok(changes.into_iter().map(DueDateChange::from).collect())
}

/// Joins each row `w` of the page to its action's latest update, `u`, in `scope`.
fn latest_update(sql: &mut Sql, scope: &OrgSet, backend: DbBackend) {
    match backend {
        // One probe of the index on `(action_id, as_at, id)` per row of the page. Joined on
        // the id a subquery finds instead, Postgres hashed every update of the organisation
        // first (1.4 ms for a council's 1,800).
        DbBackend::Postgres => {
            sql.push(
                " LEFT JOIN LATERAL (SELECT l.* FROM progress_updates l \
                 WHERE l.action_id = w.id AND ",
            );
            scope.push_condition(sql, "l.org_id");
            sql.push(" ORDER BY l.as_at DESC, l.id DESC LIMIT 1) u ON true");
        }
        // SQLite has no `LATERAL`; it probes the index for the subquery's id, row by row.
        _ => {
            sql.push(
                " LEFT JOIN progress_updates u ON u.id = (SELECT l.id FROM progress_updates l \
                 WHERE l.action_id = w.id ORDER BY l.as_at DESC, l.id DESC LIMIT 1) AND ",
            );
            scope.push_condition(sql, "u.org_id");
        }
    }
}

/// The first page of `review`'s actions in `order` as they stood at `at`, the review's counts
/// then, and what `reading` asks beside: one statement. The caller has checked that the
/// review is one it may read in detail; the projection's scope applies besides.
pub async fn first_page(
    access: &Access,
    review: ReviewId,
    at: AsAt,
    order: Order,
    page: &PageArgs,
    reading: Reading,
) -> AppResult<Plan> {
    if !page.is_first() {
        return Err(AppError::Internal(anyhow::anyhow!(
            "a plan's counts ride only on its first page"
        )));
    }
    let scope = access.orgs(Purpose::Detail);
    let filter = Filter {
        reviews: Some(vec![review]),
        ..Default::default()
    };
    let projection = asof::projection_from(
        asof::Source::for_view(at),
        &scope,
        &filter,
        at,
        reading.detail,
    );
    let mut windowed = Sql::new("SELECT p.*, ");
    windowed
        .push(COUNTS)
        .push(" FROM (")
        .append(&projection)
        .push(") p WHERE 1 = 1");
    order.keyset(&mut windowed, "p", page)?;
    let backend = access.db().get_database_backend();
    let mut sql = Sql::new("SELECT w.*");
    if reading.latest {
        sql.push(LATEST);
    }
    let read_changes = reading.changes && backend == DbBackend::Postgres;
    if read_changes {
        push_changes(&mut sql, &scope);
    } else {
        // Both row types carry the column; null: the changes, if asked for, are read apart.
        sql.push(", CAST(NULL AS TEXT) AS changes_json");
    }
    sql.push(" FROM (").append(&windowed).push(") w");
    if reading.latest {
        latest_update(&mut sql, &scope, backend);
    }
    sql.push(&order.first_page_order("w"));

    let mut rows = Vec::new();
    let mut counts = None;
    let mut latest = reading.latest.then(HashMap::new);
    let mut changes = read_changes.then(HashMap::new);
    let mut keep_changes = |id: Uuid, json: Option<String>| -> AppResult<()> {
        if let (Some(changes), Some(json)) = (changes.as_mut(), json) {
            changes.insert(id, changes_of(&json)?);
        }
        Ok(())
    };
    let read = if reading.latest {
        rows_of::<true>(access, &sql).await?
    } else {
        rows_of::<false>(access, &sql).await?
    };
    for row in read {
        if let (Some(latest), Some(update)) = (latest.as_mut(), row.latest) {
            latest.insert(row.action.id, update.into_update());
        }
        keep_changes(row.action.id, row.changes_json)?;
        counts = Some(row.counts);
        rows.push(row.action);
    }
    // No row: the review had no action that day, so every count is zero.
    let (counts, total) = match counts {
        Some(c) => (
            ActionCounts {
                total: c.c_rows - c.c_withdrawn,
                green: c.c_green,
                amber: c.c_amber,
                red: c.c_red,
                withdrawn: c.c_withdrawn,
                next_due_on: c.c_next_due_on,
            },
            c.c_rows,
        ),
        None => (ActionCounts::default(), 0),
    };
    let actions: Vec<Action> = rows.into_iter().map(|r| r.into_action(at)).collect();
    Ok(Plan {
        page: Paged::from_rows(
            page,
            actions,
            TotalCount::known(total.max(0) as u64),
            |a| order.cursor(a),
            |a| a,
        ),
        counts,
        latest,
        changes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_read_as_postgres_writes_them() {
        // `json_build_object` writes a timestamptz with the session's offset and
        // microseconds, a date as a plain date, and SQL nulls as JSON nulls.
        let json = r#"[{"id" : "0167b63e-aca0-7d7e-9fa4-3f7a9ea1900c",
            "org_id" : "0167b63e-aca0-7d7e-9fa4-3f7a9ea1900c",
            "action_id" : "017b8bfc-b680-74b3-a21a-58694b1ed4d8",
            "previous_due_on" : "2021-03-31", "new_due_on" : "2021-06-30",
            "reason" : "Consultation ran late", "effective_on" : "2021-03-15",
            "changed_by" : null, "changed_at" : "2021-03-16T09:30:00.123456+01:00",
            "correction_reason" : null}]"#;
        let changes = changes_of(json).unwrap();
        assert_eq!(changes.len(), 1);
        let change = &changes[0];
        assert_eq!(change.new_due_on.to_string(), "2021-06-30");
        assert_eq!(
            change.changed_at.to_rfc3339(),
            "2021-03-16T08:30:00.123456+00:00"
        );
        assert!(change.changed_by.is_none() && change.correction_reason.is_none());
        assert!(changes_of("[]").unwrap().is_empty());
        assert!(changes_of("{").is_err());
    }
}
