//! Recording and reading progress updates and evidence.
//!
//! Contributors and managers of the owning organisation report progress; there is no way to
//! edit or delete an update (a correction is a new update). Reads are detail.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, QuerySelect};
use tracing::instrument;
use uuid::Uuid;

use super::{Evidence, ProgressUpdate};
use crate::access::Access;
use crate::access::Purpose;
use crate::access::scope::{self, TenantOwned};
use crate::actions::{Action, ActionStatus, service as actions};
use crate::audit::{self, Author, Change, EntityType};
use crate::auth::Role;
use crate::dates::london_today;
use crate::entity::{action, evidence, progress_update};
use crate::error::{AppError, AppResult};
use crate::history::{self, AsAt};
use crate::ids::{ActionId, EvidenceId, OrgId, ProgressUpdateId};
use crate::pagination::{Cursor, PageArgs, Paged, Sort, not_ours};
use crate::sql::Sql;
use crate::validate;
use crate::validate::{MAX_PROSE, MAX_TITLE, MAX_URL};

/// A new progress update, checked.
#[derive(Clone, Debug)]
pub struct NewUpdate {
    pub as_at: NaiveDate,
    pub narrative: String,
    pub new_status: Option<ActionStatus>,
    pub percent_complete: Option<i32>,
    /// Why, when it is dated before the action's latest update (or status): a correction.
    pub correction_reason: Option<String>,
}

/// Checks a narrative.
pub fn check_narrative(field: &str, raw: &str) -> AppResult<String> {
    validate::required_prose(field, raw, MAX_PROSE)
}

/// Checks a percentage: 0 to 100.
pub fn check_percent(field: &str, raw: Option<i32>) -> AppResult<Option<i32>> {
    match raw {
        Some(p) if !(0..=100).contains(&p) => {
            Err(AppError::bad_input(field, "must be between 0 and 100"))
        }
        other => Ok(other),
    }
}

