//! The API of actions, their point-in-time standing, progress summaries and changes between
//! committee dates.

use async_graphql::{
    Context, ID, InputObject, Lookahead, MaybeUndefined, Object, Result, SimpleObject,
};
use chrono::{DateTime, NaiveDate, Utc};

use super::asof::Filter;
use super::service::{self, ActionChanges, DueDateMove, NewAction, Order};
use super::summary::{self, Grouping, ProgressSummary, Window};
use super::{Action, ActionStatus, DueDateChange, Rag, Standing};
use crate::dates::{Date, london_today};
use crate::error::{AppError, AppResult};
use crate::graphql::ContextExt;
use crate::ids::{ActionId, OrgId, RecommendationId, ReviewId, UserId};
use crate::loaders::{days_asked, items, prime};
use crate::organisations::Organisation;
use crate::pagination::{CountedConnection, PageArgs, Paged, connection_complexity};
use crate::progress::{Evidence, ProgressUpdate};
use crate::reviews::{Recommendation, Review};
use crate::users::User;

/// How an action stood at the end of one day.
#[Object]
impl Standing {
    /// The day.
    async fn as_of(&self) -> Date {
        Date(self.as_of)
    }

    /// Its status then; null when it had not yet been agreed.
    async fn status(&self) -> Option<ActionStatus> {
        self.status
    }

    /// The delivery date in force then.
    async fn due_on(&self) -> Date {
        Date(self.due_on)
    }

    /// When it was completed, if it was complete then.
    async fn completed_on(&self) -> Option<Date> {
        self.completed_on.map(Date)
    }

    /// Its RAG then: null when withdrawn or not yet agreed.
    async fn rag(&self) -> Option<Rag> {
        self.rag
    }
}

/// How `action` stood at the end of `day` (`None`: the day it was read for).
async fn standing_on(
    ctx: &Context<'_>,
    action: &Action,
    day: Option<NaiveDate>,
) -> Result<Option<Standing>> {
    match day {
        None => Ok(Some(action.standing)),
        Some(day) if day == action.standing.as_of => Ok(Some(action.standing)),
        Some(day) => ctx.loaders()?.standings.load_one((action.id.0, day)).await,
    }
}

/// An action: what the organisation does to answer a recommendation, or on its own account.
#[Object]
impl Action {
    /// Opaque id.
    pub async fn id(&self) -> ID {
        self.id.to_gql()
    }

