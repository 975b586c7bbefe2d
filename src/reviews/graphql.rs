//! The API of reviews and recommendations.

use async_graphql::{Context, ID, InputObject, Lookahead, Object, Result};
use chrono::{DateTime, Utc};

use super::recommendations::{self};
use super::service::{self, ReviewFilter};
use super::standing::{RecommendationStanding, RecommendationStatusChange};
use super::{
    Judgement, Recommendation, RecommendationKind, RecommendationStatus, Review, ReviewKind,
    ReviewStatus,
};
use crate::actions::asof::Filter;
use crate::actions::graphql::{ActionFilterInput, prime_actions};
use crate::actions::service::Order;
use crate::actions::summary::{Grouping, ProgressSummary};
use crate::actions::{Action, graphql as action_api};
use crate::committees::graphql::WindowArgs;
use crate::dates::Date;
use crate::error::AppResult;
use crate::graphql::ContextExt;
use crate::history::AsAt;
use crate::ids::{OrgId, RecommendationId, ReviewId};
use crate::loaders::{items, prime};
use crate::organisations::Organisation;
use crate::pagination::{CountedConnection, PageArgs, Window, connection_complexity};
use crate::reports::graphql::Changes;
use crate::users::User;

/// How a recommendation stood at the end of one day, as known at a moment.
#[Object]
impl RecommendationStanding {
    /// The day.
    async fn as_of(&self) -> Date {
        Date(self.as_of)
    }

    /// The moment it is as known at; null: as known when asked.
    async fn known_at(&self) -> Option<DateTime<Utc>> {
        self.known_at
    }

    /// Its status then.
    async fn status(&self) -> Option<RecommendationStatus> {
        self.status
    }

    /// Whether it still asked something of the organisation then (open, in progress or
    /// ongoing).
    async fn outstanding(&self) -> bool {
        self.is_outstanding()
    }

    /// Its target date (the current one: target dates keep no history).
    async fn target_date(&self) -> Option<Date> {
        self.target_date.map(Date)
    }

    /// The day it was discharged, if it was discharged then.
    async fn discharged_on(&self) -> Option<Date> {
        self.discharged_on.map(Date)
    }
}

/// An entry of a recommendation's status history.
#[Object]
impl RecommendationStatusChange {
    /// The status.
    async fn status(&self) -> RecommendationStatus {
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

    /// Whether it was entered as a correction: dated before the latest entry of its history.
    async fn is_correction(&self) -> bool {
        self.correction_reason.is_some()
    }

    /// Why, when it is a correction.
    async fn correction_reason(&self) -> Option<&str> {
        self.correction_reason.as_deref()
    }
}

/// A review an organisation went through, owned by that organisation whoever conducted it.
#[Object]
impl Review {
    /// Opaque id.
    pub async fn id(&self) -> ID {
        self.id.to_gql()
    }

    /// The organisation reviewed, which owns the review.
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        ctx.loaders()?.organisations.load_one(self.org_id.0).await
    }

    /// What kind of review it was.
    async fn kind(&self) -> ReviewKind {
        self.kind
    }

    /// Its title, e.g. "Protection peer review".
    async fn title(&self) -> &str {
        &self.title
    }

    /// Who conducted it, as text (e.g. "HMICFRS", "Hertfordshire Fire and Rescue Service").
    async fn reviewer(&self) -> Option<&str> {
        self.reviewer.as_deref()
    }

    /// The organisation that conducted it, when it is one the service holds and the caller
    /// may see.
    async fn reviewer_organisation(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        match self.reviewer_org_id {
            Some(org) => ctx.loaders()?.organisations.load_one(org.0).await,
            None => Ok(None),
        }
    }

    /// When it was commissioned.
    async fn commissioned_on(&self) -> Option<Date> {
        self.commissioned_on.map(Date)
    }

    /// When it reported.
    async fn reported_on(&self) -> Option<Date> {
        self.reported_on.map(Date)
    }

    /// Where it stands.
    async fn status(&self) -> ReviewStatus {
        self.status
    }

    /// A summary of its findings.
    async fn summary(&self) -> Option<&str> {
        self.summary.as_deref()
    }

    /// A link to the report.
    async fn source_url(&self) -> Option<&str> {
        self.source_url.as_deref()
    }

    /// Its graded judgements, in order.
    async fn judgements(&self, ctx: &Context<'_>) -> Result<Vec<Judgement>> {
        crate::loaders::list(&ctx.loaders()?.judgements, self.id.0).await
    }

