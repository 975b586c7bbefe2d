//! Assessments of organisations against frameworks of standards, and their challenge by
//! regional panels.
//!
//! An organisation assesses itself against a published framework for a cycle ("2024-25") at a
//! tier. Per standard it records a level, a position statement, evidence, and the actions that
//! will close the gap. The assessment is a draft while it is written (managers and
//! contributors), locked once submitted (a manager may reopen it, explicitly and on the
//! record), moderated by a panel it belongs to, then published.
//!
//! A panel's managers record challenge sessions on their members' submitted assessments and,
//! per standard, a moderated level with an outcome; the organisation's own level is kept
//! beside it, never overwritten.
//!
//! What others see: drafts never leave the organisation. Its panels read submitted levels (a
//! summary) and, where it shares detail, position statements, evidence and linked actions.
//! Partner bodies read only the aggregates of [`views`], and names only where it shares by name.
//!
//! [`service`] writes and reads assessments, [`ratings`] rates their standards, [`challenges`]
//! is the panels' side, [`views`] the comparisons; [`graphql`] and [`mutations`] are the API.

pub use crate::codes::{AssessmentStatus, Outcome, Tier};

pub mod challenges;
pub mod graphql;
pub mod mutations;
pub mod ratings;
pub mod service;
pub mod views;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::entity::{assessment, challenge, moderation, rating, rating_evidence};
use crate::ids::{
    AssessmentId, ChallengeId, FrameworkId, ModerationId, OrgId, RatingEvidenceId, RatingId,
    RatingLevelId, StandardId, UserId,
};

/// An assessment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Assessment {
    pub id: AssessmentId,
    pub org_id: OrgId,
    pub framework_id: FrameworkId,
    pub cycle: String,
    pub tier: Tier,
    pub status: AssessmentStatus,
    pub submitted_on: Option<NaiveDate>,
    pub submitted_by: Option<UserId>,
    pub version: i32,
    #[serde(skip)]
    pub created_at: DateTime<Utc>,
    #[serde(skip)]
    pub updated_at: DateTime<Utc>,
}

impl From<assessment::Model> for Assessment {
    fn from(m: assessment::Model) -> Self {
        Assessment {
            id: AssessmentId(m.id),
            org_id: OrgId(m.org_id),
            framework_id: FrameworkId(m.framework_id),
            cycle: m.cycle,
            tier: m.tier,
            status: m.status,
            submitted_on: m.submitted_on,
            submitted_by: m.submitted_by.map(UserId),
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// An assessment's rating of one standard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rating {
    pub id: RatingId,
    pub org_id: OrgId,
    pub assessment_id: AssessmentId,
    pub standard_id: StandardId,
    pub level_id: Option<RatingLevelId>,
    pub position_statement: Option<String>,
    pub version: i32,
    #[serde(skip)]
    pub updated_at: DateTime<Utc>,
}

impl From<rating::Model> for Rating {
    fn from(m: rating::Model) -> Self {
        Rating {
            id: RatingId(m.id),
            org_id: OrgId(m.org_id),
            assessment_id: AssessmentId(m.assessment_id),
            standard_id: StandardId(m.standard_id),
            level_id: m.level_id.map(RatingLevelId),
            position_statement: m.position_statement,
            version: m.version,
            updated_at: m.updated_at,
        }
    }
}

/// Evidence behind a rating.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RatingEvidence {
    pub id: RatingEvidenceId,
    pub org_id: OrgId,
    pub rating_id: RatingId,
    pub title: String,
    pub url: Option<String>,
    pub reference: Option<String>,
    #[serde(skip)]
    pub added_at: DateTime<Utc>,
}

impl From<rating_evidence::Model> for RatingEvidence {
    fn from(m: rating_evidence::Model) -> Self {
        RatingEvidence {
            id: RatingEvidenceId(m.id),
            org_id: OrgId(m.org_id),
            rating_id: RatingId(m.rating_id),
            title: m.title,
            url: m.url,
            reference: m.reference,
            added_at: m.added_at,
        }
    }
}

/// A panel's challenge session on an assessment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Challenge {
    pub id: ChallengeId,
    pub panel_id: OrgId,
    pub org_id: OrgId,
    pub assessment_id: AssessmentId,
    pub held_on: NaiveDate,
    pub tier: Tier,
    pub attendees: Option<String>,
    pub completed: bool,
    #[serde(skip)]
    pub created_at: DateTime<Utc>,
}

impl From<challenge::Model> for Challenge {
    fn from(m: challenge::Model) -> Self {
        Challenge {
            id: ChallengeId(m.id),
            panel_id: OrgId(m.panel_id),
            org_id: OrgId(m.org_id),
            assessment_id: AssessmentId(m.assessment_id),
            held_on: m.held_on,
            tier: m.tier,
            attendees: m.attendees,
            completed: m.completed,
            created_at: m.created_at,
        }
    }
}

/// A panel's moderated level for one standard of an assessment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Moderation {
    pub id: ModerationId,
    pub panel_id: OrgId,
    pub org_id: OrgId,
    pub assessment_id: AssessmentId,
    pub challenge_id: ChallengeId,
    pub standard_id: StandardId,
    pub level_id: RatingLevelId,
    pub outcome: Outcome,
    pub comment: Option<String>,
    #[serde(skip)]
    pub created_at: DateTime<Utc>,
}

impl From<moderation::Model> for Moderation {
    fn from(m: moderation::Model) -> Self {
        Moderation {
            id: ModerationId(m.id),
            panel_id: OrgId(m.panel_id),
            org_id: OrgId(m.org_id),
            assessment_id: AssessmentId(m.assessment_id),
            challenge_id: ChallengeId(m.challenge_id),
            standard_id: StandardId(m.standard_id),
            level_id: RatingLevelId(m.level_id),
            outcome: m.outcome,
            comment: m.comment,
            created_at: m.created_at,
        }
    }
}

/// Checks a cycle: `YYYY-YY`, the second year following the first (`2024-25`).
pub fn check_cycle(field: &str, raw: &str) -> crate::error::AppResult<String> {
    let bad =
        || crate::error::AppError::bad_input(field, "a cycle is written YYYY-YY, such as 2024-25");
    let (first, second) = raw.split_once('-').ok_or_else(bad)?;
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(first, 4) || !digits(second, 2) {
        return Err(bad());
    }
    let year: u32 = first.parse().map_err(|_| bad())?;
    let next: u32 = second.parse().map_err(|_| bad())?;
    if !(1990..=2199).contains(&year) || (year + 1) % 100 != next {
        return Err(bad());
    }
    Ok(raw.to_owned())
}

#[cfg(test)]
mod tests {
    use super::check_cycle;

    #[test]
    fn cycles_are_consecutive_years() {
        assert!(check_cycle("c", "2024-25").is_ok());
        assert!(check_cycle("c", "2099-00").is_ok());
        for bad in [
            "2024-26",
            "2024",
            "24-25",
            "2024/25",
            "2024-2025",
            "abcd-ef",
        ] {
            assert!(check_cycle("c", bad).is_err(), "{bad}");
        }
    }
}