/// Adds a progress update to an action of the caller's own organisation. A new status joins
/// the action's history from the update's as-at date.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn add_update(
    access: &Access,
    action_id: ActionId,
    new: NewUpdate,
) -> AppResult<(ProgressUpdate, Action)> {
    let action = actions::get_own(access, action_id).await?;
    access.require_role(&[Role::Contributor, Role::Manager], "report progress")?;
    validate::not_after("input.asAt", new.as_at, london_today())?;
    validate::not_before(
        "input.asAt",
        new.as_at,
        action.opened_on,
        "the day the action was agreed",
    )?;
    let org = action.org_id;
    // Updates, and the statuses they carry, arrive in the order they happened: one dated before
    // the latest is a correction.
    let latest_update = latest_as_at(access, org, action_id).await?;
    let latest_status = match new.new_status {
        Some(_) => actions::latest_status_on(access.db(), org, action_id).await?,
        None => None,
    };
    let (latest, what) = match (latest_update, latest_status) {
        (Some(u), Some(s)) if s > u => (Some(s), "the action's latest status"),
        (Some(u), _) => (Some(u), "the action's latest update"),
        (None, s) => (s, "the action's latest status"),
    };
    let correction = history::admit(
        access,
        "input.asAt",
        new.as_at,
        latest,
        what,
        "input.correctionReason",
        new.correction_reason.as_deref(),
    )?;
    let author = access.actor().user_id;
    let id = ProgressUpdateId::new();
    let txn = access.begin_write().await?;
    let row = progress_update::Model {
        id: id.0,
        org_id: org.0,
        action_id: action_id.0,
        as_at: new.as_at,
        narrative: new.narrative,
        new_status: new.new_status,
        percent_complete: new.percent_complete,
        author_id: Some(author.0),
        recorded_at: Utc::now(),
        correction_reason: correction.clone(),
    };
    scope::insert_owned(org, progress_update::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    if let Some(status) = new.new_status {
        let entry = actions::StatusEntry {
            status,
            effective_on: new.as_at,
            progress_update: Some(id),
            by: Some(author),
            correction,
        };
        actions::record_status(&txn, org, action_id, entry).await?;
    }
    refresh_percent(&txn, org, action_id).await?;
    // The action's row changed (status, percentage): move its version on, so that an edit
    // based on what it was is refused.
    scope::update_owned::<action::Entity>(org)
        .col_expr(
            action::Column::Version,
            Expr::col(action::Column::Version).add(1),
        )
        .col_expr(action::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(action::Column::Id.eq(action_id.0))
        .exec(&txn)
        .await?;
    let update = ProgressUpdate::from(row);
    audit::record(
        &txn,
        Author::from(access),
        Change::created(org, EntityType::ProgressUpdate, id.0, &update),
    )
    .await?;
    let action = actions::reload(&txn, org, action_id).await?;
    txn.commit().await?;
    Ok((update, action))
}

/// The as-at date of an action's latest progress update.
async fn latest_as_at(
    access: &Access,
    org: OrgId,
    action_id: ActionId,
) -> AppResult<Option<NaiveDate>> {
    Ok(scope::owned_rows::<progress_update::Entity>(org)
        .select_only()
        .column(progress_update::Column::AsAt)
        .filter(progress_update::Column::ActionId.eq(action_id.0))
        .order_by_desc(progress_update::Column::AsAt)
        .into_tuple()
        .one(access.db())
        .await?)
}

/// Sets an action's percentage complete to that of its latest update that gave one.
async fn refresh_percent(
    txn: &impl ConnectionTrait,
    org: OrgId,
    action_id: ActionId,
) -> AppResult<()> {
    let latest: Option<Option<i32>> = scope::owned_rows::<progress_update::Entity>(org)
        .select_only()
        .column(progress_update::Column::PercentComplete)
        .filter(progress_update::Column::ActionId.eq(action_id.0))
        .filter(progress_update::Column::PercentComplete.is_not_null())
        .order_by_desc(progress_update::Column::AsAt)
        .order_by_desc(progress_update::Column::Id)
        .into_tuple()
        .one(txn)
        .await?;
    scope::update_owned::<action::Entity>(org)
        .col_expr(
            action::Column::PercentComplete,
            Expr::value(latest.flatten()),
        )
        .filter(action::Column::Id.eq(action_id.0))
        .exec(txn)
        .await?;
    Ok(())
}

/// One progress update the caller may read.
pub async fn get_update(access: &Access, id: ProgressUpdateId) -> AppResult<ProgressUpdate> {
    scope::one::<progress_update::Entity>(access, Purpose::Detail, id.0, "progress update")
        .await
        .map(ProgressUpdate::from)
}

/// One piece of evidence the caller may read.
pub async fn get_evidence(access: &Access, id: EvidenceId) -> AppResult<Evidence> {
    scope::one::<evidence::Entity>(access, Purpose::Detail, id.0, "evidence")
        .await
        .map(Evidence::from)
}

/// The updates of an action the caller may read, latest as-at date first.
pub async fn updates(
    access: &Access,
    action_id: ActionId,
    page: PageArgs,
) -> AppResult<Paged<ProgressUpdate>> {
    let query = progress_update::Entity::readable(access)
        .filter(progress_update::Column::ActionId.eq(action_id.0));
    let total = crate::access::scope::total_of(access, query.clone());
    let rows = page
        .keyset(
            query,
            Some(progress_update::Column::AsAt),
            progress_update::Column::Id,
            Sort::Descending,
            |key, field| {
                crate::dates::Date::parse(key)
                    .map(|d| d.0.into())
                    .ok_or_else(|| not_ours(field))
            },
        )?
        .all(access.db())
        .await?;
    Ok(Paged::from_rows(
        &page,
        rows,
        total,
        |m| Cursor::keyed(m.as_at.to_string(), m.id),
        ProgressUpdate::from,
    ))
}

/// The latest update (by as-at date) of each of `action_ids`; `None` for an action without.
pub async fn latest(
    access: &Access,
    action_ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, Option<ProgressUpdate>>> {
    latest_where(access, action_ids, None).await
}

/// The latest progress update of each of `ids` as it stood at `at`: dated on or before the day
/// and recorded by the moment. One statement, as [`latest`].
pub async fn latest_at(
    access: &Access,
    ids: Vec<Uuid>,
    at: AsAt,
) -> AppResult<HashMap<Uuid, Option<ProgressUpdate>>> {
    latest_where(access, ids, Some(at)).await
}

async fn latest_where(
    access: &Access,
    action_ids: Vec<Uuid>,
    at: Option<AsAt>,
) -> AppResult<HashMap<Uuid, Option<ProgressUpdate>>> {
    // One statement for the page: for each action, the id of its latest update, found by one
    // probe of the index on `(action_id, as_at, id)`. The scope applies to the updates, so
    // the actions are found by their ids alone: a plan that starts from the organisation
    // would read every action of a large one.
    let mut sql = Sql::new(
        "SELECT u.* FROM actions a JOIN progress_updates u ON u.id = (SELECT l.id \
         FROM progress_updates l WHERE l.action_id = a.id",
    );
    if let Some(at) = at {
        sql.push(" AND l.as_at <= ").bind(at.day);
        history::push_known(&mut sql, "l.recorded_at", at);
    }
    sql.push(" ORDER BY l.as_at DESC, l.id DESC LIMIT 1) WHERE ")
        .push_in("a.id", action_ids.iter().copied())
        .push(" AND ");
    access
        .orgs(crate::access::Purpose::Detail)
        .push_condition(&mut sql, "u.org_id");
    let rows: Vec<progress_update::Model> = scope::rows(access, &sql).await?;
    let mut out: HashMap<Uuid, Option<ProgressUpdate>> =
        action_ids.into_iter().map(|id| (id, None)).collect();
    for row in rows {
        out.insert(row.action_id, Some(ProgressUpdate::from(row)));
    }
    Ok(out)
}

#[derive(sea_orm::FromQueryResult)]
struct Percent {
    id: Uuid,
    pct: Option<i32>,
}

/// The percentage complete of each of `ids` at `at`: the latest update on or before the day (as
/// known at the moment) that gave one. One statement.
pub async fn percents(
    access: &Access,
    ids: Vec<Uuid>,
    at: AsAt,
) -> AppResult<HashMap<Uuid, Option<i32>>> {
    let mut sql = Sql::new(
        "SELECT a.id, (SELECT u.percent_complete FROM progress_updates u \
         WHERE u.action_id = a.id AND u.percent_complete IS NOT NULL AND u.as_at <= ",
    );
    sql.bind(at.day);
    history::push_known(&mut sql, "u.recorded_at", at);
    sql.push(" ORDER BY u.as_at DESC, u.id DESC LIMIT 1) AS pct FROM actions a WHERE ")
        .push_in("a.id", ids.iter().copied())
        .push(" AND ");
    access
        .orgs(Purpose::Detail)
        .push_condition(&mut sql, "a.org_id");
    Ok(scope::rows::<Percent>(access, &sql)
        .await?
        .into_iter()
        .map(|row| (row.id, row.pct))
        .collect())
}

/// A new piece of evidence, checked: a title and a link, a document reference, or both.
#[derive(Clone, Debug)]
pub struct NewEvidence {
    pub title: String,
    pub url: Option<String>,
    pub reference: Option<String>,
}

impl NewEvidence {
    /// Checks raw fields; errors name them under `input.`.
    pub fn parse(title: &str, url: Option<&str>, reference: Option<&str>) -> AppResult<Self> {
        let url = url
            .filter(|u| !u.trim().is_empty())
            .map(|u| validate::url("input.url", u, MAX_URL))
            .transpose()?;
        let reference = validate::optional_text("input.reference", reference, MAX_TITLE)?;
        if url.is_none() && reference.is_none() {
            return Err(AppError::bad_input(
                "input.url",
                "give a link or a document reference",
            ));
        }
        Ok(NewEvidence {
            title: validate::required_text("input.title", title, MAX_TITLE)?,
            url,
            reference,
        })
    }
}

/// Attaches evidence to an action of the caller's own organisation.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn attach_evidence(
    access: &Access,
    action_id: ActionId,
    new: NewEvidence,
) -> AppResult<Evidence> {
    let action = actions::get_own(access, action_id).await?;
    access.require_role(&[Role::Contributor, Role::Manager], "attach evidence")?;
    let id = EvidenceId::new();
    let row = evidence::Model {
        id: id.0,
        org_id: action.org_id.0,
        action_id: action_id.0,
        title: new.title,
        url: new.url,
        reference: new.reference,
        added_by: Some(access.actor().user_id.0),
        added_at: Utc::now(),
    };
    let txn = access.begin_write().await?;
    scope::insert_owned(action.org_id, evidence::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    let evidence = Evidence::from(row);
    audit::record(
        &txn,
        Author::from(access),
        Change::created(action.org_id, EntityType::Evidence, id.0, &evidence),
    )
    .await?;
    txn.commit().await?;
    Ok(evidence)
}

/// The evidence of each of `action_ids`, oldest first; an empty list for an action without.
pub async fn evidence_of(
    access: &Access,
    action_ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, Vec<Evidence>>> {
    let rows = evidence::Entity::readable(access)
        .filter(evidence::Column::ActionId.is_in(action_ids.iter().copied()))
        .order_by_asc(evidence::Column::Id)
        .all(access.db())
        .await?;
    Ok(crate::batch::group(
        action_ids,
        rows,
        |r| r.action_id,
        Evidence::from,
    ))
}

/// The progress updates of a window of the actions' summaries (a query over `progress_updates`
/// built by `actions::summary::Window`), in date order.
pub async fn in_window(access: &Access, query: Sql, limit: u64) -> AppResult<Vec<ProgressUpdate>> {
    let mut sql = Sql::new("SELECT w.* FROM (");
    sql.append(&query)
        .push(") w ORDER BY w.as_at, w.id LIMIT ")
        .bind(limit as i64);
    Ok(scope::rows::<progress_update::Model>(access, &sql)
        .await?
        .into_iter()
        .map(ProgressUpdate::from)
        .collect())
}