    /// Its recommendations (and other findings), in the order they were recorded. With
    /// `asOf` or `knownAt`, those made (and recorded) by then; with `status` or `outstanding`,
    /// those that stood so then: `recommendations(asOf: "2020-12-08", outstanding: true)` names
    /// what was outstanding on that day, whatever was discharged since. Each one's `standing`
    /// defaults to the same day.
    async fn recommendations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The day to read statuses as at; today in the UK when absent.")]
        as_of: Option<Date>,
        #[graphql(desc = "The moment to read them as known at; now when absent.")] known_at: Option<
            DateTime<Utc>,
        >,
        #[graphql(desc = "Only those with this status on the day.")] status: Option<
            RecommendationStatus,
        >,
        #[graphql(
            desc = "Only those outstanding on the day (open, in progress or ongoing), or only those not."
        )]
        outstanding: Option<bool>,
    ) -> Result<Vec<Recommendation>> {
        let loaders = ctx.loaders()?;
        let all = crate::loaders::list(&loaders.recommendations_of_review, self.id.0).await?;
        if as_of.is_none() && known_at.is_none() && status.is_none() && outstanding.is_none() {
            return Ok(all);
        }
        let at = AsAt::new(as_of.map(|d| d.0), known_at);
        let standings = loaders
            .recommendation_standings
            .load_many(all.iter().map(|r| (r.id.0, at)))
            .await?;
        Ok(all
            .into_iter()
            .filter(|r| {
                standings.get(&(r.id.0, at)).is_some_and(|s| {
                    s.status.is_some()
                        && status.is_none_or(|wanted| s.status == Some(wanted))
                        && outstanding.is_none_or(|wanted| s.is_outstanding() == wanted)
                })
            })
            .map(|mut r| {
                r.read_at = Some(at);
                r
            })
            .collect())
    }

    /// Its action plan: the actions of this review, as they stood at the end of `asOf`.
    #[graphql(complexity = "connection_complexity(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    // Each argument is one of the field's GraphQL arguments: a filter, a day, an order and
    // the four of a connection's page.
    #[allow(clippy::too_many_arguments)]
    async fn actions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the plan; its `reviewId` is this review's.")] filter: Option<
            ActionFilterInput,
        >,
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
    ) -> Result<action_api::ActionConnection> {
        let window = Window {
            first,
            after,
            last,
            before,
        };
        let day = AsAt::new(as_of.map(|d| d.0), known_at);
        if let Some(plan) =
            action_api::prepared_plan(ctx, self.id, &filter, day, order_by, &window).await?
        {
            return Ok(plan);
        }
        let mut filter: Filter = filter.unwrap_or_default().into_filter()?;
        filter.reviews = Some(vec![self.id]);
        action_api::list(ctx, filter, as_of, known_at, order_by, window).await
    }

    /// Where it stood at the end of `asOf`, as known at `knownAt`: recommendations by status,
    /// actions by RAG.
    async fn progress(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The day to report as at; today in the UK when absent.")] as_of: Option<
            Date,
        >,
        #[graphql(
            desc = "The moment to report as known at: what the service said then, ignoring everything recorded later. Now when absent."
        )]
        known_at: Option<DateTime<Utc>>,
    ) -> Result<ProgressSummary> {
        let day = AsAt::new(as_of.map(|d| d.0), known_at);
        Ok(ctx
            .loaders()?
            .review_progress
            .load_one((self.id.0, day))
            .await?
            .unwrap_or_else(|| ProgressSummary::empty(Grouping::Review, self.id.0, day)))
    }

    /// What moved between two committee dates: after `from`, up to and including `to`. The
    /// dates can come from the organisation's committees instead: `sinceCommittee` (its date
    /// to `to`, or today), or `betweenCommittees` (the two meetings' dates).
    async fn changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The earlier date (the last committee).")] from: Option<Date>,
        #[graphql(desc = "The later date (this committee).")] to: Option<Date>,
        #[graphql(desc = "Both ends as known at this moment; now when absent.")] known_at: Option<
            DateTime<Utc>,
        >,
        #[graphql(
            desc = "A committee meeting of the organisation: the window starts at its date."
        )]
        since_committee: Option<ID>,
        #[graphql(desc = "Two committee meetings of the organisation: the window between them.")]
        between_committees: Option<Vec<ID>>,
    ) -> Result<Changes> {
        crate::committees::graphql::changes(
            ctx,
            Grouping::Review,
            self.id.0,
            self.org_id,
            WindowArgs {
                from,
                to,
                known_at,
                since_committee,
                between_committees,
            },
        )
        .await
    }

    /// Incremented by every change; pass it back to `updateReview`.
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

