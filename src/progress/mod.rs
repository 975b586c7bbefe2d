//! Progress on actions: dated updates (append-only: a correction is a new update) and the
//! evidence that backs them.
//!
//! An update may move its action's status; the move is recorded in the action's status
//! history, effective on the update's as-at date, so it counts in every view from that day.

pub mod graphql;
pub mod plan;
pub mod service;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::actions::ActionStatus;
use crate::entity::{evidence, progress_update};
use crate::ids::{ActionId, EvidenceId, OrgId, ProgressUpdateId, UserId};

/// A progress update on an action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProgressUpdate {
    pub id: ProgressUpdateId,
    pub org_id: OrgId,
    pub action_id: ActionId,
    pub as_at: NaiveDate,
    pub narrative: String,
    pub new_status: Option<ActionStatus>,
    pub percent_complete: Option<i32>,
    pub author_id: Option<UserId>,
    #[serde(skip)]
    pub recorded_at: DateTime<Utc>,
    /// Why it was made, when it is a correction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correction_reason: Option<String>,
}

impl From<progress_update::Model> for ProgressUpdate {
    fn from(m: progress_update::Model) -> Self {
        ProgressUpdate {
            id: ProgressUpdateId(m.id),
            org_id: OrgId(m.org_id),
            action_id: ActionId(m.action_id),
            as_at: m.as_at,
            narrative: m.narrative,
            new_status: m.new_status,
            percent_complete: m.percent_complete,
            author_id: m.author_id.map(UserId),
            recorded_at: m.recorded_at,
            correction_reason: m.correction_reason,
        }
    }
}

/// A titled link or document reference attached to an action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Evidence {
    pub id: EvidenceId,
    pub org_id: OrgId,
    pub action_id: ActionId,
    pub title: String,
    pub url: Option<String>,
    pub reference: Option<String>,
    pub added_by: Option<UserId>,
    #[serde(skip)]
    pub added_at: DateTime<Utc>,
}

impl From<evidence::Model> for Evidence {
    fn from(m: evidence::Model) -> Self {
        Evidence {
            id: EvidenceId(m.id),
            org_id: OrgId(m.org_id),
            action_id: ActionId(m.action_id),
            title: m.title,
            url: m.url,
            reference: m.reference,
            added_by: m.added_by.map(UserId),
            added_at: m.added_at,
        }
    }
}