    /// The organisation that owns it.
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        ctx.loaders()?.organisations.load_one(self.org_id.0).await
    }

    /// The review whose action plan it belongs to, if any.
    async fn review(&self, ctx: &Context<'_>) -> Result<Option<Review>> {
        match self.review_id {
            Some(id) => ctx.loaders()?.reviews.load_one(id.0).await,
            None => Ok(None),
        }
    }

    /// The recommendation it answers, if any.
    async fn recommendation(&self, ctx: &Context<'_>) -> Result<Option<Recommendation>> {
        match self.recommendation_id {
            Some(id) => ctx.loaders()?.recommendations.load_one(id.0).await,
            None => Ok(None),
        }
    }

    /// What is to be done.
    async fn title(&self) -> &str {
        &self.title
    }

    /// More detail.
    async fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// Who owns it: a role, such as "Head of Protection".
    async fn owner(&self) -> &str {
        &self.owner
    }

    /// The person who owns it, when one is named.
    async fn owner_user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        match self.owner_user_id {
            Some(user) => ctx.loaders()?.users.load_one(user.0).await,
            None => Ok(None),
        }
    }

    /// The day it was agreed.
    async fn opened_on(&self) -> Date {
        Date(self.opened_on)
    }

    /// The delivery date first agreed, whatever changed since.
    async fn original_due_on(&self) -> Date {
        Date(self.original_due_on)
    }

    /// The delivery date in force today.
    async fn due_on(&self) -> Date {
        Date(self.due_on)
    }

    /// Its status today.
    async fn status(&self) -> ActionStatus {
        self.status
    }

    /// When it was completed, if it is complete today.
    async fn completed_on(&self) -> Option<Date> {
        self.completed_on.map(Date)
    }

    /// The latest percentage complete reported.
    async fn percent_complete(&self) -> Option<i32> {
        self.percent_complete
    }

    /// Its RAG at the end of `asOf`: GREEN complete by then, RED not complete and past the
    /// delivery date then in force, AMBER otherwise; null when withdrawn or not yet agreed.
    /// Without `asOf`, the day of the list that returned it (today by default).
    async fn rag(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The day; the list's `asOf`, or today, when absent.")] as_of: Option<Date>,
    ) -> Result<Option<Rag>> {
        Ok(standing_on(ctx, self, as_of.map(|d| d.0))
            .await?
            .and_then(|s| s.rag))
    }

    /// How it stood at the end of `asOf`: status, delivery date, completion and RAG, as a
    /// committee report of that day gave them. Null when it had not yet been agreed.
    async fn standing(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The day; the list's `asOf`, or today, when absent.")] as_of: Option<Date>,
    ) -> Result<Option<Standing>> {
        standing_on(ctx, self, as_of.map(|d| d.0)).await
    }

    /// Its latest progress update (by as-at date).
    async fn latest_update(&self, ctx: &Context<'_>) -> Result<Option<ProgressUpdate>> {
        Ok(ctx
            .loaders()?
            .latest_update
            .load_one(self.id.0)
            .await?
            .flatten())
    }

    /// Its progress updates, latest as-at date first.
    #[graphql(complexity = "connection_complexity(first, child_complexity)")]
    async fn updates(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size: 1 to 100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last update of the previous page.")] after: Option<String>,
    ) -> Result<CountedConnection<ProgressUpdate>> {
        let page = PageArgs::new(ctx.limits(), first, after)?;
        Ok(
            crate::progress::service::updates(ctx.access()?, self.id, page)
                .await?
                .into(),
        )
    }

    /// The evidence attached to it, oldest first.
    async fn evidence(&self, ctx: &Context<'_>) -> Result<Vec<Evidence>> {
        Ok(ctx
            .loaders()?
            .evidence
            .load_one(self.id.0)
            .await?
            .unwrap_or_default())
    }

    /// Every change of its delivery date, oldest first.
    async fn due_date_changes(&self, ctx: &Context<'_>) -> Result<Vec<DueDateChange>> {
        Ok(ctx
            .loaders()?
            .due_date_changes
            .load_one(self.id.0)
            .await?
            .unwrap_or_default())
    }

    /// Incremented by every change; pass it back to `updateAction` and `changeActionDueDate`.
    async fn version(&self) -> i32 {
        self.version
    }

    /// When it was recorded.
    async fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }
}

/// A change of an action's delivery date.
#[Object]
impl DueDateChange {
    /// Opaque id.
    pub async fn id(&self) -> ID {
        self.id.to_gql()
    }

    /// The action.
    async fn action(&self, ctx: &Context<'_>) -> Result<Option<Action>> {
        ctx.loaders()?.actions.load_one(self.action_id.0).await
    }

    /// The delivery date before the change.
    async fn previous_due_on(&self) -> Date {
        Date(self.previous_due_on)
    }

    /// The delivery date after it.
    async fn new_due_on(&self) -> Date {
        Date(self.new_due_on)
    }

    /// Why it changed.
    async fn reason(&self) -> &str {
        &self.reason
    }

    /// The day from which the new date is in force.
    async fn effective_on(&self) -> Date {
        Date(self.effective_on)
    }

    /// Who changed it.
    async fn changed_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        match self.changed_by {
            Some(user) => ctx.loaders()?.users.load_one(user.0).await,
            None => Ok(None),
        }
    }

    /// When the change was recorded.
    async fn changed_at(&self) -> DateTime<Utc> {
        self.changed_at
    }
}

/// A count of recommendations with one status.
#[derive(SimpleObject)]
pub struct StatusCount {
    /// The status.
    pub status: crate::reviews::RecommendationStatus,
    /// How many had it.
    pub count: i64,
}

/// Where a review or an organisation stood at the end of a day.
#[Object]
impl ProgressSummary {
    /// The day.
    async fn as_of(&self) -> Date {
        Date(self.as_of)
    }

    /// Recommendations made by the day.
    async fn recommendations_total(&self) -> i64 {
        self.recommendations.total()
    }