/// A finding of a review that asks for change: a recommendation, cause of concern, area for
/// improvement, observation or lesson.
#[Object]
impl Recommendation {
    /// Opaque id.
    pub async fn id(&self) -> ID {
        self.id.to_gql()
    }

    /// The review that made it.
    async fn review(&self, ctx: &Context<'_>) -> Result<Option<Review>> {
        ctx.loaders()?.reviews.load_one(self.review_id.0).await
    }

    /// Its reference within the review ("R3"), unique there.
    async fn reference(&self) -> &str {
        &self.reference
    }

    /// What kind of finding it is.
    async fn kind(&self) -> RecommendationKind {
        self.kind
    }

    /// What it asks.
    async fn text(&self) -> &str {
        &self.text
    }

    /// Where it stands now.
    async fn status(&self) -> RecommendationStatus {
        self.status
    }

    /// The date it is to be met by.
    async fn target_date(&self) -> Option<Date> {
        self.target_date.map(Date)
    }

    /// When it was discharged, if it is.
    async fn discharged_on(&self) -> Option<Date> {
        self.discharged_on.map(Date)
    }

    /// Who discharged it, if it is.
    async fn discharged_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        match self.discharged_by {
            Some(user) => ctx.loaders()?.users.load_one(user.0).await,
            None => Ok(None),
        }
    }

    /// The standards it bears on.
    async fn standards(&self, ctx: &Context<'_>) -> Result<Vec<crate::standards::Standard>> {
        crate::loaders::list(&ctx.loaders()?.recommendation_standards, self.id.0).await
    }

    /// The actions that answer it, earliest delivery date first, as they stand today.
    async fn actions(&self, ctx: &Context<'_>) -> Result<Vec<Action>> {
        crate::loaders::list(&ctx.loaders()?.actions_of_recommendation, self.id.0).await
    }

    /// How it stood at the end of `asOf`, as known at `knownAt`: its status, target date and
    /// discharge then. Null when it had not yet been made (or recorded).
    async fn standing(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The day; the list's `asOf`, or today, when absent.")] as_of: Option<Date>,
        #[graphql(desc = "The moment; the list's `knownAt`, or now, when absent.")]
        known_at: Option<DateTime<Utc>>,
    ) -> Result<Option<RecommendationStanding>> {
        let read = self.read_at.unwrap_or_else(AsAt::today);
        let at = AsAt::new(
            Some(as_of.map_or(read.day, |d| d.0)),
            known_at.or(read.known),
        );
        Ok(ctx
            .loaders()?
            .recommendation_standings
            .load_one((self.id.0, at))
            .await?
            .filter(|s| s.status.is_some()))
    }

    /// Its status history, in the order it took effect: corrections included, and marked.
    async fn status_history(&self, ctx: &Context<'_>) -> Result<Vec<RecommendationStatusChange>> {
        crate::loaders::list(&ctx.loaders()?.recommendation_history, self.id.0).await
    }

    /// Incremented by every change; pass it back to `updateRecommendation`.
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

/// Loads, for a whole set of reviews at once, what the query asks of them.
pub(crate) async fn prime_reviews(
    ctx: &Context<'_>,
    la: &Lookahead<'_>,
    reviews: &[&Review],
) -> AppResult<()> {
    if reviews.is_empty() {
        return Ok(());
    }
    let access = ctx.access()?;
    let loaders = ctx.loaders()?;
    let ids: Vec<uuid::Uuid> = reviews.iter().map(|r| r.id.0).collect();
    if la.field("judgements").exists() {
        prime(
            &loaders.judgements,
            service::judgements(access, ids.clone()).await?,
        )
        .await;
    }
    let orgs: Vec<uuid::Uuid> = la
        .field("organisation")
        .exists()
        .then(|| reviews.iter().map(|r| r.org_id.0).collect::<Vec<_>>())
        .into_iter()
        .flatten()
        .chain(
            la.field("reviewerOrganisation")
                .exists()
                .then(|| {
                    reviews
                        .iter()
                        .filter_map(|r| r.reviewer_org_id.map(|o| o.0))
                        .collect::<Vec<_>>()
                })
                .into_iter()
                .flatten(),
        )
        .collect();
    if !orgs.is_empty() {
        let found = crate::organisations::service::by_ids(access, &orgs).await?;
        prime(
            &loaders.organisations,
            found.into_iter().map(|o| (o.id.0, o)).collect(),
        )
        .await;
    }
    let progress = la.field("progress");
    // One review's plan: its counts and first page in one statement, when both are asked.
    let counted = match reviews {
        [review] => {
            action_api::prepare_plan(ctx, review.id, &la.field("actions"), &progress).await?
        }
        _ => None,
    };
    if progress.exists() {
        crate::loaders::prime_progress(access, loaders, Grouping::Review, &ids, &progress, counted)
            .await?;
    }
    let recs_la = la.field("recommendations");
    if recs_la.exists() {
        let recs = recommendations::of_reviews(access, ids).await?;
        let all: Vec<Recommendation> = recs.values().flatten().cloned().collect();
        prime(&loaders.recommendations_of_review, recs).await;
        prime_recommendations(ctx, &recs_la, &all.iter().collect::<Vec<_>>()).await?;
    }
    Ok(())
}

