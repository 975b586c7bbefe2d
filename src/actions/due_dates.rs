//! Moving an action's delivery date: a reason is required, and every change is kept (old, new,
//! reason, who, when), so the original date stays visible and extensions are never silent.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
use tracing::instrument;
use uuid::Uuid;

use super::service::{get_own, reload};
use super::{Action, DueDateChange, MAX_REASON};
use crate::access::Access;
use crate::access::Purpose;
use crate::access::scope::{self, TenantOwned};
use crate::audit::{self, Author, Change, EntityType};
use crate::auth::Role;
use crate::concurrency::{self, Versioned};
use crate::dates::london_today;
use crate::entity::{action, due_date_change};
use crate::error::{AppError, AppResult};
use crate::history::{self, Corrected};
use crate::ids::{ActionId, DueDateChangeId};
use crate::validate;

/// A change of delivery date, checked.
#[derive(Clone, Debug)]
pub struct DueDateMove {
    pub new_due_on: NaiveDate,
    pub reason: String,
    /// The day the new date takes effect; defaults to today.
    pub effective_on: Option<NaiveDate>,
    /// Why, when it is dated before the latest change (a correction).
    pub correction_reason: Option<String>,
}

/// Checks the reason for a change of delivery date.
pub fn check_reason(field: &str, raw: &str) -> AppResult<String> {
    validate::required_prose(field, raw, MAX_REASON)
}

/// Moves an action's delivery date, keeping the change (old, new, reason, who, when) in its
/// history. Managers only.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn change(
    access: &Access,
    id: ActionId,
    version: i32,
    change: DueDateMove,
) -> AppResult<(Action, DueDateChange)> {
    let before = get_own(access, id).await?;
    access.require_role(&[Role::Manager], "change delivery dates")?;
    let today = london_today();
    let effective_on = change.effective_on.unwrap_or(today);
    validate::not_after("input.effectiveOn", effective_on, today)?;
    validate::not_before(
        "input.effectiveOn",
        effective_on,
        before.opened_on,
        "the day it was agreed",
    )?;
    validate::not_before(
        "input.newDueOn",
        change.new_due_on,
        before.opened_on,
        "the day it was agreed",
    )?;
    // The history is read in the order it happened: a change dated before the latest one is a
    // correction.
    let history = due_history(access, id).await?;
    let correction = history::admit(
        access,
        "input.effectiveOn",
        effective_on,
        history.last().map(|c| c.effective_on),
        "its latest change of delivery date",
        "input.correctionReason",
        change.correction_reason.as_deref(),
    )?;
    let upto = history.partition_point(|c| c.effective_on <= effective_on);
    let in_force = upto
        .checked_sub(1)
        .map_or(before.original_due_on, |i| history[i].new_due_on);
    if change.new_due_on == in_force {
        return Err(AppError::bad_input(
            "input.newDueOn",
            "is already the action's delivery date",
        ));
    }
    // The action's own date stays the latest change's: a correction rewrites only the past.
    let due_now = match history.last() {
        Some(latest) if correction.is_some() => latest.new_due_on,
        _ => change.new_due_on,
    };
    if before.version != version {
        return Err(AppError::stale_version("action"));
    }
    let txn = access.begin_write().await?;
    let update = action::Entity::update_at_version(
        crate::access::scope::own_row::<action::Entity>(
            access.org_id(),
            action::Column::Id.eq(id.0),
        ),
        version,
    )
    .col_expr(action::Column::DueOn, Expr::value(due_now));
    concurrency::apply(update, &txn, "action", AppError::from).await?;
    let row = due_date_change::Model {
        id: DueDateChangeId::new().0,
        org_id: before.org_id.0,
        action_id: id.0,
        previous_due_on: in_force,
        new_due_on: change.new_due_on,
        reason: change.reason,
        effective_on,
        changed_by: Some(access.actor().user_id.0),
        changed_at: Utc::now(),
        correction_reason: correction,
    };
    scope::insert_owned(
        before.org_id,
        due_date_change::ActiveModel::from(row.clone()),
    )
    .exec_without_returning(&txn)
    .await?;
    let after = reload(&txn, before.org_id, id).await?;
    audit::record(
        &txn,
        Author::from(access),
        Change::updated(
            before.org_id,
            EntityType::Action,
            id.0,
            &Corrected::new(&before, None),
            &Corrected::new(&after, row.correction_reason.as_deref()),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok((after, DueDateChange::from(row)))
}

/// An action's changes of delivery date as known now, in the order they took effect.
async fn due_history(access: &Access, id: ActionId) -> AppResult<Vec<due_date_change::Model>> {
    Ok(
        scope::owned_rows::<due_date_change::Entity>(access.org_id())
            .filter(due_date_change::Column::ActionId.eq(id.0))
            .order_by_asc(due_date_change::Column::EffectiveOn)
            .order_by_asc(due_date_change::Column::Id)
            .all(access.db())
            .await?,
    )
}

/// One change of delivery date the caller may read.
pub async fn get(access: &Access, id: DueDateChangeId) -> AppResult<DueDateChange> {
    scope::one::<due_date_change::Entity>(access, Purpose::Detail, id.0, "due-date change")
        .await
        .map(DueDateChange::from)
}

/// The changes of delivery date of each of `action_ids`, oldest first; an empty list for an
/// action without.
pub async fn of_actions(
    access: &Access,
    action_ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, Vec<DueDateChange>>> {
    let rows = due_date_change::Entity::readable(access)
        .filter(due_date_change::Column::ActionId.is_in(action_ids.iter().copied()))
        .order_by_asc(due_date_change::Column::EffectiveOn)
        .order_by_asc(due_date_change::Column::Id)
        .all(access.db())
        .await?;
    Ok(crate::batch::group(
        action_ids,
        rows,
        |r| r.action_id,
        DueDateChange::from,
    ))
}