    /// Recommendations still outstanding then (open, in progress or ongoing).
    async fn recommendations_outstanding(&self) -> i64 {
        self.recommendations.outstanding()
    }

    /// Recommendations discharged by then.
    async fn recommendations_discharged(&self) -> i64 {
        self.recommendations
            .with(crate::reviews::RecommendationStatus::Discharged)
    }

    /// Recommendations by the status they had then (statuses with none left out).
    async fn recommendations_by_status(&self) -> Vec<StatusCount> {
        self.recommendations
            .by_status
            .iter()
            .map(|(status, count)| StatusCount {
                status: *status,
                count: *count,
            })
            .collect()
    }

    /// Actions agreed by the day, withdrawn ones left out.
    async fn actions_total(&self) -> i64 {
        self.actions.total
    }

    /// Actions complete by then.
    async fn green(&self) -> i64 {
        self.actions.green
    }

    /// Actions not complete and not yet due then.
    async fn amber(&self) -> i64 {
        self.actions.amber
    }

    /// Actions not complete and past their delivery date then: the overdue.
    async fn red(&self) -> i64 {
        self.actions.red
    }

    /// The number of overdue actions (the same as `red`).
    async fn overdue(&self) -> i64 {
        self.actions.red
    }

    /// Actions withdrawn by then (counted nowhere else).
    async fn withdrawn(&self) -> i64 {
        self.actions.withdrawn
    }

    /// The share of actions complete, in percent; null when there are none.
    async fn percent_complete(&self) -> Option<f64> {
        self.actions.percent_complete()
    }

    /// The earliest delivery date still ahead among actions not complete.
    async fn next_due_on(&self) -> Option<Date> {
        self.actions.next_due_on.map(Date)
    }
}

/// The most items a list of changes returns; the counts say how many there are in all.
const CHANGES_LIMIT: u64 = 500;

/// What moved between two committee dates: after `from`, up to and including `to`.
pub struct Changes {
    window: Window,
}

impl Changes {
    /// The changes of one review or organisation between two dates.
    pub fn new(grouping: Grouping, key: uuid::Uuid, from: Date, to: Date) -> AppResult<Self> {
        if from >= to {
            return Err(AppError::bad_input("from", "must be before `to`"));
        }
        Ok(Changes {
            window: Window {
                grouping,
                key,
                from: from.0,
                to: to.0,
            },
        })
    }
}

/// What moved between two committee dates, over one review or one organisation: actions
/// completed, actions newly overdue, delivery dates changed, and progress updates added.
#[Object]
impl Changes {
    /// The earlier date (excluded).
    async fn from(&self) -> Date {
        Date(self.window.from)
    }

    /// The later date (included).
    async fn to(&self) -> Date {
        Date(self.window.to)
    }

    /// How many actions were completed in between.
    async fn completed_count(&self, ctx: &Context<'_>) -> Result<i64> {
        let access = ctx.access()?;
        Ok(summary::count(access, &self.window.completed(access)).await?)
    }

    /// The actions completed in between (up to 500), as they stood at `to`.
    async fn completed(&self, ctx: &Context<'_>) -> Result<Vec<Action>> {
        let access = ctx.access()?;
        let query = self.window.completed(access);
        Ok(summary::actions(access, &self.window, query, CHANGES_LIMIT).await?)
    }

    /// How many actions became overdue in between.
    async fn newly_overdue_count(&self, ctx: &Context<'_>) -> Result<i64> {
        let access = ctx.access()?;
        Ok(summary::count(access, &self.window.newly_overdue(access)).await?)
    }

    /// The actions overdue at `to` that were not at `from` (up to 500).
    async fn newly_overdue(&self, ctx: &Context<'_>) -> Result<Vec<Action>> {
        let access = ctx.access()?;
        let query = self.window.newly_overdue(access);
        Ok(summary::actions(access, &self.window, query, CHANGES_LIMIT).await?)
    }

    /// How many delivery dates changed in between.
    async fn due_date_change_count(&self, ctx: &Context<'_>) -> Result<i64> {
        let access = ctx.access()?;
        Ok(summary::count(access, &self.window.due_date_changes(access)).await?)
    }

