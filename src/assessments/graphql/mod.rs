//! The API of assessments, ratings, challenges and moderation; the cross-tenant views'
//! objects are in [`figures`].

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::service::{self, AssessmentFilter};
use super::views::{self, PanelComparison, StandardInOrganisation, StandardsProgress};
use super::{
    Assessment, AssessmentStatus, Challenge, Moderation, Outcome, Rating, RatingEvidence, Tier,
};
use crate::actions::Action;
use crate::dates::Date;
use crate::graphql::ContextExt;
use crate::history::AsAt;
use crate::ids::{AssessmentId, FrameworkId, OrgId};
use crate::organisations::Organisation;
use crate::pagination::{CountedConnection, PageArgs, connection_complexity};
use crate::standards::{Framework, Level, Standard};
use crate::users::User;

pub mod figures;

/// An organisation's assessment against a framework, for one cycle and tier.
#[Object]
impl Assessment {
    /// Opaque id.
    pub async fn id(&self) -> ID {
        self.id.to_gql()
    }

    /// The organisation assessed.
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        ctx.loaders()?.organisations.load_one(self.org_id.0).await
    }

    /// The framework assessed against.
    async fn framework(&self, ctx: &Context<'_>) -> Result<Option<Framework>> {
        ctx.loaders()?
            .frameworks
            .load_one(self.framework_id.0)
            .await
    }

    /// The cycle, e.g. "2024-25".
    async fn cycle(&self) -> &str {
        &self.cycle
    }

    /// The tier of assurance.
    async fn tier(&self) -> Tier {
        self.tier
    }

    /// Where it stands.
    async fn status(&self) -> AssessmentStatus {
        self.status
    }

    /// When it was last submitted.
    async fn submitted_on(&self) -> Option<Date> {
        self.submitted_on.map(Date)
    }

    /// Who last submitted it, when the caller may see them.
    async fn submitted_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        match self.submitted_by {
            Some(user) if service::reads_detail(ctx.access()?, self.org_id) => {
                ctx.loaders()?.users.load_one(user.0).await
            }
            _ => Ok(None),
        }
    }

    /// Its ratings, one per standard, in the framework's order.
    async fn ratings(&self, ctx: &Context<'_>) -> Result<Vec<Rating>> {
        crate::loaders::list(&ctx.loaders()?.ratings, self.id.0).await
    }

    /// The challenge sessions on it the caller may read (its own organisation's, or those its
    /// panel held), latest first.
    async fn challenges(&self, ctx: &Context<'_>) -> Result<Vec<Challenge>> {
        crate::loaders::list(&ctx.loaders()?.challenges, self.id.0).await
    }

    /// Incremented by every change; pass it back to `submitAssessment`, `reopenAssessment` and
    /// `publishAssessment`.
    async fn version(&self) -> i32 {
        self.version
    }

    /// When it was started.
    async fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }
}

/// An assessment's rating of one standard. Its level is a summary; its position statement,
/// evidence and linked actions are detail, shown to panels only where the organisation shares
/// detail.
#[Object]
impl Rating {
    /// Opaque id.
    pub async fn id(&self) -> ID {
        self.id.to_gql()
    }

    /// The standard rated.
    async fn standard(&self, ctx: &Context<'_>) -> Result<Option<Standard>> {
        ctx.loaders()?.standards.load_one(self.standard_id.0).await
    }

    /// The organisation's own level; null until rated.
    async fn level(&self, ctx: &Context<'_>) -> Result<Option<Level>> {
        match self.level_id {
            Some(level) => ctx.loaders()?.levels.load_one(level.0).await,
            None => Ok(None),
        }
    }

    /// The organisation's position statement (detail).
    async fn position_statement(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        Ok(if service::reads_detail(ctx.access()?, self.org_id) {
            self.position_statement.as_deref()
        } else {
            None
        })
    }

    /// The evidence behind it (detail).
    async fn evidence(&self, ctx: &Context<'_>) -> Result<Vec<RatingEvidence>> {
        crate::loaders::list(&ctx.loaders()?.rating_evidence, self.id.0).await
    }

    /// The actions that will close the gap, as they stand today (detail).
    async fn actions(&self, ctx: &Context<'_>) -> Result<Vec<Action>> {
        crate::loaders::list(&ctx.loaders()?.rating_actions, self.id.0).await
    }

    /// The moderation in force (the latest the caller may read); the organisation's own level
    /// stays beside it.
    async fn moderation(&self, ctx: &Context<'_>) -> Result<Option<Moderation>> {
        let all = crate::loaders::list(&ctx.loaders()?.moderations, self.assessment_id.0).await?;
        Ok(all.into_iter().rfind(|m| m.standard_id == self.standard_id))
    }

    /// Incremented by every change; pass it back to `rateStandard`.
    async fn version(&self) -> i32 {
        self.version
    }

    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }
}

