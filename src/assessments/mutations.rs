//! The mutations of assessments: the organisation's side (start, rate, evidence, link actions,
//! submit, reopen, publish) and the panel's (challenge, moderate, complete).

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use super::graphql::AssessmentPayload;
use super::ratings;
use super::{
    Challenge, Moderation, Outcome, Rating, RatingEvidence, Tier, challenges, check_cycle, service,
};
use crate::dates::{Date, london_today};
use crate::graphql::ContextExt;
use crate::ids::{ActionId, AssessmentId, ChallengeId, FrameworkId, StandardId};
use crate::progress::service::NewEvidence;
use crate::validate;
use crate::validate::MAX_PROSE;

/// A new assessment of the caller's own organisation.
#[derive(InputObject)]
pub struct CreateAssessmentInput {
    /// A published framework the caller may read.
    pub framework_id: ID,
    /// The cycle, written YYYY-YY, e.g. "2024-25".
    pub cycle: String,
    /// The tier; `SELF_ASSESSMENT` when absent.
    pub tier: Option<Tier>,
}

/// A rating of one standard of a draft assessment.
#[derive(InputObject)]
pub struct RateStandardInput {
    /// The assessment.
    pub assessment_id: ID,
    /// The standard, of the assessment's framework.
    pub standard_id: ID,
    /// The rating's version (from `ratings { version }`); a stale one gives `CONFLICT`.
    pub version: i32,
    /// The level's code, from the framework's scale (e.g. "GOOD_PRACTICE").
    pub level: String,
    /// The position statement, up to 10,000 characters; replaces the one recorded.
    pub position_statement: Option<String>,
}

/// The rating after the change.
#[derive(SimpleObject)]
pub struct RatingPayload {
    /// The rating as it now is.
    pub rating: Rating,
}

/// Evidence for a rating of a draft assessment.
#[derive(InputObject)]
pub struct AttachRatingEvidenceInput {
    /// The assessment.
    pub assessment_id: ID,
    /// The standard.
    pub standard_id: ID,
    /// What it is, up to 300 characters.
    pub title: String,
    /// Where it is (http or https).
    pub url: Option<String>,
    /// A document reference, for evidence without a link.
    pub reference: Option<String>,
}

/// The evidence attached.
#[derive(SimpleObject)]
pub struct RatingEvidencePayload {
    /// The evidence.
    pub evidence: RatingEvidence,
}

/// A link between a rating of a draft assessment and an action of the organisation.
#[derive(InputObject)]
pub struct RatingActionInput {
    /// The assessment.
    pub assessment_id: ID,
    /// The standard.
    pub standard_id: ID,
    /// The action that will close the gap.
    pub action_id: ID,
}

/// A change of an assessment's status.
#[derive(InputObject)]
pub struct AssessmentStatusInput {
    /// The assessment.
    pub id: ID,
    /// The version the change is based on; a stale one gives `CONFLICT`.
    pub version: i32,
}

/// Reopening a submitted assessment, with the reason recorded in the trail.
#[derive(InputObject)]
pub struct ReopenAssessmentInput {
    /// The assessment.
    pub id: ID,
    /// The version the change is based on; a stale one gives `CONFLICT`.
    pub version: i32,
    /// Why it is reopened (required), up to 2,000 characters.
    pub reason: String,
}

/// A challenge session of the caller's panel on a member's submitted assessment.
#[derive(InputObject)]
pub struct RecordChallengeInput {
    /// The member's submitted assessment.
    pub assessment_id: ID,
    /// When it was held (not in the future); today when absent.
    pub held_on: Option<Date>,
    /// The tier of assurance it gives; `SUB_REGIONAL_CHALLENGE` when absent.
    pub tier: Option<Tier>,
    /// Who attended, up to 10,000 characters.
    pub attendees: Option<String>,
}

/// The challenge after the change.
#[derive(SimpleObject)]
pub struct ChallengePayload {
    /// The challenge session as it now is.
    pub challenge: Challenge,
}

/// A moderated level for one standard, in a challenge session of the caller's panel.
#[derive(InputObject)]
pub struct ModerateRatingInput {
    /// The challenge session.
    pub challenge_id: ID,
    /// The standard.
    pub standard_id: ID,
    /// The moderated level's code.
    pub level: String,
    /// AGREED (the organisation's own level), ADJUSTED (another) or QUERIED.
    pub outcome: Outcome,
    /// The panel's comment, up to 10,000 characters.
    pub comment: Option<String>,
}

/// The moderation recorded.
#[derive(SimpleObject)]
pub struct ModerationPayload {
    /// The moderation.
    pub moderation: Moderation,
}

fn ids(assessment: &ID, standard: &ID) -> crate::error::AppResult<(AssessmentId, StandardId)> {
    Ok((
        AssessmentId::parse("input.assessmentId", assessment)?,
        StandardId::parse("input.standardId", standard)?,
    ))
}

/// Changes to assessments, and the panels' challenge and moderation.
#[derive(Default)]
pub struct AssessmentMutation;

