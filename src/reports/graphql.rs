//! The reports a committee reads, as GraphQL objects: where a review or an organisation stood
//! on a day ([`ProgressSummary`]) and what moved between two committee dates ([`Changes`]).

use async_graphql::{Context, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use crate::actions::summary::{self, Grouping, ProgressSummary, RecommendationCounts, Window};
use crate::actions::{Action, DueDateChange};
use crate::dates::Date;
use crate::error::{AppError, AppResult};
use crate::graphql::ContextExt;
use crate::history::AsAt;
use crate::progress::ProgressUpdate;

/// A count of recommendations with one status.
#[derive(SimpleObject)]
pub struct StatusCount {
    /// The status.
    pub status: crate::reviews::RecommendationStatus,
    /// How many had it.
    pub count: i64,
}

impl ProgressSummary {
    /// Its recommendations by status on the day, from the request's loaders (which a list of
    /// summaries primes at once).
    async fn recommendation_counts(&self, ctx: &Context<'_>) -> Result<RecommendationCounts> {
        let loaders = ctx.loaders()?;
        let loader = match self.grouping {
            Grouping::Review => &loaders.review_recommendations,
            Grouping::Organisation => &loaders.organisation_recommendations,
        };
        Ok(loader
            .load_one((self.key, self.at))
            .await?
            .unwrap_or_default())
    }
}

/// Where a review or an organisation stood at the end of a day.
#[Object]
impl ProgressSummary {
    /// The day.
    async fn as_of(&self) -> Date {
        Date(self.at.day)
    }

    /// The moment it is as known at: everything recorded later is left out. Null: as known
    /// when asked.
    async fn known_at(&self) -> Option<DateTime<Utc>> {
        self.at.known
    }

    /// Recommendations made by the day.
    async fn recommendations_total(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(self.recommendation_counts(ctx).await?.total())
    }

    /// Recommendations still outstanding then (open, in progress or ongoing).
    async fn recommendations_outstanding(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(self.recommendation_counts(ctx).await?.outstanding())
    }

    /// Recommendations discharged by then.
    async fn recommendations_discharged(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(self
            .recommendation_counts(ctx)
            .await?
            .with(crate::reviews::RecommendationStatus::Discharged))
    }

    /// Recommendations by the status they had then (statuses with none left out).
    async fn recommendations_by_status(&self, ctx: &Context<'_>) -> Result<Vec<StatusCount>> {
        Ok(self
            .recommendation_counts(ctx)
            .await?
            .by_status
            .iter()
            .map(|(status, count)| StatusCount {
                status: *status,
                count: *count,
            })
            .collect())
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
    /// The changes of one review or organisation between two dates, as known at `known`
    /// (now when absent).
    pub fn new(
        grouping: Grouping,
        key: uuid::Uuid,
        from: Date,
        to: Date,
        known: Option<DateTime<Utc>>,
    ) -> AppResult<Self> {
        if from >= to {
            return Err(AppError::bad_input("from", "must be before `to`"));
        }
        Ok(Changes {
            window: Window {
                grouping,
                key,
                from: from.0,
                to: to.0,
                known: AsAt::new(Some(to.0), known).known,
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

    /// The moment both ends are as known at; null: as known when asked.
    async fn known_at(&self) -> Option<DateTime<Utc>> {
        self.window.known
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
        Ok(crate::progress::service::in_window(access, query, CHANGES_LIMIT).await?)
    }
}
