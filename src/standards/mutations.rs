//! The mutations of frameworks and of the links from recommendations to standards.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};

use super::Framework;
use super::drafts::{self as service, DraftChanges, RawContent};
use crate::error::AppResult;
use crate::graphql::ContextExt;
use crate::ids::{FrameworkId, RecommendationId, StandardId};
use crate::reviews::Recommendation;
use crate::reviews::standards as links;

/// A standard to write into a draft framework.
#[derive(InputObject)]
pub struct StandardInput {
    /// Its code, unique within the framework (A-Z, 0-9, '-', '_', '.').
    pub code: String,
    /// Its title, up to 300 characters.
    pub title: String,
    /// What it asks.
    pub description: Option<String>,
    /// The outcome it seeks.
    pub desired_outcome: Option<String>,
}

/// A level of the rating scale of a draft framework.
#[derive(InputObject)]
pub struct LevelInput {
    /// Its code, unique within the scale (A-Z, 0-9, '-', '_', '.').
    pub code: String,
    /// How it reads, up to 100 characters.
    pub label: String,
    /// Its rank, unique within the scale: higher is better.
    pub rank: i32,
}

/// A new framework: its first version, as a draft. Platform administrators create shared
/// frameworks; a panel's managers create the panel's own.
#[derive(InputObject)]
pub struct CreateFrameworkInput {
    /// Its code, the same across its versions, unique across the service.
    pub code: String,
    /// Its name, up to 200 characters.
    pub name: String,
    /// What it is for.
    pub description: Option<String>,
    /// Its standards, in order (1 to 200).
    pub standards: Vec<StandardInput>,
    /// Its rating scale (2 to 10 levels).
    pub levels: Vec<LevelInput>,
}

/// Changes to a draft framework. Absent fields stay as they are; standards and levels, when
/// given, replace the draft's whole lists.
#[derive(InputObject)]
pub struct UpdateFrameworkInput {
    /// The draft.
    pub id: ID,
    /// The revision the change is based on; a stale one gives `CONFLICT`.
    pub revision: i32,
    /// New name.
    pub name: Option<String>,
    /// New description; null clears it.
    pub description: MaybeUndefined<String>,
    /// New standards (with `levels`).
    pub standards: Option<Vec<StandardInput>>,
    /// New rating scale (with `standards`).
    pub levels: Option<Vec<LevelInput>>,
}

/// The framework after the change.
#[derive(SimpleObject)]
pub struct FrameworkPayload {
    /// The framework as it now is.
    pub framework: Framework,
}

/// A recommendation and a standard.
#[derive(InputObject)]
pub struct RecommendationStandardInput {
    /// The recommendation, of the caller's own organisation.
    pub recommendation_id: ID,
    /// The standard it bears on.
    pub standard_id: ID,
}

/// The recommendation after the change.
#[derive(SimpleObject)]
pub struct RecommendationStandardPayload {
    /// The recommendation (its `standards` list the links).
    pub recommendation: Recommendation,
}

fn content(
    standards: &[StandardInput],
    levels: &[LevelInput],
) -> AppResult<(Vec<service::StandardDraft>, Vec<service::LevelDraft>)> {
    service::check_content(RawContent {
        standards: standards
            .iter()
            .map(|s| {
                (
                    s.code.as_str(),
                    s.title.as_str(),
                    s.description.as_deref(),
                    s.desired_outcome.as_deref(),
                )
            })
            .collect(),
        levels: levels
            .iter()
            .map(|l| (l.code.as_str(), l.label.as_str(), l.rank))
            .collect(),
    })
}

/// Changes to frameworks, and links from recommendations to standards.
#[derive(Default)]
pub struct StandardsMutation;

#[Object]
impl StandardsMutation {
    /// Creates a framework's first version as a draft.
    async fn create_framework(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The framework to create.")] input: CreateFrameworkInput,
    ) -> Result<FrameworkPayload> {
        let access = ctx.access()?;
        let code = service::check_code("input.code", &input.code)?;
        let name = service::check_name("input.name", &input.name)?;
        let description = service::check_prose("input.description", input.description.as_deref())?;
        let (standards, levels) = content(&input.standards, &input.levels)?;
        Ok(FrameworkPayload {
            framework: service::create(access, code, name, description, standards, levels).await?,
        })
    }

    /// Changes a draft framework. A published one never changes: start a new version.
    async fn update_framework(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to change.")] input: UpdateFrameworkInput,
    ) -> Result<FrameworkPayload> {
        let access = ctx.access()?;
        let id = FrameworkId::parse("input.id", &input.id)?;
        let content = match (&input.standards, &input.levels) {
            (Some(s), Some(l)) => Some(content(s, l)?),
            (None, None) => None,
            _ => {
                return Err(crate::error::AppError::bad_input(
                    "input.standards",
                    "give the standards and the levels together",
                )
                .into());
            }
        };
        let changes = DraftChanges {
            name: input
                .name
                .as_deref()
                .map(|n| service::check_name("input.name", n))
                .transpose()?,
            description: input
                .description
                .as_opt_deref()
                .map(|d| service::check_prose("input.description", d))
                .transpose()?,
            content,
        };
        Ok(FrameworkPayload {
            framework: service::update(access, id, input.revision, changes).await?,
        })
    }

    /// Publishes a draft: it never changes again, and organisations assess against it.
    async fn publish_framework(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The draft.")] id: ID,
        #[graphql(desc = "The revision the change is based on.")] revision: i32,
    ) -> Result<FrameworkPayload> {
        let id = FrameworkId::parse("id", &id)?;
        Ok(FrameworkPayload {
            framework: service::publish(ctx.access()?, id, revision).await?,
        })
    }

    /// Starts the next version of a published framework, as a draft copy linked to it.
    async fn create_framework_version(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The published version to start from (the latest of its code).")]
        predecessor_id: ID,
    ) -> Result<FrameworkPayload> {
        let id = FrameworkId::parse("predecessorId", &predecessor_id)?;
        Ok(FrameworkPayload {
            framework: service::new_version(ctx.access()?, id).await?,
        })
    }

    /// Links a recommendation of the caller's own organisation to a standard it bears on.
    /// Managers only.
    async fn link_recommendation_standard(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The recommendation and the standard.")]
        input: RecommendationStandardInput,
    ) -> Result<RecommendationStandardPayload> {
        set_link(ctx, input, true).await
    }

    /// Removes the link between a recommendation and a standard. Managers only.
    async fn unlink_recommendation_standard(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The recommendation and the standard.")]
        input: RecommendationStandardInput,
    ) -> Result<RecommendationStandardPayload> {
        set_link(ctx, input, false).await
    }
}

async fn set_link(
    ctx: &Context<'_>,
    input: RecommendationStandardInput,
    linked: bool,
) -> Result<RecommendationStandardPayload> {
    let rec = RecommendationId::parse("input.recommendationId", &input.recommendation_id)?;
    let standard = StandardId::parse("input.standardId", &input.standard_id)?;
    Ok(RecommendationStandardPayload {
        recommendation: links::set(ctx.access()?, rec, standard, linked).await?,
    })
}
