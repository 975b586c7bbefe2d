//! Reading and changing actions.
//!
//! Reads go through the point-in-time projection of [`super::asof`], scoped to what the caller
//! may read in detail. Changes are the owning organisation's: contributors move an action's
//! status, managers do the rest. A change of delivery date needs a reason and joins the
//! action's history, so the original date stays visible and extensions are never silent.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder};
use tracing::instrument;
use uuid::Uuid;

use super::asof::{self, Filter};
use super::{Action, ActionStatus, MAX_OWNER, Standing};
use crate::access::scope::{self, TenantOwned};
use crate::access::{Access, OrgSet, Purpose};
use crate::audit::{self, Author, Change, EntityType};
use crate::auth::Role;
use crate::concurrency::{self, Versioned};
use crate::dates::london_today;
use crate::entity::{action, action_status_change};
use crate::error::{AppError, AppResult};
use crate::history::{self, AsAt, Corrected};
use crate::ids::{ActionId, OrgId, ProgressUpdateId, RecommendationId, ReviewId, UserId};
use crate::pagination::{Cursor, PageArgs, Sort, not_ours};
use crate::reviews::{recommendations, service as reviews};
use crate::sql::Sql;
use crate::validate;
use crate::validate::{MAX_PROSE, MAX_TITLE};

/// Actions in `scope` with these ids, as they stand today.
async fn fetch_ids(access: &Access, scope: &OrgSet, ids: Vec<Uuid>) -> AppResult<Vec<Action>> {
    let today = AsAt::today();
    let filter = Filter {
        ids: Some(ids.into_iter().map(ActionId).collect()),
        ..Default::default()
    };
    asof::fetch(access.db(), &asof::projection(scope, &filter, today), today).await
}

/// One action the caller may read, as it stands today.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn get(access: &Access, id: ActionId) -> AppResult<Action> {
    fetch_ids(access, &access.orgs(Purpose::Detail), vec![id.0])
        .await?
        .pop()
        .ok_or(AppError::NotFound("action"))
}

/// One action of the caller's own organisation, to change it.
pub async fn get_own(access: &Access, id: ActionId) -> AppResult<Action> {
    fetch_ids(access, &access.orgs(Purpose::Own), vec![id.0])
        .await?
        .pop()
        .ok_or(AppError::NotFound("action"))
}

/// Readable actions among `ids`, as they stand today.
pub async fn by_ids(access: &Access, ids: Vec<Uuid>) -> AppResult<HashMap<Uuid, Action>> {
    Ok(fetch_ids(access, &access.orgs(Purpose::Detail), ids)
        .await?
        .into_iter()
        .map(|a| (a.id.0, a))
        .collect())
}

