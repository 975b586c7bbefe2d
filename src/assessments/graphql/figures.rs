//! The cross-tenant views as GraphQL objects: RAG counts, a panel's heat map, standards
//! progress, and how one standard stands in an organisation.

use async_graphql::parser::types::Field;
use async_graphql::{Context, Object, Result, Value};

use crate::actions::summary::ActionCounts;
use crate::assessments::views::{
    Cell, Count, LevelCount, PanelComparison, ProgressRow, Row, StandardInOrganisation,
    StandardsProgress,
};
use crate::assessments::{Assessment, Outcome};
use crate::dates::Date;
use crate::graphql::ContextExt;
use crate::graphql::plain::{self, Plain, PlainList};
use crate::organisations::Organisation;
use crate::reviews::Recommendation;
use crate::standards::{Framework, Level, Standard};

/// Actions counted by RAG.
#[Object(name = "RagCounts")]
impl ActionCounts {
    /// Actions agreed by the day, withdrawn ones left out.
    async fn total(&self) -> i64 {
        self.total
    }

    /// Complete.
    async fn green(&self) -> i64 {
        self.green
    }

    /// Not complete, not yet due.
    async fn amber(&self) -> i64 {
        self.amber
    }

    /// Not complete and past the delivery date: the overdue.
    async fn red(&self) -> i64 {
        self.red
    }
}

/// One cell of a panel's heat map: a member's levels for one standard.
#[Object(name = "ComparisonCell")]
impl Cell {
    /// The standard.
    async fn standard(&self) -> &Standard {
        &self.standard
    }

    /// The member's own level in its submitted self-assessment.
    async fn self_level(&self) -> Option<&Level> {
        self.self_level.as_deref()
    }

    /// The panel's moderated level.
    async fn moderated_level(&self) -> Option<&Level> {
        self.moderated_level.as_deref()
    }

    /// The panel's conclusion.
    async fn outcome(&self) -> Option<Outcome> {
        self.outcome
    }

    /// Whether the panel has challenged (moderated) this standard.
    async fn challenged(&self) -> bool {
        self.challenged
    }
}

impl Plain for ActionCounts {
    fn field(&self, field: &Field) -> Option<Value> {
        Some(match field.name.node.as_str() {
            "total" => plain::value(&self.total),
            "green" => plain::value(&self.green),
            "amber" => plain::value(&self.amber),
            "red" => plain::value(&self.red),
            _ => return None,
        })
    }
}

impl Plain for Cell {
    fn field(&self, field: &Field) -> Option<Value> {
        let set = &field.selection_set.node;
        match field.name.node.as_str() {
            "standard" => plain::object(&*self.standard, set),
            "selfLevel" => plain::optional(self.self_level.as_deref(), set),
            "moderatedLevel" => plain::optional(self.moderated_level.as_deref(), set),
            "outcome" => Some(plain::value(&self.outcome)),
            "challenged" => Some(plain::value(&self.challenged)),
            _ => None,
        }
    }
}

impl Plain for Row {
    fn field(&self, field: &Field) -> Option<Value> {
        let set = &field.selection_set.node;
        match field.name.node.as_str() {
            "organisation" => plain::object(&self.organisation, set),
            "cells" => plain::list(self.cells.iter(), set),
            "actions" => plain::object(&self.actions, set),
            "overdue" => Some(plain::value(&self.actions.red)),
            "lastChallengedOn" => Some(plain::value(&self.last_challenged_on.map(Date))),
            _ => None,
        }
    }
}

/// One member of a panel's heat map.
#[Object(name = "ComparisonRow")]
impl Row {
    /// The member.
    async fn organisation(&self) -> &Organisation {
        &self.organisation
    }

    /// Its submitted self-assessment of the cycle; null when it has none.
    async fn assessment(&self) -> Option<&Assessment> {
        self.assessment.as_ref()
    }

    /// Its levels, one cell per standard, in the framework's order.
    async fn cells(&self) -> PlainList<'_, Cell> {
        PlainList(&self.cells)
    }

    /// Its actions by RAG at the comparison's `asOf`.
    async fn actions(&self) -> &ActionCounts {
        &self.actions
    }

    /// Its overdue actions at the comparison's `asOf`.
    async fn overdue(&self) -> i64 {
        self.actions.red
    }

    /// When the panel last challenged its assessment.
    async fn last_challenged_on(&self) -> Option<Date> {
        self.last_challenged_on.map(Date)
    }
}

/// A panel's comparison of its members against a framework: the sub-regional lead's heat map.
#[Object]
impl PanelComparison {
    /// The panel.
    async fn panel(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        ctx.loaders()?.organisations.load_one(self.panel.0).await
    }

    /// The framework.
    async fn framework(&self) -> &Framework {
        &self.framework
    }

    /// The cycle compared.
    async fn cycle(&self) -> &str {
        &self.cycle
    }

    /// The day action RAG is counted at.
    async fn as_of(&self) -> Date {
        Date(self.as_of)
    }

    /// The columns: the framework's standards, in order.
    async fn standards(&self) -> &[Standard] {
        &self.standards
    }

    /// The framework's rating scale, lowest rank first.
    async fn levels(&self) -> &[Level] {
        &self.levels
    }

    /// The rows: the panel's current members, by name.
    async fn rows(&self) -> PlainList<'_, Row> {
        PlainList(&self.rows)
    }
}

/// The organisations at one level of one standard.
#[Object(name = "LevelCount")]
impl LevelCount {
    /// The level.
    async fn level(&self) -> &Level {
        &self.level
    }