    /// The changes of delivery date that took effect in between (up to 500).
    async fn due_date_changes(&self, ctx: &Context<'_>) -> Result<Vec<DueDateChange>> {
        let access = ctx.access()?;
        let query = self.window.due_date_changes(access);
        Ok(summary::due_date_changes(access, query, CHANGES_LIMIT).await?)
    }

    /// How many progress updates are dated in between.
    async fn update_count(&self, ctx: &Context<'_>) -> Result<i64> {
        let access = ctx.access()?;
        Ok(summary::count(access, &self.window.updates(access)).await?)
    }

    /// The progress updates dated in between (up to 500), in date order.
    async fn updates(&self, ctx: &Context<'_>) -> Result<Vec<ProgressUpdate>> {
        let access = ctx.access()?;
        let query = self.window.updates(access);
        Ok(summary::updates(access, query, CHANGES_LIMIT).await?)
    }
}

/// Which actions a list shows. Status, RAG, overdue and delivery dates are read as they stood
/// at the list's `asOf`.
#[derive(InputObject, Default)]
pub struct ActionFilterInput {
    /// Of this organisation only.
    pub organisation_id: Option<ID>,
    /// Of this review's action plan only.
    pub review_id: Option<ID>,
    /// Answering this recommendation only.
    pub recommendation_id: Option<ID>,
    /// With this status.
    pub status: Option<ActionStatus>,
    /// With this RAG.
    pub rag: Option<Rag>,
    /// Overdue (RED), or not.
    pub overdue: Option<bool>,
    /// Due strictly before this date.
    pub due_before: Option<Date>,
    /// Due strictly after this date.
    pub due_after: Option<Date>,
    /// Whose owner contains this text, ignoring case.
    pub owner: Option<String>,
}

impl ActionFilterInput {
    /// The filter, its ids checked.
    pub fn into_filter(self) -> AppResult<Filter> {
        Ok(Filter {
            organisations: self
                .organisation_id
                .map(|id| OrgId::parse("filter.organisationId", &id).map(|o| vec![o]))
                .transpose()?,
            reviews: self
                .review_id
                .map(|id| ReviewId::parse("filter.reviewId", &id).map(|r| vec![r]))
                .transpose()?,
            recommendations: self
                .recommendation_id
                .map(|id| RecommendationId::parse("filter.recommendationId", &id).map(|r| vec![r]))
                .transpose()?,
            ids: None,
            status: self.status,
            rag: self.rag,
            overdue: self.overdue,
            due_before: self.due_before.map(|d| d.0),
            due_after: self.due_after.map(|d| d.0),
            owner: self
                .owner
                .map(|o| crate::validate::required_text("filter.owner", &o, super::MAX_OWNER))
                .transpose()?,
        })
    }
}

/// A page of actions, as they stood at `as_of`, with what the query asks of them loaded at once.
pub(crate) async fn list(
    ctx: &Context<'_>,
    filter: Filter,
    as_of: Option<Date>,
    order_by: Option<Order>,
    first: Option<i32>,
    after: Option<String>,
) -> Result<CountedConnection<Action>> {
    let access = ctx.access()?;
    let page = PageArgs::new(ctx.limits(), first, after)?;
    let day = as_of.map_or_else(london_today, |d| d.0);
    let actions: Paged<Action> =
        service::list(access, filter, day, order_by.unwrap_or(Order::DueOn), page).await?;
    let refs: Vec<&Action> = actions.items.iter().map(|(_, a)| a).collect();
    prime_actions(ctx, &items(&ctx.look_ahead()), &refs).await?;
    Ok(actions.into())
}