/// The actions answering each of `recommendation_ids`, by delivery date, as they stand today;
/// an empty list for a recommendation without.
pub async fn of_recommendations(
    access: &Access,
    recommendation_ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, Vec<Action>>> {
    let today = AsAt::today();
    let filter = Filter {
        recommendations: Some(
            recommendation_ids
                .iter()
                .copied()
                .map(RecommendationId)
                .collect(),
        ),
        ..Default::default()
    };
    let mut sql = asof::projection(&access.orgs(Purpose::Detail), &filter, today);
    sql.push(" ORDER BY p.at_due_on, p.id");
    let mut out: HashMap<Uuid, Vec<Action>> = recommendation_ids
        .into_iter()
        .map(|id| (id, Vec::new()))
        .collect();
    for action in asof::fetch(access.db(), &sql, today).await? {
        if let Some(rec) = action.recommendation_id {
            out.entry(rec.0).or_default().push(action);
        }
    }
    Ok(out)
}

/// How each of `ids` stood at `at`: one statement.
pub async fn standings(
    access: &Access,
    ids: Vec<Uuid>,
    at: AsAt,
) -> AppResult<HashMap<Uuid, Standing>> {
    let filter = Filter {
        ids: Some(ids.into_iter().map(ActionId).collect()),
        ..Default::default()
    };
    let sql = asof::projection(&access.orgs(Purpose::Detail), &filter, at);
    Ok(asof::fetch(access.db(), &sql, at)
        .await?
        .into_iter()
        .map(|action| (action.id.0, action.standing))
        .collect())
}

/// The status history of each of `action_ids`, in the order it took effect, corrections
/// included (and marked); an empty list for an action the caller may not read.
pub async fn status_histories(
    access: &Access,
    action_ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, Vec<super::StatusChange>>> {
    let rows = action_status_change::Entity::readable(access)
        .filter(action_status_change::Column::ActionId.is_in(action_ids.iter().copied()))
        .order_by_asc(action_status_change::Column::EffectiveOn)
        .order_by_asc(action_status_change::Column::Id)
        .all(access.db())
        .await?;
    Ok(crate::batch::group(
        action_ids,
        rows,
        |r| r.action_id,
        super::StatusChange::from,
    ))
}

/// The order of an action list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, async_graphql::Enum)]
#[graphql(name = "ActionOrder")]
pub enum Order {
    /// Earliest delivery date first (as it stood on the day): with `overdue: true`, the most
    /// overdue first.
    DueOn,
    /// Latest delivery date first.
    DueOnDesc,
    /// By title.
    Title,
}

impl Order {
    /// Its name in the schema, which its cursors carry.
    pub fn name(self) -> &'static str {
        match self {
            Order::DueOn => "DUE_ON",
            Order::DueOnDesc => "DUE_ON_DESC",
            Order::Title => "TITLE",
        }
    }
}

impl Order {
    /// The sort column and direction, on the rows named `table`.
    fn sort(self, table: &str) -> (String, Sort) {
        match self {
            Order::DueOn => (format!("{table}.at_due_on"), Sort::Ascending),
            Order::DueOnDesc => (format!("{table}.at_due_on"), Sort::Descending),
            Order::Title => (format!("{table}.title"), Sort::Ascending),
        }
    }

    /// Appends the page's bounds, order and limit over projection rows named `table`.
    pub fn keyset(self, sql: &mut Sql, table: &str, page: &PageArgs) -> AppResult<()> {
        let (column, sort) = self.sort(table);
        page.keyset_sql(
            sql,
            &column,
            &format!("{table}.id"),
            sort,
            |sql, key, field| bind_key(sql, self, key, field),
        )
    }

    /// `ORDER BY` of any page, over rows named `table`: an outer query keeping the order
    /// [`Order::keyset`] fetched them in.
    pub fn fetch_order(self, table: &str, page: &PageArgs) -> String {
        let (column, sort) = self.sort(table);
        page.fetch_order(&column, &format!("{table}.id"), sort)
    }

    /// `ORDER BY` of a first page, over rows named `table` (an outer query keeping the
    /// order [`Order::keyset`] fetched them in).
    pub fn first_page_order(self, table: &str) -> String {
        let (column, sort) = self.sort(table);
        format!(" ORDER BY {column} {0}, {table}.id {0}", sort.sql())
    }

    /// The cursor of `action` in this order.
    pub fn cursor(self, action: &Action) -> Cursor {
        match self {
            Order::DueOn | Order::DueOnDesc => {
                Cursor::keyed(action.standing.due_on.to_string(), action.id.0)
            }
            Order::Title => Cursor::keyed(action.title.clone(), action.id.0),
        }
    }
}

/// Binds a cursor's sort key with the type its column has.
fn bind_key(sql: &mut Sql, order: Order, key: &str, field: &str) -> AppResult<()> {
    match order {
        Order::Title => {
            sql.bind(key.to_owned());
        }
        Order::DueOn | Order::DueOnDesc => {
            let day = crate::dates::Date::parse(key).ok_or_else(|| not_ours(field))?;
            sql.bind(day.0);
        }
    }
    Ok(())
}

/// A new action, checked.
#[derive(Clone, Debug)]
pub struct NewAction {
    pub review: Option<ReviewId>,
    pub recommendation: Option<RecommendationId>,
    pub title: String,
    pub detail: Option<String>,
    pub owner: String,
    pub owner_user: Option<UserId>,
    pub due_on: NaiveDate,
    pub status: ActionStatus,
    /// The day it was agreed; defaults to its review's reported date, or today.
    pub opened_on: Option<NaiveDate>,
}

/// Checks an action's title.
pub fn check_title(field: &str, raw: &str) -> AppResult<String> {
    validate::required_text(field, raw, MAX_TITLE)
}

/// Checks an action's owner (a role, such as "Head of Protection").
pub fn check_owner(field: &str, raw: &str) -> AppResult<String> {
    validate::required_text(field, raw, MAX_OWNER)
}

/// Checks an action's detail; blank means none.
pub fn check_detail(field: &str, raw: Option<&str>) -> AppResult<Option<String>> {
    validate::optional_prose(field, raw, MAX_PROSE)
}

/// Checks that a named owner has acted for the caller's organisation.
async fn check_owner_user(access: &Access, user: Option<UserId>) -> AppResult<()> {
    if let Some(user) = user
        && !crate::users::service::acts_for_own(access, user).await?
    {
        return Err(AppError::bad_input(
            "input.ownerUserId",
            "not a user of your organisation",
        ));
    }
    Ok(())
}

/// Records an action of the caller's own organisation, answering one of its recommendations
/// or standing on its own (within a review or not).
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn create(access: &Access, new: NewAction) -> AppResult<Action> {
    access.require_role(&[Role::Manager], "record actions")?;
    let today = london_today();
    let review = match (new.recommendation, new.review) {
        (Some(rec), review) => {
            let rec = recommendations::get_own(access, rec).await?;
            if review.is_some_and(|r| r != rec.review_id) {
                return Err(AppError::bad_input(
                    "input.reviewId",
                    "the recommendation belongs to another review",
                ));
            }
            Some(reviews::get_own(access, rec.review_id).await?)
        }
        (None, Some(review)) => Some(reviews::get_own(access, review).await?),
        (None, None) => None,
    };
    // An action entered for a review reported in the past was agreed then, not today.
    let reported = review
        .as_ref()
        .and_then(|r| r.reported_on)
        .filter(|d| *d <= today);
    let opened_on = new.opened_on.or(reported).unwrap_or(today);
    validate::not_after("input.openedOn", opened_on, today)?;
    if new.due_on < opened_on {
        let why = match (new.opened_on, reported) {
            (Some(_), _) => "the day it was agreed (input.openedOn)".to_owned(),
            (None, Some(_)) => {
                "the day it was agreed (input.openedOn, which defaults to its review's reported date)"
                    .to_owned()
            }
            (None, None) => {
                "the day it was agreed (input.openedOn, which defaults to today: give it to enter a plan's past)"
                    .to_owned()
            }
        };
        validate::not_before("input.dueOn", new.due_on, opened_on, &why)?;
    }
    let review = review.map(|r| r.id);
    check_owner_user(access, new.owner_user).await?;
    let own = access.org_id();
    let id = ActionId::new();
    let now = Utc::now();
    let txn = access.begin_write().await?;
    scope::insert_owned(
        own,
        action::ActiveModel {
            id: Set(id.0),
            org_id: Set(own.0),
            review_id: Set(review.map(|r| r.0)),
            recommendation_id: Set(new.recommendation.map(|r| r.0)),
            title: Set(new.title),
            detail: Set(new.detail),
            owner: Set(new.owner),
            owner_user_id: Set(new.owner_user.map(|u| u.0)),
            opened_on: Set(opened_on),
            original_due_on: Set(new.due_on),
            due_on: Set(new.due_on),
            status: Set(new.status),
            completed_on: Set(None),
            percent_complete: Set(None),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        },
    )
    .exec_without_returning(&txn)
    .await?;
    record_status(
        &txn,
        own,
        id,
        StatusEntry {
            status: new.status,
            effective_on: opened_on,
            progress_update: None,
            by: Some(access.actor().user_id),
            correction: None,
        },
    )
    .await?;
    let action = reload(&txn, own, id).await?;
    audit::record(
        &txn,
        Author::from(access),
        Change::created(own, EntityType::Action, id.0, &action),
    )
    .await?;
    txn.commit().await?;
    Ok(action)
}

/// Reads an action inside a mutation's own transaction, as it stands today.
pub(crate) async fn reload(
    txn: &impl ConnectionTrait,
    org: OrgId,
    id: ActionId,
) -> AppResult<Action> {
    let today = AsAt::today();
    let filter = Filter {
        ids: Some(vec![id]),
        ..Default::default()
    };
    let scope = OrgSet::Only([org.0].into());
    asof::fetch(txn, &asof::projection(&scope, &filter, today), today)
        .await?
        .pop()
        .ok_or(AppError::NotFound("action"))
}

/// A status entering an action's history.
pub(crate) struct StatusEntry {
    pub status: ActionStatus,
    /// The day it takes effect.
    pub effective_on: NaiveDate,
    /// The progress update that carried it.
    pub progress_update: Option<ProgressUpdateId>,
    pub by: Option<UserId>,
    /// Its reason, when it is a correction (see [`crate::history`]).
    pub correction: Option<String>,
}

/// An action's status history as known now, in the order it took effect.
pub(crate) async fn status_history(
    db: &impl ConnectionTrait,
    org: OrgId,
    id: ActionId,
) -> AppResult<Vec<(ActionStatus, NaiveDate)>> {
    Ok(scope::owned_rows::<action_status_change::Entity>(org)
        .filter(action_status_change::Column::ActionId.eq(id.0))
        .order_by_asc(action_status_change::Column::EffectiveOn)
        .order_by_asc(action_status_change::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|h| (h.status, h.effective_on))
        .collect())
}

/// The day of the latest entry of an action's status history.
pub(crate) async fn latest_status_on(
    db: &impl ConnectionTrait,
    org: OrgId,
    id: ActionId,
) -> AppResult<Option<NaiveDate>> {
    Ok(status_history(db, org, id).await?.last().map(|(_, on)| *on))
}

/// Adds a status to an action's history and brings the action's current status (and
/// completion date) in line with the history. A status the action already had on that day
/// adds nothing: saying COMPLETE again neither moves the completion date nor counts as a
/// completion. Returns whether the history changed.
pub(crate) async fn record_status(
    txn: &impl ConnectionTrait,
    org: OrgId,
    id: ActionId,
    entry: StatusEntry,
) -> AppResult<bool> {
    let mut history = status_history(txn, org, id).await?;
    if history::in_force(&history, entry.effective_on).map(|(s, _)| s) == Some(entry.status) {
        return Ok(false);
    }
    scope::insert_owned(
        org,
        action_status_change::ActiveModel {
            id: Set(Uuid::now_v7()),
            org_id: Set(org.0),
            action_id: Set(id.0),
            status: Set(entry.status),
            effective_on: Set(entry.effective_on),
            progress_update_id: Set(entry.progress_update.map(|u| u.0)),
            changed_by: Set(entry.by.map(|u| u.0)),
            changed_at: Set(Utc::now()),
            correction_reason: Set(entry.correction),
        },
    )
    .exec_without_returning(txn)
    .await?;
    let at = history.partition_point(|(_, on)| *on <= entry.effective_on);
    history.insert(at, (entry.status, entry.effective_on));
    // The action's own columns follow the latest entry.
    let (status, since) =
        history::in_force(&history, NaiveDate::MAX).unwrap_or((entry.status, entry.effective_on));
    let completed = (status == ActionStatus::Complete).then_some(since);
    scope::update_owned::<action::Entity>(org)
        .col_expr(action::Column::Status, Expr::value(status))
        .col_expr(action::Column::CompletedOn, Expr::value(completed))
        .col_expr(action::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(action::Column::Id.eq(id.0))
        .exec(txn)
        .await?;
    Ok(true)
}

/// Changes to an action; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct ActionChanges {
    pub title: Option<String>,
    /// `Some(None)` clears it.
    pub detail: Option<Option<String>>,
    pub owner: Option<String>,
    /// `Some(None)` clears it.
    pub owner_user: Option<Option<UserId>>,
    pub status: Option<ActionStatus>,
    /// The day the status takes effect; today when absent.
    pub status_on: Option<NaiveDate>,
    /// Why, when the status is dated before the action's latest (a correction).
    pub correction_reason: Option<String>,
}

impl ActionChanges {
    fn only_status(&self) -> bool {
        self.title.is_none()
            && self.detail.is_none()
            && self.owner.is_none()
            && self.owner_user.is_none()
    }
}

/// Changes an action of the caller's own organisation. Contributors may change its status
/// only; managers anything but the delivery date (see [`super::due_dates::change`]).
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn update(
    access: &Access,
    id: ActionId,
    version: i32,
    changes: ActionChanges,
) -> AppResult<Action> {
    let before = get_own(access, id).await?;
    match access.actor().role {
        Role::Manager => {}
        Role::Contributor if changes.only_status() => {}
        Role::Contributor => {
            return Err(AppError::forbidden(
                "contributors may change only an action's status",
            ));
        }
        _ => access.require_role(&[Role::Manager, Role::Contributor], "change actions")?,
    }
    if changes.only_status() && changes.status.is_none() {
        return Err(AppError::bad_input(
            "input",
            "give at least one field to change",
        ));
    }
    check_owner_user(access, changes.owner_user.flatten()).await?;
    let today = london_today();
    let status_on = changes.status_on.unwrap_or(today);
    let mut correction = None;
    if changes.status.is_some() {
        validate::not_after("input.statusOn", status_on, today)?;
        validate::not_before(
            "input.statusOn",
            status_on,
            before.opened_on,
            "the day it was agreed",
        )?;
        let latest = latest_status_on(access.db(), before.org_id, id).await?;
        correction = history::admit(
            access,
            "input.statusOn",
            status_on,
            latest,
            "its latest status",
            "input.correctionReason",
            changes.correction_reason.as_deref(),
        )?;
    } else if changes.status_on.is_some() {
        return Err(AppError::bad_input(
            "input.statusOn",
            "is the day a new status takes effect: give the status too",
        ));
    }
    if before.version != version {
        return Err(AppError::stale_version("action"));
    }
    let txn = access.begin_write().await?;
    let mut update = action::Entity::update_at_version(
        scope::own_row::<action::Entity>(access.org_id(), action::Column::Id.eq(id.0)),
        version,
    );
    if let Some(title) = &changes.title {
        update = update.col_expr(action::Column::Title, Expr::value(title.clone()));
    }
    if let Some(detail) = &changes.detail {
        update = update.col_expr(action::Column::Detail, Expr::value(detail.clone()));
    }
    if let Some(owner) = &changes.owner {
        update = update.col_expr(action::Column::Owner, Expr::value(owner.clone()));
    }
    if let Some(user) = changes.owner_user {
        update = update.col_expr(action::Column::OwnerUserId, Expr::value(user.map(|u| u.0)));
    }
    concurrency::apply(update, &txn, "action", AppError::from).await?;
    if let Some(status) = changes.status {
        let entry = StatusEntry {
            status,
            effective_on: status_on,
            progress_update: None,
            by: Some(access.actor().user_id),
            correction: correction.clone(),
        };
        record_status(&txn, before.org_id, id, entry).await?;
    }
    let after = reload(&txn, before.org_id, id).await?;
    audit::record(
        &txn,
        Author::from(access),
        Change::updated(
            before.org_id,
            EntityType::Action,
            id.0,
            &Corrected::new(&before, None),
            &Corrected::new(&after, correction.as_deref()),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}
