//! The mutations of actions: recording, changing, and moving delivery dates.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};

use super::due_dates::DueDateMove;
use super::service::{self, ActionChanges, NewAction};
use super::{Action, ActionStatus, DueDateChange};
use crate::dates::Date;
use crate::error::AppResult;
use crate::graphql::ContextExt;
use crate::ids::{ActionId, RecommendationId, ReviewId, UserId};

/// A new action of the caller's own organisation.
#[derive(InputObject)]
pub struct CreateActionInput {
    /// The recommendation it answers (its review is then the recommendation's).
    pub recommendation_id: Option<ID>,
    /// The review whose plan it belongs to, for an action that answers no one recommendation.
    pub review_id: Option<ID>,
    /// What is to be done, up to 300 characters.
    pub title: String,
    /// More detail, up to 10,000 characters.
    pub detail: Option<String>,
    /// Who owns it: a role such as "Head of Protection", up to 200 characters.
    pub owner: String,
    /// The person who owns it: a user who has acted for the organisation.
    pub owner_user_id: Option<ID>,
    /// The delivery date.
    pub due_on: Date,
    /// Its status; `NOT_STARTED` when absent.
    pub status: Option<ActionStatus>,
    /// The day it was agreed; when absent, its review's reported date (an action entered for
    /// a review reported in 2021 was agreed then), or today for an action without one. Not in
    /// the future.
    pub opened_on: Option<Date>,
}

/// The action after the change.
#[derive(SimpleObject)]
pub struct ActionPayload {
    /// The action as it now stands.
    pub action: Action,
}

/// Changes to an action. Absent fields stay as they are. Contributors may change the status
/// only. The delivery date changes through `changeActionDueDate`.
#[derive(InputObject)]
pub struct UpdateActionInput {
    /// The action to change.
    pub id: ID,
    /// The version the change is based on; a stale one gives `CONFLICT`.
    pub version: i32,
    /// New title.
    pub title: Option<String>,
    /// New detail; null clears it.
    pub detail: MaybeUndefined<String>,
    /// New owner (a role).
    pub owner: Option<String>,
    /// New owning person; null clears it.
    pub owner_user_id: MaybeUndefined<ID>,
    /// New status, effective on `statusOn`. `WITHDRAWN` withdraws the action (nothing is
    /// deleted).
    pub status: Option<ActionStatus>,
    /// The day the new status takes effect; today when absent. Not in the future, not before
    /// the action was agreed; before its latest status, it is a correction.
    pub status_on: Option<Date>,
    /// Why, when this is a correction: an entry dated before the latest of its history.
    /// Required then, and only managers may correct; up to 2,000 characters.
    pub correction_reason: Option<String>,
}

/// A change of an action's delivery date.
#[derive(InputObject)]
pub struct ChangeActionDueDateInput {
    /// The action.
    pub id: ID,
    /// The version the change is based on; a stale one gives `CONFLICT`.
    pub version: i32,
    /// The new delivery date.
    pub new_due_on: Date,
    /// Why it changes (required), up to 2,000 characters.
    pub reason: String,
    /// The day the new date takes effect; today when absent. Not in the future; before the
    /// latest change, it is a correction.
    pub effective_on: Option<Date>,
    /// Why, when this is a correction: an entry dated before the latest of its history.
    /// Required then, and only managers may correct; up to 2,000 characters.
    pub correction_reason: Option<String>,
}

/// The action after a change of delivery date, and the change.
#[derive(SimpleObject)]
pub struct ChangeActionDueDatePayload {
    /// The action as it now stands.
    pub action: Action,
    /// The change recorded.
    pub due_date_change: DueDateChange,
}

fn parse_user(field: &str, id: &ID) -> AppResult<UserId> {
    UserId::parse(field, id)
}

/// Changes to actions.
#[derive(Default)]
pub struct ActionMutation;

#[Object]
impl ActionMutation {
    /// Records an action of the caller's own organisation. Managers only.
    async fn create_action(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The action to record.")] input: CreateActionInput,
    ) -> Result<ActionPayload> {
        let access = ctx.access()?;
        let new = NewAction {
            recommendation: input
                .recommendation_id
                .map(|id| RecommendationId::parse("input.recommendationId", &id))
                .transpose()?,
            review: input
                .review_id
                .map(|id| ReviewId::parse("input.reviewId", &id))
                .transpose()?,
            title: service::check_title("input.title", &input.title)?,
            detail: service::check_detail("input.detail", input.detail.as_deref())?,
            owner: service::check_owner("input.owner", &input.owner)?,
            owner_user: input
                .owner_user_id
                .map(|id| parse_user("input.ownerUserId", &id))
                .transpose()?,
            due_on: input.due_on.0,
            status: input.status.unwrap_or(ActionStatus::NotStarted),
            opened_on: input.opened_on.map(|d| d.0),
        };
        Ok(ActionPayload {
            action: service::create(access, new).await?,
        })
    }

    /// Changes an action of the caller's own organisation. Contributors may change its status
    /// only; managers anything but its delivery date.
    async fn update_action(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to change.")] input: UpdateActionInput,
    ) -> Result<ActionPayload> {
        let access = ctx.access()?;
        let id = ActionId::parse("input.id", &input.id)?;
        let changes = ActionChanges {
            title: input
                .title
                .as_deref()
                .map(|t| service::check_title("input.title", t))
                .transpose()?,
            detail: input
                .detail
                .as_opt_deref()
                .map(|d| service::check_detail("input.detail", d))
                .transpose()?,
            owner: input
                .owner
                .as_deref()
                .map(|o| service::check_owner("input.owner", o))
                .transpose()?,
            owner_user: input
                .owner_user_id
                .map_value(|id| parse_user("input.ownerUserId", &id))
                .transpose()?
                .into(),
            status: input.status,
            status_on: input.status_on.map(|d| d.0),
            correction_reason: input.correction_reason,
        };
        Ok(ActionPayload {
            action: service::update(access, id, input.version, changes).await?,
        })
    }

    /// Moves an action's delivery date, with a reason; the change is kept and the original
    /// date stays visible. Managers only.
    async fn change_action_due_date(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The change.")] input: ChangeActionDueDateInput,
    ) -> Result<ChangeActionDueDatePayload> {
        let access = ctx.access()?;
        let id = ActionId::parse("input.id", &input.id)?;
        let change = DueDateMove {
            new_due_on: input.new_due_on.0,
            reason: crate::actions::due_dates::check_reason("input.reason", &input.reason)?,
            effective_on: input.effective_on.map(|d| d.0),
            correction_reason: input.correction_reason,
        };
        let (action, due_date_change) =
            crate::actions::due_dates::change(access, id, input.version, change).await?;
        Ok(ChangeActionDueDatePayload {
            action,
            due_date_change,
        })
    }
}