/// Loads, for a whole set of actions at once, what the query asks of them.
pub(crate) async fn prime_actions(
    ctx: &Context<'_>,
    la: &Lookahead<'_>,
    actions: &[&Action],
) -> AppResult<()> {
    if actions.is_empty() {
        return Ok(());
    }
    let access = ctx.access()?;
    let loaders = ctx.loaders()?;
    let ids: Vec<uuid::Uuid> = actions.iter().map(|a| a.id.0).collect();
    let latest = la.field("latestUpdate");
    if latest.exists() {
        let updates = crate::progress::service::latest(access, ids.clone()).await?;
        if latest.field("author").exists() {
            let authors: Vec<uuid::Uuid> = updates
                .values()
                .flatten()
                .filter_map(|u| u.author_id.map(|a| a.0))
                .collect();
            prime_users(ctx, &authors).await?;
        }
        prime(&loaders.latest_update, updates).await;
    }
    if la.field("evidence").exists() {
        prime(
            &loaders.evidence,
            crate::progress::service::evidence_of(access, ids.clone()).await?,
        )
        .await;
    }
    if la.field("dueDateChanges").exists() {
        prime(
            &loaders.due_date_changes,
            service::due_date_changes(access, ids.clone()).await?,
        )
        .await;
    }
    if la.field("recommendation").exists() {
        let recs = actions
            .iter()
            .filter_map(|a| a.recommendation_id.map(|r| r.0))
            .collect();
        prime(
            &loaders.recommendations,
            crate::reviews::recommendations::by_ids(access, recs).await?,
        )
        .await;
    }
    if la.field("review").exists() {
        let reviews = actions
            .iter()
            .filter_map(|a| a.review_id.map(|r| r.0))
            .collect();
        prime(
            &loaders.reviews,
            crate::reviews::service::by_ids(access, reviews).await?,
        )
        .await;
    }
    if la.field("ownerUser").exists() {
        let owners: Vec<uuid::Uuid> = actions
            .iter()
            .filter_map(|a| a.owner_user_id.map(|u| u.0))
            .collect();
        prime_users(ctx, &owners).await?;
    }
    // Standings asked for another day than the one the actions were read for.
    let read_for = actions[0].standing.as_of;
    for field in ["rag", "standing"] {
        for day in days_asked(&la.field(field), read_for) {
            if day != read_for {
                let keys = ids.iter().map(|id| (*id, day)).collect();
                prime(&loaders.standings, service::standings(access, keys).await?).await;
            }
        }
    }
    Ok(())
}

async fn prime_users(ctx: &Context<'_>, ids: &[uuid::Uuid]) -> AppResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let users = crate::users::service::by_ids(ctx.access()?, ids).await?;
    prime(
        &ctx.loaders()?.users,
        users.into_iter().map(|u| (u.id.0, u)).collect(),
    )
    .await;
    Ok(())
}

/// Queries about actions.
#[derive(Default)]
pub struct ActionQuery;

#[Object]
impl ActionQuery {
    /// The actions the caller may read (its own organisation's, and those of panel members
    /// that share detail), as they stood at the end of `asOf`. For example the 20 most
    /// overdue: `actions(filter: { overdue: true }, orderBy: DUE_ON, first: 20)`.
    #[graphql(complexity = "connection_complexity(first, child_complexity)")]
    async fn actions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list.")] filter: Option<ActionFilterInput>,
        #[graphql(desc = "The day to report as at; today in the UK when absent.")] as_of: Option<
            Date,
        >,
        #[graphql(desc = "The order; earliest delivery date first when absent.")] order_by: Option<
            Order,
        >,
        #[graphql(desc = "Page size: 1 to 100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last action of the previous page.")] after: Option<String>,
    ) -> Result<CountedConnection<Action>> {
        let filter = filter.unwrap_or_default().into_filter()?;
        list(ctx, filter, as_of, order_by, first, after).await
    }

    /// One action, if the caller may read it; `NOT_FOUND` otherwise.
    async fn action(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The action's id.")] id: ID,
    ) -> Result<Option<Action>> {
        let action = service::get(ctx.access()?, ActionId::parse("id", &id)?).await?;
        prime_actions(ctx, &ctx.look_ahead(), &[&action]).await?;
        Ok(Some(action))
    }
}

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
    /// The day it was agreed; today when absent. Not in the future.
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
    /// New status, effective today. `WITHDRAWN` withdraws the action (nothing is deleted).
    pub status: Option<ActionStatus>,
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
    /// The day the new date takes effect; today when absent. Not in the future, not before
    /// the latest change.
    pub effective_on: Option<Date>,
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
            reason: service::check_reason("input.reason", &input.reason)?,
            effective_on: input.effective_on.map(|d| d.0),
        };
        let (action, due_date_change) =
            service::change_due_date(access, id, input.version, change).await?;
        Ok(ChangeActionDueDatePayload {
            action,
            due_date_change,
        })
    }
}