/// Loads, for a whole set of recommendations at once, what the query asks of them.
pub(crate) async fn prime_recommendations(
    ctx: &Context<'_>,
    la: &Lookahead<'_>,
    recs: &[&Recommendation],
) -> AppResult<()> {
    if recs.is_empty() {
        return Ok(());
    }
    let access = ctx.access()?;
    let loaders = ctx.loaders()?;
    if la.field("review").exists() {
        let ids = recs.iter().map(|r| r.review_id.0).collect();
        prime(&loaders.reviews, service::by_ids(access, ids).await?).await;
    }
    if la.field("dischargedBy").exists() {
        let ids: Vec<uuid::Uuid> = recs
            .iter()
            .filter_map(|r| r.discharged_by.map(|u| u.0))
            .collect();
        let users = crate::users::service::people(access, &ids).await?;
        prime(
            &loaders.users,
            users.into_iter().map(|u| (u.id.0, u)).collect(),
        )
        .await;
    }
    let actions_la = la.field("actions");
    if actions_la.exists() {
        let ids = recs.iter().map(|r| r.id.0).collect();
        let actions = crate::actions::service::of_recommendations(access, ids).await?;
        let all: Vec<Action> = actions.values().flatten().cloned().collect();
        prime(&loaders.actions_of_recommendation, actions).await;
        prime_actions(ctx, &actions_la, &all.iter().collect::<Vec<_>>()).await?;
    }
    Ok(())
}

/// Which reviews a list shows.
#[derive(InputObject, Default)]
pub struct ReviewFilterInput {
    /// Of this organisation only (one the caller may read in detail).
    pub organisation_id: Option<ID>,
    /// Of this kind only.
    pub kind: Option<ReviewKind>,
    /// With this status only.
    pub status: Option<ReviewStatus>,
}

/// Queries about reviews and recommendations.
#[derive(Default)]
pub struct ReviewQuery;

#[Object]
impl ReviewQuery {
    /// The reviews the caller may read (its own organisation's, and those of panel members
    /// that share detail with the caller's panel), most recently recorded first.
    #[graphql(complexity = "connection_complexity(first, last, child_complexity)")]
    async fn reviews(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list.")] filter: Option<ReviewFilterInput>,
        #[graphql(desc = "Page size: 1 to 100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last review of the previous page.")] after: Option<String>,
        #[graphql(
            desc = "Page size when paging backwards: the last 1 to 100 before `before` (or of the list)."
        )]
        last: Option<i32>,
        #[graphql(desc = "Cursor of the first review of the next page: the page ends before it.")]
        before: Option<String>,
    ) -> Result<CountedConnection<Review>> {
        let access = ctx.access()?;
        let page = PageArgs::new(ctx.limits(), "reviews", first, after, last, before)?;
        let filter = filter.unwrap_or_default();
        let filter = ReviewFilter {
            organisation: filter
                .organisation_id
                .map(|id| OrgId::parse("filter.organisationId", &id))
                .transpose()?,
            kind: filter.kind,
            status: filter.status,
        };
        let reviews = service::list(access, filter, page).await?;
        let refs: Vec<&Review> = reviews.items.iter().map(|(_, r)| r).collect();
        prime_reviews(ctx, &items(&ctx.look_ahead()), &refs).await?;
        Ok(reviews.into())
    }

    /// One review, if the caller may read it; `NOT_FOUND` otherwise.
    async fn review(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The review's id.")] id: ID,
    ) -> Result<Option<Review>> {
        let review = service::get(ctx.access()?, ReviewId::parse("id", &id)?).await?;
        prime_reviews(ctx, &ctx.look_ahead(), &[&review]).await?;
        Ok(Some(review))
    }

    /// One recommendation, if the caller may read it; `NOT_FOUND` otherwise.
    async fn recommendation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The recommendation's id.")] id: ID,
    ) -> Result<Option<Recommendation>> {
        let rec = recommendations::get(ctx.access()?, RecommendationId::parse("id", &id)?).await?;
        prime_recommendations(ctx, &ctx.look_ahead(), &[&rec]).await?;
        Ok(Some(rec))
    }
}