/// Evidence behind a rating.
#[Object]
impl RatingEvidence {
    /// Opaque id.
    pub async fn id(&self) -> ID {
        self.id.to_gql()
    }

    /// What it is.
    async fn title(&self) -> &str {
        &self.title
    }

    /// Where it is.
    async fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }

    /// A document reference, for evidence without a link.
    async fn reference(&self) -> Option<&str> {
        self.reference.as_deref()
    }

    /// When it was attached.
    async fn added_at(&self) -> DateTime<Utc> {
        self.added_at
    }
}

/// A panel's challenge session on a member's submitted assessment.
#[Object]
impl Challenge {
    /// Opaque id.
    pub async fn id(&self) -> ID {
        self.id.to_gql()
    }

    /// The panel that held it.
    async fn panel(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        ctx.loaders()?.organisations.load_one(self.panel_id.0).await
    }

    /// The assessment challenged.
    async fn assessment(&self, ctx: &Context<'_>) -> Result<Option<Assessment>> {
        ctx.loaders()?
            .assessments
            .load_one(self.assessment_id.0)
            .await
    }

    /// When it was held.
    async fn held_on(&self) -> Date {
        Date(self.held_on)
    }

    /// The tier of assurance it gives.
    async fn tier(&self) -> Tier {
        self.tier
    }

    /// Who attended.
    async fn attendees(&self) -> Option<&str> {
        self.attendees.as_deref()
    }

    /// Whether the panel completed its moderation in it.
    async fn completed(&self) -> bool {
        self.completed
    }

    /// The moderations recorded in it.
    async fn moderations(&self, ctx: &Context<'_>) -> Result<Vec<Moderation>> {
        crate::loaders::list(&ctx.loaders()?.moderations_of_challenge, self.id.0).await
    }
}

/// A panel's moderated level for one standard of an assessment.
#[Object]
impl Moderation {
    /// Opaque id.
    pub async fn id(&self) -> ID {
        self.id.to_gql()
    }

    /// The standard moderated.
    async fn standard(&self, ctx: &Context<'_>) -> Result<Option<Standard>> {
        ctx.loaders()?.standards.load_one(self.standard_id.0).await
    }

    /// The moderated level.
    async fn level(&self, ctx: &Context<'_>) -> Result<Option<Level>> {
        ctx.loaders()?.levels.load_one(self.level_id.0).await
    }

    /// What the panel concluded.
    async fn outcome(&self) -> Outcome {
        self.outcome
    }

    /// The panel's comment.
    async fn comment(&self) -> Option<&str> {
        self.comment.as_deref()
    }

    /// The challenge session it was recorded in.
    async fn challenge(&self, ctx: &Context<'_>) -> Result<Option<Challenge>> {
        let all = crate::loaders::list(&ctx.loaders()?.challenges, self.assessment_id.0).await?;
        Ok(all.into_iter().find(|c| c.id == self.challenge_id))
    }

    /// When it was recorded.
    async fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
}

/// Which assessments a list shows.
#[derive(InputObject, Default)]
pub struct AssessmentFilterInput {
    /// Of this organisation only.
    pub organisation_id: Option<ID>,
    /// Against this framework only.
    pub framework_id: Option<ID>,
    /// For this cycle only.
    pub cycle: Option<String>,
    /// At this tier only.
    pub tier: Option<Tier>,
    /// With this status only.
    pub status: Option<AssessmentStatus>,
}

/// Queries about assessments, and the cross-tenant views.
#[derive(Default)]
pub struct AssessmentQuery;

