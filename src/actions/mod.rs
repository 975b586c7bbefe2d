//! Actions: what an organisation does to answer a recommendation (or on its own account), who
//! owns it, by when, and how it stands on any given day.
//!
//! RAG is computed, never stored, for a date `asOf`:
//!
//! - GREEN: complete on or before `asOf`;
//! - RED: not complete, and `asOf` is after the delivery date in force on `asOf`;
//! - AMBER: otherwise;
//! - none: withdrawn, or not yet agreed on `asOf`.
//!
//! Status and delivery date are taken as they stood at the end of `asOf`, from the append-only
//! histories of status changes and due-date changes, so a committee report as at a past date
//! can be reproduced exactly later. The rule lives in one place, the SQL of [`asof`]; every
//! list, filter and summary uses it.
//!
//! [`service`] reads and changes actions, [`due_dates`] moves their delivery dates, [`summary`]
//! computes progress summaries and what
//! changed between two dates; [`graphql`] (objects and queries), [`mutations`] and
//! [`reports`] (summaries and changes) are the API.

pub use crate::codes::{ActionStatus, Rag};

pub mod asof;
pub mod due_dates;
pub mod graphql;
pub mod mutations;
pub mod page;
pub mod service;
pub mod summary;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::entity::due_date_change;
use crate::ids::{ActionId, DueDateChangeId, OrgId, RecommendationId, ReviewId, UserId};

/// How an action stood at the end of one day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standing {
    /// The action.
    pub action: ActionId,
    /// The day.
    pub as_of: NaiveDate,
    /// The moment it is as known at; `None`: as known when read.
    pub known_at: Option<DateTime<Utc>>,
    /// Its status then; `None` when it had not yet been agreed.
    pub status: Option<ActionStatus>,
    /// The delivery date in force then.
    pub due_on: NaiveDate,
    /// When it was completed, if it was complete then.
    pub completed_on: Option<NaiveDate>,
    /// Its RAG then.
    pub rag: Option<Rag>,
}

/// An entry of an action's status history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusChange {
    pub action_id: ActionId,
    pub status: ActionStatus,
    /// The day it took effect.
    pub effective_on: NaiveDate,
    /// The moment it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// The progress update that carried it, if one did.
    pub progress_update_id: Option<crate::ids::ProgressUpdateId>,
    pub changed_by: Option<UserId>,
    /// Why it was made, when it is a correction.
    pub correction_reason: Option<String>,
}

impl From<crate::entity::action_status_change::Model> for StatusChange {
    fn from(m: crate::entity::action_status_change::Model) -> Self {
        StatusChange {
            action_id: ActionId(m.action_id),
            status: m.status,
            effective_on: m.effective_on,
            recorded_at: m.changed_at,
            progress_update_id: m.progress_update_id.map(crate::ids::ProgressUpdateId),
            changed_by: m.changed_by.map(UserId),
            correction_reason: m.correction_reason,
        }
    }
}

/// An action, as the service holds it, with how it stood on the day it was read for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Action {
    pub id: ActionId,
    pub org_id: OrgId,
    pub review_id: Option<ReviewId>,
    pub recommendation_id: Option<RecommendationId>,
    pub title: String,
    pub detail: Option<String>,
    pub owner: String,
    pub owner_user_id: Option<UserId>,
    pub opened_on: NaiveDate,
    pub original_due_on: NaiveDate,
    pub due_on: NaiveDate,
    pub status: ActionStatus,
    pub completed_on: Option<NaiveDate>,
    pub percent_complete: Option<i32>,
    pub version: i32,
    #[serde(skip)]
    pub created_at: DateTime<Utc>,
    #[serde(skip)]
    pub updated_at: DateTime<Utc>,
    /// How it stood on the day the query that read it asked about (today by default).
    #[serde(skip)]
    pub standing: Standing,
}

/// A change of an action's delivery date: extensions are visible, never silent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DueDateChange {
    pub id: DueDateChangeId,
    pub action_id: ActionId,
    pub previous_due_on: NaiveDate,
    pub new_due_on: NaiveDate,
    pub reason: String,
    pub effective_on: NaiveDate,
    pub changed_by: Option<UserId>,
    #[serde(skip)]
    pub changed_at: DateTime<Utc>,
    /// Why it was made, when it is a correction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correction_reason: Option<String>,
}

impl From<due_date_change::Model> for DueDateChange {
    fn from(m: due_date_change::Model) -> Self {
        DueDateChange {
            id: DueDateChangeId(m.id),
            action_id: ActionId(m.action_id),
            previous_due_on: m.previous_due_on,
            new_due_on: m.new_due_on,
            reason: m.reason,
            effective_on: m.effective_on,
            changed_by: m.changed_by.map(UserId),
            changed_at: m.changed_at,
            correction_reason: m.correction_reason,
        }
    }
}

/// The longest owner (a role) of an action.
pub const MAX_OWNER: usize = 200;
/// The longest reason for a change of delivery date.
pub const MAX_REASON: usize = 2_000;
