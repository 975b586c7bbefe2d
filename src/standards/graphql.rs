//! The API of frameworks, standards and rating scales.

use async_graphql::parser::types::Field;
use async_graphql::{Context, ID, Object, Result, Value};
use chrono::{DateTime, Utc};

use super::{Framework, FrameworkStatus, Level, Standard, service};
use crate::graphql::ContextExt;
use crate::graphql::plain::{self, Plain};
use crate::ids::FrameworkId;
use crate::organisations::Organisation;
use crate::pagination::{CountedConnection, PageArgs, connection_complexity};

/// A version of a standards library: shared by the platform, or owned by a regional panel.
#[Object]
impl Framework {
    /// Opaque id.
    pub async fn id(&self) -> ID {
        self.id.to_gql()
    }

    /// The panel that owns it; null for a shared framework.
    async fn owner(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        match self.owner {
            Some(org) => ctx.loaders()?.organisations.load_one(org.0).await,
            None => Ok(None),
        }
    }

    /// Whether it is shared by the platform (readable by every organisation).
    async fn shared(&self) -> bool {
        self.owner.is_none()
    }

    /// Its code, the same across its versions (e.g. "NRS-LRF").
    async fn code(&self) -> &str {
        &self.code
    }

    /// Its name.
    async fn name(&self) -> &str {
        &self.name
    }

    /// What it is for.
    async fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// Which version of its code this is: 1, 2, …
    async fn version(&self) -> i32 {
        self.version
    }

    /// Draft or published.
    async fn status(&self) -> FrameworkStatus {
        self.status
    }

    /// The version it was started from.
    async fn predecessor(&self, ctx: &Context<'_>) -> Result<Option<Framework>> {
        match self.predecessor {
            Some(id) => ctx.loaders()?.frameworks.load_one(id.0).await,
            None => Ok(None),
        }
    }

    /// Its standards, in order.
    async fn standards(&self, ctx: &Context<'_>) -> Result<Vec<Standard>> {
        crate::loaders::list(&ctx.loaders()?.standards_of_framework, self.id.0).await
    }

    /// Its rating scale, lowest rank first.
    async fn levels(&self, ctx: &Context<'_>) -> Result<Vec<Level>> {
        crate::loaders::list(&ctx.loaders()?.levels_of_framework, self.id.0).await
    }

    /// Incremented by every change of a draft; pass it back to `updateFramework` and
    /// `publishFramework`. (`version` numbers the framework's editions.)
    async fn revision(&self) -> i32 {
        self.revision
    }

    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    /// When it was published.
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.published_at
    }
}

/// A standard of a framework.
#[Object]
impl Standard {
    /// Opaque id.
    pub async fn id(&self) -> ID {
        self.id.to_gql()
    }

    /// Its framework.
    async fn framework(&self, ctx: &Context<'_>) -> Result<Option<Framework>> {
        ctx.loaders()?
            .frameworks
            .load_one(self.framework_id.0)
            .await
    }

    /// Its code within the framework (e.g. "NRS-01").
    async fn code(&self) -> &str {
        &self.code
    }

    /// Its title.
    async fn title(&self) -> &str {
        &self.title
    }

    /// What it asks.
    async fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The outcome it seeks.
    async fn desired_outcome(&self) -> Option<&str> {
        self.desired_outcome.as_deref()
    }

    /// Its place in the framework, from 0.
    async fn position(&self) -> i32 {
        self.position
    }
}

impl Plain for Standard {
    fn field(&self, field: &Field) -> Option<Value> {
        Some(match field.name.node.as_str() {
            "id" => plain::value(&self.id.to_gql()),
            "code" => plain::string(&self.code),
            "title" => plain::string(&self.title),
            "description" => plain::optional_string(self.description.as_deref()),
            "desiredOutcome" => plain::optional_string(self.desired_outcome.as_deref()),
            "position" => plain::value(&self.position),
            _ => return None,
        })
    }
}

/// A level of a framework's rating scale.
#[Object(name = "RatingLevel")]
impl Level {
    /// Opaque id.
    pub async fn id(&self) -> ID {
        self.id.to_gql()
    }

    /// Its code (e.g. "GOOD_PRACTICE"), used to rate.
    async fn code(&self) -> &str {
        &self.code
    }

    /// How it reads (e.g. "Good practice").
    async fn label(&self) -> &str {
        &self.label
    }

    /// Its rank on the scale: higher is better.
    async fn rank(&self) -> i32 {
        self.rank
    }
}

impl Plain for Level {
    fn field(&self, field: &Field) -> Option<Value> {
        Some(match field.name.node.as_str() {
            "id" => plain::value(&self.id.to_gql()),
            "code" => plain::string(&self.code),
            "label" => plain::string(&self.label),
            "rank" => plain::value(&self.rank),
            _ => return None,
        })
    }
}

/// Queries about frameworks.
#[derive(Default)]
pub struct StandardsQuery;

#[Object]
impl StandardsQuery {
    /// The frameworks the caller may read (shared ones, and its panels' own), newest first.
    #[graphql(complexity = "connection_complexity(first, last, child_complexity)")]
    async fn frameworks(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only versions of this code.")] code: Option<String>,
        #[graphql(desc = "Page size: 1 to 100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last framework of the previous page.")] after: Option<
            String,
        >,
        #[graphql(
            desc = "Page size when paging backwards: the last 1 to 100 before `before` (or of the list)."
        )]
        last: Option<i32>,
        #[graphql(
            desc = "Cursor of the first framework of the next page: the page ends before it."
        )]
        before: Option<String>,
    ) -> Result<CountedConnection<Framework>> {
        let page = PageArgs::new(ctx.limits(), "frameworks", first, after, last, before)?;
        Ok(service::list(ctx.access()?, code, page).await?.into())
    }

    /// One framework, if the caller may read it; `NOT_FOUND` otherwise.
    async fn framework(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The framework's id.")] id: ID,
    ) -> Result<Option<Framework>> {
        Ok(Some(
            service::get(ctx.access()?, FrameworkId::parse("id", &id)?).await?,
        ))
    }
}