    /// How many organisations rated themselves at it; null when withheld.
    async fn self_count(&self) -> Option<i64> {
        self.self_count.shown()
    }

    /// Whether the self count is withheld (a group of fewer than 3, or one that would give such
    /// a group away).
    async fn self_suppressed(&self) -> bool {
        self.self_count == Count::Suppressed
    }

    /// How many organisations a panel moderated to it; null when withheld.
    async fn moderated_count(&self) -> Option<i64> {
        self.moderated_count.shown()
    }

    /// Whether the moderated count is withheld.
    async fn moderated_suppressed(&self) -> bool {
        self.moderated_count == Count::Suppressed
    }

    /// The change in the self count since the previous cycle asked for; null for the first
    /// cycle, or when either count is withheld.
    async fn self_change(&self) -> Option<i64> {
        self.self_change
    }

    /// The change in the moderated count since the previous cycle.
    async fn moderated_change(&self) -> Option<i64> {
        self.moderated_change
    }

    /// The organisations at this self level that may be named to the caller: for a partner
    /// body, those that share by name; for a panel, its members.
    async fn organisations(&self, ctx: &Context<'_>) -> Result<Vec<Organisation>> {
        let found = ctx
            .loaders()?
            .organisations
            .load_many(self.named.iter().map(|o| o.0))
            .await?;
        let mut out: Vec<Organisation> = found.into_values().collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }
}

/// A level's counts are plain data; the organisations named are loaded.
impl Plain for LevelCount {
    fn field(&self, field: &Field) -> Option<Value> {
        Some(match field.name.node.as_str() {
            "level" => plain::object(&self.level, &field.selection_set.node)?,
            "selfCount" => plain::value(&self.self_count.shown()),
            "selfSuppressed" => plain::value(&(self.self_count == Count::Suppressed)),
            "moderatedCount" => plain::value(&self.moderated_count.shown()),
            "moderatedSuppressed" => plain::value(&(self.moderated_count == Count::Suppressed)),
            "selfChange" => plain::value(&self.self_change),
            "moderatedChange" => plain::value(&self.moderated_change),
            _ => return None,
        })
    }
}

impl Plain for ProgressRow {
    fn field(&self, field: &Field) -> Option<Value> {
        let set = &field.selection_set.node;
        Some(match field.name.node.as_str() {
            "standard" => plain::object(&self.standard, set)?,
            "cycle" => plain::string(&self.cycle),
            "assessed" => plain::value(&self.assessed.shown()),
            "assessedSuppressed" => plain::value(&(self.assessed == Count::Suppressed)),
            "levels" => plain::list(self.levels.iter(), set)?,
            _ => return None,
        })
    }
}

/// One standard in one cycle.
#[Object(name = "StandardProgressRow")]
impl ProgressRow {
    /// The standard.
    async fn standard(&self) -> &Standard {
        &self.standard
    }

    /// The cycle.
    async fn cycle(&self) -> &str {
        &self.cycle
    }

    /// How many organisations rated it in their submitted self-assessments; null when withheld.
    async fn assessed(&self) -> Option<i64> {
        self.assessed.shown()
    }

    /// Whether the number assessed is withheld.
    async fn assessed_suppressed(&self) -> bool {
        self.assessed == Count::Suppressed
    }

    /// The organisations at each level of the scale, lowest rank first.
    async fn levels(&self) -> PlainList<'_, LevelCount> {
        PlainList(&self.levels)
    }
}

/// Progress against a framework's standards across the organisations that share it.
#[Object]
impl StandardsProgress {
    /// The framework.
    async fn framework(&self) -> &Framework {
        &self.framework
    }

    /// The cycles, in the order asked.
    async fn cycles(&self) -> &[String] {
        &self.cycles
    }

    /// Whether groups of fewer than 3 organisations are withheld (for partner bodies).
    async fn suppressing(&self) -> bool {
        self.suppressing
    }

    /// One row per standard and cycle.
    async fn rows(&self) -> PlainList<'_, ProgressRow> {
        PlainList(&self.rows)
    }
}

/// How one standard stands in one organisation.
#[Object(name = "OrganisationStandard")]
impl StandardInOrganisation {
    /// The standard.
    async fn standard(&self) -> &Standard {
        &self.standard
    }

    /// The organisation's latest submitted self-assessment of the standard's framework.
    async fn assessment(&self) -> Option<&Assessment> {
        self.assessment.as_ref()
    }

    /// Its own level there.
    async fn self_level(&self, ctx: &Context<'_>) -> Result<Option<Level>> {
        match self.self_level {
            Some(l) => ctx.loaders()?.levels.load_one(l.0).await,
            None => Ok(None),
        }
    }

    /// The moderated level in force there.
    async fn moderated_level(&self, ctx: &Context<'_>) -> Result<Option<Level>> {
        match self.moderated_level {
            Some(l) => ctx.loaders()?.levels.load_one(l.0).await,
            None => Ok(None),
        }
    }

    /// Its outstanding recommendations that bear on the standard.
    async fn open_recommendations(&self) -> &[Recommendation] {
        &self.open_recommendations
    }

    /// The actions answering those recommendations, by RAG at `asOf`.
    async fn actions(&self) -> &ActionCounts {
        &self.actions
    }

    /// The day the actions are counted at.
    async fn as_of(&self) -> Date {
        Date(self.as_of)
    }

    /// The organisation.
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        ctx.loaders()?
            .organisations
            .load_one(self.organisation.0)
            .await
    }
}
