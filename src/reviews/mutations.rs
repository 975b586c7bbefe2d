//! The mutations of reviews and recommendations.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};

use super::recommendations::{self, NewRecommendation, RecommendationChanges};
use super::service::{self, NewReview, ReviewChanges, ReviewFields};
use super::{
    Grade, Recommendation, RecommendationKind, RecommendationStatus, Review, ReviewKind,
    ReviewStatus,
};
use crate::dates::Date;
use crate::error::AppResult;
use crate::graphql::ContextExt;
use crate::ids::{OrgId, RecommendationId, ReviewId};

/// A judgement to record.
#[derive(InputObject)]
pub struct JudgementInput {
    /// What was judged, up to 200 characters.
    pub area: String,
    /// The grade given.
    pub grade: Grade,
}

/// A new review of the caller's own organisation.
#[derive(InputObject)]
pub struct CreateReviewInput {
    /// What kind of review it was.
    pub kind: ReviewKind,
    /// Its title, up to 300 characters.
    pub title: String,
    /// Who conducted it, as text, up to 300 characters.
    pub reviewer: Option<String>,
    /// The organisation that conducted it, if the service holds it.
    pub reviewer_organisation_id: Option<ID>,
    /// When it was commissioned.
    pub commissioned_on: Option<Date>,
    /// When it reported (not before it was commissioned).
    pub reported_on: Option<Date>,
    /// Where it stands; `REPORTED` when absent.
    pub status: Option<ReviewStatus>,
    /// A summary of its findings, up to 10,000 characters.
    pub summary: Option<String>,
    /// A link (http or https) to the report.
    pub source_url: Option<String>,
    /// Its graded judgements (at most 50).
    pub judgements: Option<Vec<JudgementInput>>,
}

impl CreateReviewInput {
    /// The review, checked.
    pub(crate) fn checked(&self) -> AppResult<NewReview> {
        let fields = ReviewFields {
            title: Some(&self.title),
            reviewer: Some(self.reviewer.as_deref()),
            summary: Some(self.summary.as_deref()),
            source_url: Some(self.source_url.as_deref()),
            judgements: judgement_inputs(&self.judgements).or(Some(Vec::new())),
        }
        .check()?;
        Ok(NewReview {
            kind: self.kind,
            title: fields.title.unwrap_or_default(),
            reviewer: fields.reviewer.flatten(),
            reviewer_org: self
                .reviewer_organisation_id
                .as_ref()
                .map(|id| OrgId::parse("input.reviewerOrganisationId", id))
                .transpose()?,
            commissioned_on: self.commissioned_on.map(|d| d.0),
            reported_on: self.reported_on.map(|d| d.0),
            status: self.status.unwrap_or(ReviewStatus::Reported),
            summary: fields.summary.flatten(),
            source_url: fields.source_url.flatten(),
            judgements: fields.judgements.unwrap_or_default(),
        })
    }
}

/// The review recorded.
#[derive(SimpleObject)]
pub struct ReviewPayload {
    /// The review as it now is.
    pub review: Review,
}

/// Changes to a review. Absent fields stay as they are; null clears an optional one.
#[derive(InputObject)]
pub struct UpdateReviewInput {
    /// The review to change.
    pub id: ID,
    /// The version the change is based on; a stale one gives `CONFLICT`.
    pub version: i32,
    /// New kind.
    pub kind: Option<ReviewKind>,
    /// New title.
    pub title: Option<String>,
    /// New reviewer text.
    pub reviewer: MaybeUndefined<String>,
    /// New reviewing organisation.
    pub reviewer_organisation_id: MaybeUndefined<ID>,
    /// New commissioning date.
    pub commissioned_on: MaybeUndefined<Date>,
    /// New reporting date.
    pub reported_on: MaybeUndefined<Date>,
    /// New status; `CLOSED` closes the review.
    pub status: Option<ReviewStatus>,
    /// New summary.
    pub summary: MaybeUndefined<String>,
    /// New link to the report.
    pub source_url: MaybeUndefined<String>,
    /// The judgements, replacing those recorded.
    pub judgements: Option<Vec<JudgementInput>>,
}

/// A new recommendation of a review of the caller's own organisation.
#[derive(InputObject)]
pub struct AddRecommendationInput {
    /// The review that made it.
    pub review_id: ID,
    /// Its reference within the review ("R3"), unique there, up to 32 characters.
    pub reference: String,
    /// What kind of finding it is; `RECOMMENDATION` when absent.
    pub kind: Option<RecommendationKind>,
    /// What it asks, up to 10,000 characters.
    pub text: String,
    /// Where it stands; `OPEN` when absent.
    pub status: Option<RecommendationStatus>,
    /// The date it is to be met by.
    pub target_date: Option<Date>,
    /// The day it was made (its status history starts then); the review's reporting date, or
    /// today, when absent. Not in the future.
    pub made_on: Option<Date>,
}

