//! The API of actions, their point-in-time standing, progress summaries and changes between
//! committee dates.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::parser::types::Field;
use async_graphql::{Context, ID, InputObject, Lookahead, Object, Result, Value};
use chrono::{DateTime, NaiveDate, Utc};

use super::asof::{Detail, Filter};
use super::page::Beside;
use super::service::{self, Order};
use super::summary::{Grouping, ProgressSummary};
use super::{Action, ActionStatus, DueDateChange, Rag, Standing, StatusChange};
use crate::dates::Date;
use crate::error::AppResult;
use crate::graphql::ContextExt;
use crate::graphql::plain::{self, Plain, PlainNode, PlainWith};
use crate::history::AsAt;
use crate::ids::{ActionId, OrgId, RecommendationId, ReviewId};
use crate::loaders::{days_asked, held, items, prime, primed};
use crate::organisations::Organisation;
use crate::pagination::{CountedConnection, PageArgs, Paged, Window, connection_complexity};
use crate::progress::plan::Reading;
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

    /// The moment it is as known at: everything recorded later is left out. Null: as known
    /// when asked.
    async fn known_at(&self) -> Option<DateTime<Utc>> {
        self.known_at
    }

    /// The percentage complete last reported on or before the day (as known at the moment).
    async fn percent_complete(&self, ctx: &Context<'_>) -> Result<Option<i32>> {
        let at = AsAt {
            day: self.as_of,
            known: self.known_at,
        };
        Ok(ctx
            .loaders()?
            .percents
            .load_one((self.action.0, at))
            .await?
            .flatten())
    }
}

/// A standing is plain data but for its percentage complete, which is read.
impl Plain for Standing {
    fn field(&self, field: &Field) -> Option<Value> {
        Some(match field.name.node.as_str() {
            "asOf" => plain::value(&Date(self.as_of)),
            "status" => plain::value(&self.status),
            "dueOn" => plain::value(&Date(self.due_on)),
            "completedOn" => plain::value(&self.completed_on.map(Date)),
            "rag" => plain::value(&self.rag),
            "knownAt" => plain::value(&self.known_at),
            _ => return None,
        })
    }
}

/// The view of the list that read `action`, moved to `day` and `known` where given.
fn view_of(action: &Action, day: Option<NaiveDate>, known: Option<DateTime<Utc>>) -> AsAt {
    let read = AsAt {
        day: action.standing.as_of,
        known: action.standing.known_at,
    };
    AsAt::new(Some(day.unwrap_or(read.day)), known.or(read.known))
}

/// How `action` stood at `day` as known at `known` (absent: those it was read for).
async fn standing_on(
    ctx: &Context<'_>,
    action: &Action,
    day: Option<NaiveDate>,
    known: Option<DateTime<Utc>>,
) -> Result<Option<Standing>> {
    let at = view_of(action, day, known);
    if at.day == action.standing.as_of && at.known == action.standing.known_at {
        return Ok(Some(action.standing));
    }
    ctx.loaders()?.standings.load_one((action.id.0, at)).await
}

/// What a page of actions answers as plain data beside the actions' own columns, read for the
/// whole page at once; `None` where its selection did not ask.
#[derive(Default)]
pub(crate) struct PageReads {
    /// Each action's latest update of all.
    latest: Option<HashMap<uuid::Uuid, Option<ProgressUpdate>>>,
    /// Each action's changes of delivery date.
    due_date_changes: Option<HashMap<uuid::Uuid, Vec<DueDateChange>>>,
    /// Each action's evidence.
    evidence: Option<HashMap<uuid::Uuid, Vec<Evidence>>>,
}

/// An action of a page, with what was read for the page.
pub(crate) type ActionNode = PlainNode<Action, PageReads>;

/// A page of actions as the API answers it.
pub(crate) type ActionConnection = CountedConnection<ActionNode>;

/// The connection of `page`, its actions answering plainly from `reads`.
fn connection(page: Paged<Action>, reads: PageReads) -> ActionConnection {
    let held = Arc::new(reads);
    page.map(|item| PlainNode {
        item,
        held: held.clone(),
    })
    .into()
}