#[Object]
impl AssessmentQuery {
    /// The assessments the caller may read (its own organisation's, and its panel members'
    /// once submitted), most recently started first.
    #[graphql(complexity = "connection_complexity(first, last, child_complexity)")]
    async fn assessments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list.")] filter: Option<AssessmentFilterInput>,
        #[graphql(desc = "Page size: 1 to 100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last assessment of the previous page.")] after: Option<
            String,
        >,
        #[graphql(
            desc = "Page size when paging backwards: the last 1 to 100 before `before` (or of the list)."
        )]
        last: Option<i32>,
        #[graphql(
            desc = "Cursor of the first assessment of the next page: the page ends before it."
        )]
        before: Option<String>,
    ) -> Result<CountedConnection<Assessment>> {
        let page = PageArgs::new(ctx.limits(), "assessments", first, after, last, before)?;
        let f = filter.unwrap_or_default();
        let filter = AssessmentFilter {
            organisation: f
                .organisation_id
                .map(|id| OrgId::parse("filter.organisationId", &id))
                .transpose()?,
            framework: f
                .framework_id
                .map(|id| FrameworkId::parse("filter.frameworkId", &id))
                .transpose()?,
            cycle: f.cycle,
            tier: f.tier,
            status: f.status,
        };
        Ok(service::list(ctx.access()?, filter, page).await?.into())
    }

    /// One assessment, if the caller may read it; `NOT_FOUND` otherwise.
    async fn assessment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The assessment's id.")] id: ID,
    ) -> Result<Option<Assessment>> {
        Ok(Some(
            service::get(ctx.access()?, AssessmentId::parse("id", &id)?).await?,
        ))
    }

    /// A panel's heat map of its members against a framework for one cycle: rows are members,
    /// columns standards, cells the submitted self level, the panel's moderated level and
    /// whether challenged; per member its actions by RAG at `asOf` and its last challenge. For
    /// the panel's own users; `NOT_FOUND` for anyone else.
    #[graphql(complexity = 500)]
    async fn panel_comparison(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The caller's own panel.")] panel_id: ID,
        #[graphql(desc = "The framework.")] framework_id: ID,
        #[graphql(desc = "The cycle, e.g. \"2024-25\".")] cycle: String,
        #[graphql(desc = "The day action RAG is counted at; today in the UK when absent.")]
        as_of: Option<Date>,
        #[graphql(
            desc = "The moment to report as known at: assessments submitted, moderations and challenges recorded, and action histories, by then. Now when absent."
        )]
        known_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<std::sync::Arc<PanelComparison>> {
        let panel = OrgId::parse("panelId", &panel_id)?;
        let framework = FrameworkId::parse("frameworkId", &framework_id)?;
        let cycle = super::check_cycle("cycle", &cycle)?;
        let day = AsAt::new(as_of.map(|d| d.0), known_at);
        let comparison =
            views::panel_comparison(ctx.access()?, panel, framework, cycle, day).await?;
        // The cells name their standard and levels by id: hand the loaders what the comparison
        // already read, so 33 × 15 cells cost no further statement.
        let loaders = ctx.loaders()?;
        let standards = comparison.standards.iter().map(|s| (s.id.0, s.clone()));
        crate::loaders::prime(&loaders.standards, standards.collect()).await;
        let levels = comparison.levels.iter().map(|l| (l.id.0, l.clone()));
        crate::loaders::prime(&loaders.levels, levels.collect()).await;
        Ok(comparison)
    }

    /// Per standard and cycle, the organisations at each level (their own, and moderated), the
    /// number assessed and the change between cycles, across the organisations that share with
    /// the caller: a partner body's (groups under 3 withheld, names only of those that share
    /// by name), or a panel's members.
    #[graphql(complexity = 500)]
    async fn standards_progress(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The framework.")] framework_id: ID,
        #[graphql(desc = "The cycles, oldest first (1 to 10), e.g. [\"2023-24\", \"2024-25\"].")]
        cycles: Vec<String>,
        #[graphql(
            desc = "The moment to count as known at: assessments submitted and moderations recorded by then. Now when absent."
        )]
        known_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<StandardsProgress> {
        let framework = FrameworkId::parse("frameworkId", &framework_id)?;
        if cycles.is_empty() || cycles.len() > 10 {
            return Err(crate::error::AppError::bad_input("cycles", "give 1 to 10 cycles").into());
        }
        let cycles = cycles
            .iter()
            .enumerate()
            .map(|(i, c)| super::check_cycle(&format!("cycles.{i}"), c))
            .collect::<crate::error::AppResult<Vec<_>>>()?;
        // The names behind the counts are read only when asked for.
        let names = ctx
            .look_ahead()
            .field("rows")
            .field("levels")
            .field("organisations")
            .exists();
        let progress =
            views::standards_progress(ctx.access()?, framework, cycles, names, known_at).await?;
        // Every level of every row may name organisations: load them all in one batch now,
        // rather than in as many batches as the rows happen to straddle.
        if names {
            let named: std::collections::BTreeSet<uuid::Uuid> = progress
                .rows
                .iter()
                .flat_map(|r| r.levels.iter().flat_map(|l| l.named.iter().map(|o| o.0)))
                .collect();
            ctx.loaders()?.organisations.load_many(named).await?;
        }
        Ok(progress)
    }
}

/// The payload of a change to an assessment.
#[derive(SimpleObject)]
pub struct AssessmentPayload {
    /// The assessment as it now is.
    pub assessment: Assessment,
}

/// Shared by `Organisation.standard`: how a standard stands in an organisation.
pub(crate) async fn standard_in(
    ctx: &Context<'_>,
    org: OrgId,
    standard: &ID,
    as_of: Option<Date>,
    known_at: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<Option<StandardInOrganisation>> {
    let standard = crate::ids::StandardId::parse("id", standard)?;
    let day = AsAt::new(as_of.map(|d| d.0), known_at);
    Ok(views::standard_in(ctx.access()?, org, standard, day).await?)
}
