//! Reviews an organisation went through (inspections, peer reviews and challenges, scrutiny
//! reviews, audits, debriefs), their judgements, and the recommendations they made.
//!
//! A review belongs to the organisation reviewed, whoever conducted it. Recommendations keep a
//! history of their status, so that "15 made, 12 discharged, 3 outstanding" can be given as at
//! any past date.
//!
//! [`service`] reads and changes reviews, [`recommendations`] their recommendations;
//! [`graphql`] (objects and queries) and [`mutations`] are the API over both.

pub use crate::codes::{Grade, RecommendationKind, RecommendationStatus, ReviewKind, ReviewStatus};

pub mod graphql;
pub mod mutations;
pub mod recommendations;
pub mod service;
pub mod standards;
pub mod standing;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::entity::{recommendation, review};
use crate::ids::{OrgId, RecommendationId, ReviewId, UserId};

impl RecommendationStatus {
    /// Whether it still asks something of the organisation ("3 outstanding").
    pub fn is_outstanding(self) -> bool {
        matches!(
            self,
            RecommendationStatus::Open
                | RecommendationStatus::InProgress
                | RecommendationStatus::Ongoing
        )
    }
}

/// A judgement of a review: an area and its grade.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, async_graphql::SimpleObject)]
pub struct Judgement {
    /// What was judged, e.g. "Preventing fires and other risks".
    pub area: String,
    /// The grade given.
    pub grade: Grade,
}

/// A review, as the service holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Review {
    pub id: ReviewId,
    pub org_id: OrgId,
    pub kind: ReviewKind,
    pub title: String,
    pub reviewer: Option<String>,
    pub reviewer_org_id: Option<OrgId>,
    pub commissioned_on: Option<NaiveDate>,
    pub reported_on: Option<NaiveDate>,
    pub status: ReviewStatus,
    pub summary: Option<String>,
    pub source_url: Option<String>,
    pub version: i32,
    #[serde(skip)]
    pub created_at: DateTime<Utc>,
    #[serde(skip)]
    pub updated_at: DateTime<Utc>,
}

impl From<review::Model> for Review {
    fn from(m: review::Model) -> Self {
        Review {
            id: ReviewId(m.id),
            org_id: OrgId(m.org_id),
            kind: m.kind,
            title: m.title,
            reviewer: m.reviewer,
            reviewer_org_id: m.reviewer_org_id.map(OrgId),
            commissioned_on: m.commissioned_on,
            reported_on: m.reported_on,
            status: m.status,
            summary: m.summary,
            source_url: m.source_url,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// A recommendation (or other finding) of a review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Recommendation {
    pub id: RecommendationId,
    pub org_id: OrgId,
    pub review_id: ReviewId,
    #[serde(skip)]
    pub position: i32,
    pub reference: String,
    pub kind: RecommendationKind,
    pub text: String,
    pub status: RecommendationStatus,
    pub target_date: Option<NaiveDate>,
    pub discharged_on: Option<NaiveDate>,
    pub discharged_by: Option<UserId>,
    pub version: i32,
    #[serde(skip)]
    pub created_at: DateTime<Utc>,
    #[serde(skip)]
    pub updated_at: DateTime<Utc>,
    /// The view of the list that returned it (its `asOf` and `knownAt`), if it was filtered
    /// as at a day: the default of its `standing`.
    #[serde(skip)]
    pub read_at: Option<crate::history::AsAt>,
}

impl From<recommendation::Model> for Recommendation {
    fn from(m: recommendation::Model) -> Self {
        Recommendation {
            id: RecommendationId(m.id),
            org_id: OrgId(m.org_id),
            review_id: ReviewId(m.review_id),
            position: m.position,
            reference: m.reference,
            kind: m.kind,
            text: m.text,
            status: m.status,
            target_date: m.target_date,
            discharged_on: m.discharged_on,
            discharged_by: m.discharged_by.map(UserId),
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
            read_at: None,
        }
    }
}

pub use crate::validate::{MAX_PROSE, MAX_TITLE, MAX_URL};

/// The longest reviewer name.
pub const MAX_REVIEWER: usize = 300;
/// The longest recommendation reference ("R3", "AFI 2.1").
pub const MAX_REFERENCE: usize = 32;
/// The longest judgement area.
pub const MAX_AREA: usize = 200;
/// The most judgements one review may carry.
pub const MAX_JUDGEMENTS: usize = 50;