/// An action's columns, its standing on the list's day (asked without arguments) and what its
/// page read for it are plain data; its organisation, review, history and the rest are
/// resolved.
impl PlainWith<PageReads> for Action {
    fn field_with(&self, reads: &PageReads, field: &Field) -> Option<Value> {
        let set = &field.selection_set.node;
        let id = &self.id.0;
        Some(match field.name.node.as_str() {
            "id" => plain::value(&self.id.to_gql()),
            "title" => plain::string(&self.title),
            "detail" => plain::optional_string(self.detail.as_deref()),
            "owner" => plain::string(&self.owner),
            "openedOn" => plain::value(&Date(self.opened_on)),
            "originalDueOn" => plain::value(&Date(self.original_due_on)),
            "dueOn" => plain::value(&Date(self.due_on)),
            "status" => plain::value(&self.status),
            "completedOn" => plain::value(&self.completed_on.map(Date)),
            "percentComplete" => plain::value(&self.percent_complete),
            "version" => plain::value(&self.version),
            "createdAt" => plain::value(&self.created_at),
            "updatedAt" => plain::value(&self.updated_at),
            "rag" => plain::value(&self.standing.rag),
            "standing" => plain::object(&self.standing, set)?,
            "latestUpdate" => {
                let latest = reads.latest.as_ref()?.get(id).and_then(Option::as_ref);
                plain::optional(latest, set)?
            }
            "dueDateChanges" => {
                let changes = reads.due_date_changes.as_ref()?.get(id);
                plain::list(changes.map_or(&[][..], Vec::as_slice).iter(), set)?
            }
            "evidence" => {
                let evidence = reads.evidence.as_ref()?.get(id);
                plain::list(evidence.map_or(&[][..], Vec::as_slice).iter(), set)?
            }
            _ => return None,
        })
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
        #[graphql(
            desc = "The moment it is as known at; the list's `knownAt`, or now, when absent."
        )]
        known_at: Option<DateTime<Utc>>,
    ) -> Result<Option<Rag>> {
        Ok(standing_on(ctx, self, as_of.map(|d| d.0), known_at)
            .await?
            .and_then(|s| s.rag))
    }

    /// How it stood at the end of `asOf`: status, delivery date, completion and RAG, as a
    /// committee report of that day gave them. Null when it had not yet been agreed.
    async fn standing(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The day; the list's `asOf`, or today, when absent.")] as_of: Option<Date>,
        #[graphql(
            desc = "The moment it is as known at; the list's `knownAt`, or now, when absent."
        )]
        known_at: Option<DateTime<Utc>>,
    ) -> Result<Option<Standing>> {
        standing_on(ctx, self, as_of.map(|d| d.0), known_at).await
    }

    /// Its status history, in the order it took effect: corrections included, and marked.
    async fn status_history(&self, ctx: &Context<'_>) -> Result<Vec<StatusChange>> {
        crate::loaders::list(&ctx.loaders()?.status_history, self.id.0).await
    }

    /// Its latest progress update (by as-at date). With `asOf` or `knownAt`, the latest dated
    /// on or before the day and recorded by the moment: what a committee report of that day
    /// quoted.
    async fn latest_update(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The day; the latest update of all when absent (and `knownAt` too).")]
        as_of: Option<Date>,
        #[graphql(desc = "The moment it is as known at; now when absent.")] known_at: Option<
            DateTime<Utc>,
        >,
    ) -> Result<Option<ProgressUpdate>> {
        let loaders = ctx.loaders()?;
        if as_of.is_none() && known_at.is_none() {
            return Ok(loaders.latest_update.load_one(self.id.0).await?.flatten());
        }
        let at = AsAt::new(as_of.map(|d| d.0), known_at);
        Ok(loaders
            .latest_update_on
            .load_one((self.id.0, at))
            .await?
            .flatten())
    }

    /// Its progress updates, latest as-at date first.
    #[graphql(complexity = "connection_complexity(first, last, child_complexity)")]
    async fn updates(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size: 1 to 100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last update of the previous page.")] after: Option<String>,
        #[graphql(
            desc = "Page size when paging backwards: the last 1 to 100 before `before` (or of the list)."
        )]
        last: Option<i32>,
        #[graphql(desc = "Cursor of the first update of the next page: the page ends before it.")]
        before: Option<String>,
    ) -> Result<CountedConnection<ProgressUpdate>> {
        let page = PageArgs::new(ctx.limits(), "updates", first, after, last, before)?;
        Ok(
            crate::progress::service::updates(ctx.access()?, self.id, page)
                .await?
                .into(),
        )
    }

    /// The evidence attached to it, oldest first.
    async fn evidence(&self, ctx: &Context<'_>) -> Result<Vec<Evidence>> {
        crate::loaders::list(&ctx.loaders()?.evidence, self.id.0).await
    }

    /// Every change of its delivery date, oldest first.
    async fn due_date_changes(&self, ctx: &Context<'_>) -> Result<Vec<DueDateChange>> {
        crate::loaders::list(&ctx.loaders()?.due_date_changes, self.id.0).await
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

/// A change of delivery date is plain data but for who made it and its action.
impl Plain for DueDateChange {
    fn field(&self, field: &Field) -> Option<Value> {
        Some(match field.name.node.as_str() {
            "id" => plain::value(&self.id.to_gql()),
            "isCorrection" => plain::value(&self.correction_reason.is_some()),
            "correctionReason" => plain::optional_string(self.correction_reason.as_deref()),
            "previousDueOn" => plain::value(&Date(self.previous_due_on)),
            "newDueOn" => plain::value(&Date(self.new_due_on)),
            "reason" => plain::string(&self.reason),
            "effectiveOn" => plain::value(&Date(self.effective_on)),
            "changedAt" => plain::value(&self.changed_at),
            _ => return None,
        })
    }
}

/// A change of an action's delivery date.
#[Object]
impl DueDateChange {
    /// Opaque id.
    pub async fn id(&self) -> ID {
        self.id.to_gql()
    }

    /// Whether it was entered as a correction: dated before the latest entry of its history.
    async fn is_correction(&self) -> bool {
        self.correction_reason.is_some()
    }

    /// Why, when it is a correction.
    async fn correction_reason(&self) -> Option<&str> {
        self.correction_reason.as_deref()
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

/// An entry of an action's status history.
#[Object]
impl StatusChange {
    /// The status.
    async fn status(&self) -> ActionStatus {
        self.status
    }

    /// The day it took effect.
    async fn effective_on(&self) -> Date {
        Date(self.effective_on)
    }

    /// The moment it was recorded: answers as known at an earlier moment leave it out.
    async fn recorded_at(&self) -> DateTime<Utc> {
        self.recorded_at
    }

    /// The progress update that carried it, if one did.
    async fn progress_update(&self, ctx: &Context<'_>) -> Result<Option<ProgressUpdate>> {
        match self.progress_update_id {
            Some(id) => Ok(Some(
                crate::progress::service::get_update(ctx.access()?, id).await?,
            )),
            None => Ok(None),
        }
    }

    /// Whether it was entered as a correction: dated before the latest entry of its history.
    async fn is_correction(&self) -> bool {
        self.correction_reason.is_some()
    }

    /// Why, when it is a correction.
    async fn correction_reason(&self) -> Option<&str> {
        self.correction_reason.as_deref()
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

/// A page of actions, as they stood at `as_of` as known at `known_at`, with what the query
/// asks of them loaded at once.
pub(crate) async fn list(
    ctx: &Context<'_>,
    filter: Filter,
    as_of: Option<Date>,
    known_at: Option<DateTime<Utc>>,
    order_by: Option<Order>,
    window: Window,
) -> Result<ActionConnection> {
    let access = ctx.access()?;
    let order = order_by.unwrap_or(Order::DueOn);
    // A cursor holds the sort key: it is good only for the order that gave it out.
    let list = format!("actions/{}", order.name());
    let page = window.page(ctx.limits(), list)?;
    let day = AsAt::new(as_of.map(|d| d.0), known_at);
    let look_ahead = ctx.look_ahead();
    let asked = items(&look_ahead);
    let beside = Beside {
        recommendation: asked.field("recommendation").exists(),
        review: asked.field("review").exists(),
    };
    let read = super::page::list(access, filter, day, order, page, beside).await?;
    let loaders = ctx.loaders()?;
    if let Some(found) = read.recommendations {
        prime(&loaders.recommendations, found).await;
    }
    if let Some(found) = read.reviews {
        prime(&loaders.reviews, found).await;
    }
    let actions = read.actions;
    let refs: Vec<&Action> = actions.items.iter().map(|(_, a)| a).collect();
    let reads = prime_actions(ctx, &asked, &refs).await?;
    Ok(connection(actions, reads))
}

/// For a review whose selection asks its progress and the first page of its actions on the
/// same day (a committee's action plan), reads both, and the actions' latest updates and
/// changes of delivery date, in one statement ([`crate::progress::plan`]): primes the
/// progress, the updates and the changes, and keeps the page for the review's `actions`
/// field. Returns the day whose counts it primed; `None`
/// when the selection is anything else, and each field then reads its own.
pub(crate) async fn prepare_plan(
    ctx: &Context<'_>,
    review: ReviewId,
    actions: &Lookahead<'_>,
    progress: &Lookahead<'_>,
) -> AppResult<Option<AsAt>> {
    let fields = actions.selection_fields();
    let ([field], true) = (fields.as_slice(), progress.exists()) else {
        return Ok(None);
    };
    let Ok(args) = field.arguments() else {
        return Ok(None);
    };
    let mut order = Order::DueOn;
    let mut first = None;
    for (name, value) in &args {
        match (name.as_str(), value) {
            ("asOf" | "knownAt", _) | (_, async_graphql::Value::Null) => {}
            ("orderBy", async_graphql::Value::Enum(e)) => {
                order = match e.as_str() {
                    "DUE_ON" => Order::DueOn,
                    "DUE_ON_DESC" => Order::DueOnDesc,
                    "TITLE" => Order::Title,
                    _ => return Ok(None),
                }
            }
            ("first", async_graphql::Value::Number(n)) => {
                first = n.as_i64().and_then(|n| i32::try_from(n).ok());
            }
            // A filter or a cursor: the page is not the plan's first.
            _ => return Ok(None),
        }
    }
    let [at] = crate::loaders::days_asked(actions, AsAt::today())[..] else {
        return Ok(None);
    };
    if !crate::loaders::days_asked(progress, AsAt::today()).contains(&at) {
        return Ok(None);
    }
    let window = Window {
        first,
        after: None,
        last: None,
        before: None,
    };
    // Page arguments out of bounds: the field itself says so.
    let Ok(page) = window.page(ctx.limits(), format!("actions/{}", order.name())) else {
        return Ok(None);
    };
    let asked = items(actions);
    let latest = asked.field("latestUpdate");
    let reading = Reading {
        detail: if asked.field("detail").exists() {
            Detail::Read
        } else {
            Detail::Skip
        },
        latest: latest_of_all(&latest),
        changes: asked.field("dueDateChanges").exists(),
    };
    let access = ctx.access()?;
    let loaders = ctx.loaders()?;
    let plan = crate::progress::plan::first_page(access, review, at, order, &page, reading).await?;
    let mut summary = ProgressSummary::empty(Grouping::Review, review.0, at);
    summary.actions = plan.counts;
    prime(
        &loaders.review_progress,
        HashMap::from([((review.0, at), summary)]),
    )
    .await;
    if let Some(updates) = plan.latest {
        prime(&loaders.latest_update, updates).await;
    }
    if let Some(changes) = plan.changes {
        prime(&loaders.due_date_changes, changes).await;
    }
    loaders.keep_plan_page((review.0, at, order, page.size), plan.page);
    Ok(Some(at))
}

/// The first page of `review`'s actions [`prepare_plan`] kept for this field, if it did.
pub(crate) async fn prepared_plan(
    ctx: &Context<'_>,
    review: ReviewId,
    filter: &Option<ActionFilterInput>,
    day: AsAt,
    order: Option<Order>,
    window: &Window,
) -> Result<Option<ActionConnection>> {
    if filter.is_some()
        || window.after.is_some()
        || window.last.is_some()
        || window.before.is_some()
    {
        return Ok(None);
    }
    let order = order.unwrap_or(Order::DueOn);
    let page = window
        .clone()
        .page(ctx.limits(), format!("actions/{}", order.name()))?;
    let Some(actions) = ctx
        .loaders()?
        .take_plan_page(&(review.0, day, order, page.size))
    else {
        return Ok(None);
    };
    let refs: Vec<&Action> = actions.items.iter().map(|(_, a)| a).collect();
    let reads = prime_actions(ctx, &items(&ctx.look_ahead()), &refs).await?;
    Ok(Some(connection(actions, reads)))
}

/// Whether a `latestUpdate` selection asks for the latest of all (no `asOf`): the one a page
/// primes; one as at a day is batched by its own loader.
fn latest_of_all(latest: &Lookahead<'_>) -> bool {
    latest
        .selection_fields()
        .iter()
        .any(|f| f.arguments().is_ok_and(|args| args.is_empty()))
}

/// Loads, for a whole set of actions at once, what the query asks of them: into the
/// request's loaders for the resolvers, and what a page answers plainly into its reads.
pub(crate) async fn prime_actions(
    ctx: &Context<'_>,
    la: &Lookahead<'_>,
    actions: &[&Action],
) -> AppResult<PageReads> {
    let mut reads = PageReads::default();
    if actions.is_empty() {
        return Ok(reads);
    }
    let access = ctx.access()?;
    let loaders = ctx.loaders()?;
    let ids: Vec<uuid::Uuid> = actions.iter().map(|a| a.id.0).collect();
    let latest = la.field("latestUpdate");
    if latest_of_all(&latest) {
        // Unless the plan's statement read them already.
        if !primed(&loaders.latest_update, &ids) {
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
        reads.latest = Some(held(&loaders.latest_update, &ids));
    }
    if la.field("evidence").exists() {
        let evidence = crate::progress::service::evidence_of(access, ids.clone()).await?;
        prime(&loaders.evidence, evidence.clone()).await;
        reads.evidence = Some(evidence);
    }
    if la.field("dueDateChanges").exists() {
        // Unless the plan's statement read them already.
        if !primed(&loaders.due_date_changes, &ids) {
            let changes = crate::actions::due_dates::of_actions(access, ids.clone()).await?;
            prime(&loaders.due_date_changes, changes).await;
        }
        reads.due_date_changes = Some(held(&loaders.due_date_changes, &ids));
    }
    if la.field("recommendation").exists() {
        let recs: Vec<uuid::Uuid> = actions
            .iter()
            .filter_map(|a| a.recommendation_id.map(|r| r.0))
            .collect();
        // Unless the page's statement read them already.
        if !primed(&loaders.recommendations, &recs) {
            prime(
                &loaders.recommendations,
                crate::reviews::recommendations::by_ids(access, recs).await?,
            )
            .await;
        }
    }
    if la.field("review").exists() {
        let reviews: Vec<uuid::Uuid> = actions
            .iter()
            .filter_map(|a| a.review_id.map(|r| r.0))
            .collect();
        if !primed(&loaders.reviews, &reviews) {
            prime(
                &loaders.reviews,
                crate::reviews::service::by_ids(access, reviews).await?,
            )
            .await;
        }
    }
    if la.field("ownerUser").exists() {
        let owners: Vec<uuid::Uuid> = actions
            .iter()
            .filter_map(|a| a.owner_user_id.map(|u| u.0))
            .collect();
        prime_users(ctx, &owners).await?;
    }
    // Standings asked for another day than the one the actions were read for.
    let read_for = view_of(actions[0], None, None);
    for field in ["rag", "standing"] {
        for day in days_asked(&la.field(field), read_for) {
            if day != read_for {
                let found = service::standings(access, ids.clone(), day).await?;
                let keyed = found.into_iter().map(|(id, s)| ((id, day), s)).collect();
                prime(&loaders.standings, keyed).await;
            }
        }
    }
    Ok(reads)
}

async fn prime_users(ctx: &Context<'_>, ids: &[uuid::Uuid]) -> AppResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let users = crate::users::service::people(ctx.access()?, ids).await?;
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
    #[graphql(complexity = "connection_complexity(first, last, child_complexity)")]
    // Each argument is one of the field's GraphQL arguments: a filter, a day, an order and
    // the four of a connection's page.
    #[allow(clippy::too_many_arguments)]
    async fn actions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list.")] filter: Option<ActionFilterInput>,
        #[graphql(desc = "The day to report as at; today in the UK when absent.")] as_of: Option<
            Date,
        >,
        #[graphql(
            desc = "The moment to report as known at: what the service said then, ignoring everything recorded later. Now when absent."
        )]
        known_at: Option<DateTime<Utc>>,
        #[graphql(desc = "The order; earliest delivery date first when absent.")] order_by: Option<
            Order,
        >,
        #[graphql(desc = "Page size: 1 to 100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last action of the previous page.")] after: Option<String>,
        #[graphql(
            desc = "Page size when paging backwards: the last 1 to 100 before `before` (or of the list)."
        )]
        last: Option<i32>,
        #[graphql(desc = "Cursor of the first action of the next page: the page ends before it.")]
        before: Option<String>,
    ) -> Result<ActionConnection> {
        let filter = filter.unwrap_or_default().into_filter()?;
        list(
            ctx,
            filter,
            as_of,
            known_at,
            order_by,
            Window {
                first,
                after,
                last,
                before,
            },
        )
        .await
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