#[Object]
impl AssessmentMutation {
    /// Starts an assessment of the caller's own organisation, one unrated rating per standard.
    /// Managers only.
    async fn create_assessment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The assessment to start.")] input: CreateAssessmentInput,
    ) -> Result<AssessmentPayload> {
        let framework = FrameworkId::parse("input.frameworkId", &input.framework_id)?;
        let cycle = check_cycle("input.cycle", &input.cycle)?;
        let tier = input.tier.unwrap_or(Tier::SelfAssessment);
        Ok(AssessmentPayload {
            assessment: service::create(ctx.access()?, framework, cycle, tier).await?,
        })
    }

    /// Rates one standard of a draft assessment. Managers and contributors.
    async fn rate_standard(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The rating.")] input: RateStandardInput,
    ) -> Result<RatingPayload> {
        let (assessment, standard) = ids(&input.assessment_id, &input.standard_id)?;
        let statement = validate::optional_prose(
            "input.positionStatement",
            input.position_statement.as_deref(),
            MAX_PROSE,
        )?;
        let rating = ratings::rate(
            ctx.access()?,
            assessment,
            standard,
            input.version,
            &input.level,
            statement,
        )
        .await?;
        Ok(RatingPayload { rating })
    }

    /// Attaches evidence to a rating of a draft assessment. Managers and contributors.
    async fn attach_rating_evidence(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The evidence.")] input: AttachRatingEvidenceInput,
    ) -> Result<RatingEvidencePayload> {
        let (assessment, standard) = ids(&input.assessment_id, &input.standard_id)?;
        let new = NewEvidence::parse(
            &input.title,
            input.url.as_deref(),
            input.reference.as_deref(),
        )?;
        Ok(RatingEvidencePayload {
            evidence: ratings::attach_evidence(ctx.access()?, assessment, standard, new).await?,
        })
    }

    /// Links an action of the organisation to a rating of a draft assessment: the action that
    /// will close the gap. Managers and contributors.
    async fn link_rating_action(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The rating and the action.")] input: RatingActionInput,
    ) -> Result<RatingPayload> {
        link(ctx, input, true).await
    }

    /// Removes the link between a rating of a draft assessment and an action.
    async fn unlink_rating_action(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The rating and the action.")] input: RatingActionInput,
    ) -> Result<RatingPayload> {
        link(ctx, input, false).await
    }

    /// Submits a draft with every standard rated; it is locked from now on. Managers only.
    async fn submit_assessment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The assessment.")] input: AssessmentStatusInput,
    ) -> Result<AssessmentPayload> {
        let id = AssessmentId::parse("input.id", &input.id)?;
        Ok(AssessmentPayload {
            assessment: service::submit(ctx.access()?, id, input.version).await?,
        })
    }

    /// Reopens a submitted assessment to change it, on the record. Managers only.
    async fn reopen_assessment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The assessment and the reason.")] input: ReopenAssessmentInput,
    ) -> Result<AssessmentPayload> {
        let id = AssessmentId::parse("input.id", &input.id)?;
        Ok(AssessmentPayload {
            assessment: service::reopen(ctx.access()?, id, input.version, input.reason).await?,
        })
    }

    /// Publishes a moderated assessment. Managers only.
    async fn publish_assessment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The assessment.")] input: AssessmentStatusInput,
    ) -> Result<AssessmentPayload> {
        let id = AssessmentId::parse("input.id", &input.id)?;
        Ok(AssessmentPayload {
            assessment: service::publish(ctx.access()?, id, input.version).await?,
        })
    }

    /// Records a challenge session of the caller's panel on a member's submitted assessment.
    /// The panel's managers only.
    async fn record_challenge(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The session.")] input: RecordChallengeInput,
    ) -> Result<ChallengePayload> {
        let assessment = AssessmentId::parse("input.assessmentId", &input.assessment_id)?;
        let held_on = input.held_on.map_or_else(london_today, |d| d.0);
        let attendees =
            validate::optional_prose("input.attendees", input.attendees.as_deref(), MAX_PROSE)?;
        let tier = input.tier.unwrap_or(Tier::SubRegionalChallenge);
        Ok(ChallengePayload {
            challenge: challenges::record(ctx.access()?, assessment, held_on, tier, attendees)
                .await?,
        })
    }

    /// Records the panel's moderated level of one standard in an open challenge session. The
    /// organisation's own level is kept beside it. The panel's managers only.
    async fn moderate_rating(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The moderation.")] input: ModerateRatingInput,
    ) -> Result<ModerationPayload> {
        let challenge = ChallengeId::parse("input.challengeId", &input.challenge_id)?;
        let standard = StandardId::parse("input.standardId", &input.standard_id)?;
        let comment =
            validate::optional_prose("input.comment", input.comment.as_deref(), MAX_PROSE)?;
        Ok(ModerationPayload {
            moderation: challenges::moderate(
                ctx.access()?,
                challenge,
                standard,
                &input.level,
                input.outcome,
                comment,
            )
            .await?,
        })
    }

    /// Completes a challenge session in which every standard was moderated; the assessment is
    /// moderated from now on. The panel's managers only.
    async fn complete_moderation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The challenge session.")] challenge_id: ID,
    ) -> Result<ChallengePayload> {
        let challenge = ChallengeId::parse("challengeId", &challenge_id)?;
        Ok(ChallengePayload {
            challenge: challenges::complete(ctx.access()?, challenge).await?,
        })
    }
}

async fn link(ctx: &Context<'_>, input: RatingActionInput, linked: bool) -> Result<RatingPayload> {
    let (assessment, standard) = ids(&input.assessment_id, &input.standard_id)?;
    let action = ActionId::parse("input.actionId", &input.action_id)?;
    Ok(RatingPayload {
        rating: ratings::link_action(ctx.access()?, assessment, standard, action, linked).await?,
    })
}
