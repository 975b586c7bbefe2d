//! The API of progress updates and evidence.

use async_graphql::parser::types::Field;
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject, Value};
use chrono::{DateTime, Utc};

use super::service::{self, NewEvidence, NewUpdate};
use super::{Evidence, ProgressUpdate};
use crate::actions::{Action, ActionStatus};
use crate::dates::Date;
use crate::graphql::ContextExt;
use crate::graphql::plain::{self, Plain};
use crate::ids::ActionId;
use crate::users::User;

/// A dated report of progress on an action. Never edited: a correction is a new update.
#[Object]
impl ProgressUpdate {
    /// Opaque id.
    pub async fn id(&self) -> ID {
        self.id.to_gql()
    }

    /// Whether it was entered as a correction: dated before the latest entry of its history.
    async fn is_correction(&self) -> bool {
        self.correction_reason.is_some()
    }

    /// Why, when it is a correction.
    async fn correction_reason(&self) -> Option<&str> {
        self.correction_reason.as_deref()
    }

    /// The action it reports on.
    async fn action(&self, ctx: &Context<'_>) -> Result<Option<Action>> {
        ctx.loaders()?.actions.load_one(self.action_id.0).await
    }

    /// The day it speaks for.
    async fn as_at(&self) -> Date {
        Date(self.as_at)
    }

    /// What happened.
    async fn narrative(&self) -> &str {
        &self.narrative
    }

    /// The status it moved the action to, if it did.
    async fn new_status(&self) -> Option<ActionStatus> {
        self.new_status
    }

    /// The percentage complete it reported, if it did.
    async fn percent_complete(&self) -> Option<i32> {
        self.percent_complete
    }

    /// Who reported it.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        match self.author_id {
            Some(user) => ctx.loaders()?.users.load_one(user.0).await,
            None => Ok(None),
        }
    }

    /// When it was recorded.
    async fn recorded_at(&self) -> DateTime<Utc> {
        self.recorded_at
    }
}

/// An update's own fields are plain data; its action and author are resolved.
impl Plain for ProgressUpdate {
    fn field(&self, field: &Field) -> Option<Value> {
        Some(match field.name.node.as_str() {
            "id" => plain::value(&self.id.to_gql()),
            "isCorrection" => plain::value(&self.correction_reason.is_some()),
            "correctionReason" => plain::optional_string(self.correction_reason.as_deref()),
            "asAt" => plain::value(&Date(self.as_at)),
            "narrative" => plain::string(&self.narrative),
            "newStatus" => plain::value(&self.new_status),
            "percentComplete" => plain::value(&self.percent_complete),
            "recordedAt" => plain::value(&self.recorded_at),
            _ => return None,
        })
    }
}

/// A titled link or document reference backing an action.
#[Object]
impl Evidence {
    /// Opaque id.
    pub async fn id(&self) -> ID {
        self.id.to_gql()
    }

    /// What it is.
    async fn title(&self) -> &str {
        &self.title
    }

    /// Where it is (http or https).
    async fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }

    /// A document reference, for evidence without a link.
    async fn reference(&self) -> Option<&str> {
        self.reference.as_deref()
    }

    /// Who attached it.
    async fn added_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        match self.added_by {
            Some(user) => ctx.loaders()?.users.load_one(user.0).await,
            None => Ok(None),
        }
    }

    /// When it was attached.
    async fn added_at(&self) -> DateTime<Utc> {
        self.added_at
    }
}

/// Evidence's own fields are plain data; who added it is resolved.
impl Plain for Evidence {
    fn field(&self, field: &Field) -> Option<Value> {
        Some(match field.name.node.as_str() {
            "id" => plain::value(&self.id.to_gql()),
            "title" => plain::string(&self.title),
            "url" => plain::optional_string(self.url.as_deref()),
            "reference" => plain::optional_string(self.reference.as_deref()),
            "addedAt" => plain::value(&self.added_at),
            _ => return None,
        })
    }
}

/// A progress update to record.
#[derive(InputObject)]
pub struct AddProgressUpdateInput {
    /// The action.
    pub action_id: ID,
    /// The day it speaks for: not in the future, not before the action was agreed. Before the
    /// action's latest update (or, with a new status, its latest status) it is a correction.
    pub as_at: Date,
    /// What happened, up to 10,000 characters.
    pub narrative: String,
    /// The status the action moves to, from `asAt`.
    pub new_status: Option<ActionStatus>,
    /// The percentage complete, 0 to 100.
    pub percent_complete: Option<i32>,
    /// Why, when this is a correction: an entry dated before the latest of its history.
    /// Required then, and only managers may correct; up to 2,000 characters.
    pub correction_reason: Option<String>,
}

/// The update recorded and the action after it.
#[derive(SimpleObject)]
pub struct AddProgressUpdatePayload {
    /// The update.
    pub update: ProgressUpdate,
    /// The action as it now stands.
    pub action: Action,
}

/// Evidence to attach.
#[derive(InputObject)]
pub struct AttachEvidenceInput {
    /// The action.
    pub action_id: ID,
    /// What it is, up to 300 characters.
    pub title: String,
    /// Where it is (http or https), up to 2,048 characters.
    pub url: Option<String>,
    /// A document reference, for evidence without a link, up to 300 characters.
    pub reference: Option<String>,
}

/// The evidence attached.
#[derive(SimpleObject)]
pub struct AttachEvidencePayload {
    /// The evidence.
    pub evidence: Evidence,
}

/// Reporting progress.
#[derive(Default)]
pub struct ProgressMutation;

#[Object]
impl ProgressMutation {
    /// Reports progress on an action of the caller's own organisation; a new status moves the
    /// action from the update's as-at date. Contributors and managers.
    async fn add_progress_update(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The update to record.")] input: AddProgressUpdateInput,
    ) -> Result<AddProgressUpdatePayload> {
        let access = ctx.access()?;
        let action = ActionId::parse("input.actionId", &input.action_id)?;
        let new = NewUpdate {
            as_at: input.as_at.0,
            narrative: service::check_narrative("input.narrative", &input.narrative)?,
            new_status: input.new_status,
            percent_complete: service::check_percent(
                "input.percentComplete",
                input.percent_complete,
            )?,
            correction_reason: input.correction_reason,
        };
        let (update, action) = service::add_update(access, action, new).await?;
        Ok(AddProgressUpdatePayload { update, action })
    }

    /// Attaches evidence to an action of the caller's own organisation. Contributors and
    /// managers.
    async fn attach_evidence(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The evidence to attach.")] input: AttachEvidenceInput,
    ) -> Result<AttachEvidencePayload> {
        let access = ctx.access()?;
        let action = ActionId::parse("input.actionId", &input.action_id)?;
        let new = NewEvidence::parse(
            &input.title,
            input.url.as_deref(),
            input.reference.as_deref(),
        )?;
        Ok(AttachEvidencePayload {
            evidence: service::attach_evidence(access, action, new).await?,
        })
    }
}
