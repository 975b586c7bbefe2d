//! The API of committees: the meetings, what each was told (`report`), and the windows of
//! `changes` that committees name.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::Committee;
use super::service::{self, NewCommittee};
use crate::actions::summary::{Grouping, ProgressSummary};
use crate::dates::{Date, london_today};
use crate::error::AppError;
use crate::graphql::ContextExt;
use crate::ids::{CommitteeId, OrgId, ReviewId};
use crate::organisations::Organisation;
use crate::reports::graphql::Changes;

/// A meeting of a committee an organisation reports to.
#[Object]
impl Committee {
    /// Opaque id.
    pub async fn id(&self) -> ID {
        self.id.to_gql()
    }

    /// The organisation whose committee it is.
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        ctx.loaders()?.organisations.load_one(self.org_id.0).await
    }

    /// The committee's name ("Audit and Governance Committee").
    async fn name(&self) -> &str {
        &self.name
    }

    /// The day it meets: the "as at" of its report.
    async fn meets_on(&self) -> Date {
        Date(self.meets_on)
    }

    /// A link to its papers.
    async fn paper_url(&self) -> Option<&str> {
        self.paper_url.as_deref()
    }

    /// The moment its report is as known at: the end of its day in the UK. Whatever is
    /// recorded later, corrections included, leaves its report unchanged.
    async fn known_at(&self) -> Option<DateTime<Utc>> {
        self.view().known
    }

    /// Where things stood for the meeting: the organisation's progress (or one of its
    /// reviews', with `reviewId`) at its date, as known at the end of that day. The same
    /// figures as the `progress` fields give with those `asOf` and `knownAt`.
    async fn report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "One of the organisation's reviews; the whole organisation when absent.")]
        review_id: Option<ID>,
    ) -> Result<Option<ProgressSummary>> {
        let loaders = ctx.loaders()?;
        let at = self.view();
        match review_id {
            None => Ok(loaders
                .organisation_progress
                .load_one((self.org_id.0, at))
                .await?),
            Some(id) => {
                let review = ReviewId::parse("reviewId", &id)?;
                let found = loaders.reviews.load_one(review.0).await?;
                if found.is_none_or(|r| r.org_id != self.org_id) {
                    return Err(AppError::NotFound("review").into());
                }
                Ok(Some(
                    loaders
                        .review_progress
                        .load_one((review.0, at))
                        .await?
                        .unwrap_or_else(|| ProgressSummary::empty(Grouping::Review, review.0, at)),
                ))
            }
        }
    }

    /// When it was recorded.
    async fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
}

/// The window of a `changes` field: two dates, or the committees that name them.
pub(crate) struct WindowArgs {
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub known_at: Option<DateTime<Utc>>,
    pub since_committee: Option<ID>,
    pub between_committees: Option<Vec<ID>>,
}

/// The changes of `key` (a review or organisation of `org`, per `grouping`) over the window
/// `args` names. A committee of another organisation answers as one that does not exist.
pub(crate) async fn changes(
    ctx: &Context<'_>,
    grouping: Grouping,
    key: uuid::Uuid,
    org: OrgId,
    args: WindowArgs,
) -> Result<Changes> {
    let access = ctx.access()?;
    let committee = |field: &'static str, id: ID| async move {
        let id = CommitteeId::parse(field, &id)?;
        service::of_window(access, org, id).await
    };
    let (from, to) = match (args.since_committee, args.between_committees) {
        (Some(_), Some(_)) => {
            return Err(AppError::bad_input(
                "sinceCommittee",
                "give sinceCommittee or betweenCommittees, not both",
            )
            .into());
        }
        (Some(id), None) => {
            if args.from.is_some() {
                return Err(AppError::bad_input("from", "sinceCommittee gives the start").into());
            }
            let since = committee("sinceCommittee", id).await?;
            (
                Date(since.meets_on),
                args.to.unwrap_or(Date(london_today())),
            )
        }
        (None, Some(ids)) => {
            if args.from.is_some() || args.to.is_some() {
                return Err(AppError::bad_input(
                    "betweenCommittees",
                    "the committees give both dates: leave out from and to",
                )
                .into());
            }
            let [first, second] = <[ID; 2]>::try_from(ids).map_err(|_| {
                AppError::bad_input("betweenCommittees", "give exactly two committees")
            })?;
            let first = committee("betweenCommittees", first).await?;
            let second = committee("betweenCommittees", second).await?;
            let (a, b) = if first.meets_on <= second.meets_on {
                (first, second)
            } else {
                (second, first)
            };
            (Date(a.meets_on), Date(b.meets_on))
        }
        (None, None) => match (args.from, args.to) {
            (Some(from), Some(to)) => (from, to),
            _ => {
                return Err(AppError::bad_input(
                    "from",
                    "give from and to, sinceCommittee, or betweenCommittees",
                )
                .into());
            }
        },
    };
    Ok(Changes::new(grouping, key, from, to, args.known_at)?)
}

/// A meeting to record.
#[derive(InputObject)]
pub struct RecordCommitteeInput {
    /// The committee's name, up to 200 characters.
    pub name: String,
    /// The day it meets (past or future).
    pub meets_on: Date,
    /// A link to its papers.
    pub paper_url: Option<String>,
}

/// The meeting recorded.
#[derive(SimpleObject)]
pub struct CommitteePayload {
    /// The meeting.
    pub committee: Committee,
}

/// Queries about committees.
#[derive(Default)]
pub struct CommitteeQuery;

#[Object]
impl CommitteeQuery {
    /// One committee meeting, if the caller may read it; `NOT_FOUND` otherwise.
    async fn committee(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The meeting's id.")] id: ID,
    ) -> Result<Option<Committee>> {
        let id = CommitteeId::parse("id", &id)?;
        Ok(Some(service::get(ctx.access()?, id).await?))
    }
}

/// Changes to committees.
#[derive(Default)]
pub struct CommitteeMutation;

#[Object]
impl CommitteeMutation {
    /// Records a meeting of a committee the caller's organisation reports to. Managers only.
    async fn record_committee(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The meeting.")] input: RecordCommitteeInput,
    ) -> Result<CommitteePayload> {
        let new = NewCommittee::parse(&input.name, input.meets_on.0, input.paper_url.as_deref())?;
        Ok(CommitteePayload {
            committee: service::record(ctx.access()?, new).await?,
        })
    }
}