/// The recommendation recorded.
#[derive(SimpleObject)]
pub struct RecommendationPayload {
    /// The recommendation as it now is.
    pub recommendation: Recommendation,
}

/// Changes to a recommendation. Absent fields stay as they are.
#[derive(InputObject)]
pub struct UpdateRecommendationInput {
    /// The recommendation to change.
    pub id: ID,
    /// The version the change is based on; a stale one gives `CONFLICT`.
    pub version: i32,
    /// New reference, unique within the review.
    pub reference: Option<String>,
    /// New kind.
    pub kind: Option<RecommendationKind>,
    /// New text.
    pub text: Option<String>,
    /// New status; `DISCHARGED` records who discharged it and when.
    pub status: Option<RecommendationStatus>,
    /// The day the new status took effect; today when absent. Not in the future, not before
    /// it was made; before its latest status change, it is a correction.
    pub status_on: Option<Date>,
    /// New target date; null clears it.
    pub target_date: MaybeUndefined<Date>,
    /// Why, when this is a correction: an entry dated before the latest of its history.
    /// Required then, and only managers may correct; up to 2,000 characters.
    pub correction_reason: Option<String>,
}

fn judgement_inputs(list: &Option<Vec<JudgementInput>>) -> Option<Vec<(&str, Grade)>> {
    list.as_ref()
        .map(|l| l.iter().map(|j| (j.area.as_str(), j.grade)).collect())
}

/// Changes to reviews and recommendations.
#[derive(Default)]
pub struct ReviewMutation;

#[Object]
impl ReviewMutation {
    /// Records a review of the caller's own organisation. Managers only.
    async fn create_review(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The review to record.")] input: CreateReviewInput,
    ) -> Result<ReviewPayload> {
        let access = ctx.access()?;
        let new = input.checked()?;
        Ok(ReviewPayload {
            review: service::create(access, new).await?,
        })
    }

    /// Changes a review of the caller's own organisation, or closes it (status `CLOSED`).
    /// Managers only.
    async fn update_review(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to change.")] input: UpdateReviewInput,
    ) -> Result<ReviewPayload> {
        let access = ctx.access()?;
        let id = ReviewId::parse("input.id", &input.id)?;
        let fields = ReviewFields {
            title: input.title.as_deref(),
            reviewer: input.reviewer.as_opt_deref(),
            summary: input.summary.as_opt_deref(),
            source_url: input.source_url.as_opt_deref(),
            judgements: judgement_inputs(&input.judgements),
        }
        .check()?;
        let reviewer_org = input
            .reviewer_organisation_id
            .map_value(|id| OrgId::parse("input.reviewerOrganisationId", &id))
            .transpose()?
            .into();
        let changes = ReviewChanges {
            kind: input.kind,
            status: input.status,
            reviewer_org,
            commissioned_on: input.commissioned_on.map_value(|d| d.0).into(),
            reported_on: input.reported_on.map_value(|d| d.0).into(),
            fields,
        };
        Ok(ReviewPayload {
            review: service::update(access, id, input.version, changes).await?,
        })
    }

    /// Adds a recommendation to a review of the caller's own organisation. Managers only.
    async fn add_recommendation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The recommendation to record.")] input: AddRecommendationInput,
    ) -> Result<RecommendationPayload> {
        let access = ctx.access()?;
        let review = ReviewId::parse("input.reviewId", &input.review_id)?;
        let new = NewRecommendation {
            reference: recommendations::check_reference("input.reference", &input.reference)?,
            kind: input.kind.unwrap_or(RecommendationKind::Recommendation),
            text: recommendations::check_text("input.text", &input.text)?,
            status: input.status.unwrap_or(RecommendationStatus::Open),
            target_date: input.target_date.map(|d| d.0),
            made_on: input.made_on.map(|d| d.0),
        };
        Ok(RecommendationPayload {
            recommendation: recommendations::add(access, review, new).await?,
        })
    }

    /// Changes a recommendation of the caller's own organisation; discharging it records who
    /// and when. Managers only.
    async fn update_recommendation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to change.")] input: UpdateRecommendationInput,
    ) -> Result<RecommendationPayload> {
        let access = ctx.access()?;
        let id = RecommendationId::parse("input.id", &input.id)?;
        let changes = RecommendationChanges {
            reference: input
                .reference
                .as_deref()
                .map(|r| recommendations::check_reference("input.reference", r))
                .transpose()?,
            kind: input.kind,
            text: input
                .text
                .as_deref()
                .map(|t| recommendations::check_text("input.text", t))
                .transpose()?,
            status: input.status,
            status_on: input.status_on.map(|d| d.0),
            target_date: input.target_date.map_value(|d| d.0).into(),
            correction_reason: input.correction_reason,
        };
        Ok(RecommendationPayload {
            recommendation: recommendations::update(access, id, input.version, changes).await?,
        })
    }
}
