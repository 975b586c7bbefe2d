//! Standards libraries: versioned frameworks of standards, each with an ordered rating scale.
//!
//! A framework is shared (created by a platform administrator, readable by every organisation)
//! or owned by a regional panel (readable by the panel and its members). It is edited as a
//! draft and then published; a published version never changes, and a new version is a new
//! framework linked to its predecessor, so assessments made against a version keep their
//! meaning. Recommendations link to the standards they bear on.
//!
//! [`service`] reads frameworks and [`drafts`] writes them (`reviews::standards` ties
//! recommendations to them),
//! [`graphql`] and [`mutations`] are the API.

pub use crate::codes::FrameworkStatus;

pub mod drafts;
pub mod graphql;
pub mod mutations;
pub mod service;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::entity::{framework, rating_level, standard};
use crate::ids::{FrameworkId, OrgId, RatingLevelId, StandardId};

/// A version of a standards library.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Framework {
    pub id: FrameworkId,
    pub owner: Option<OrgId>,
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub version: i32,
    pub status: FrameworkStatus,
    pub predecessor: Option<FrameworkId>,
    pub revision: i32,
    #[serde(skip)]
    pub created_at: DateTime<Utc>,
    #[serde(skip)]
    pub published_at: Option<DateTime<Utc>>,
}

impl From<framework::Model> for Framework {
    fn from(m: framework::Model) -> Self {
        Framework {
            id: FrameworkId(m.id),
            owner: m.owner_org_id.map(OrgId),
            code: m.code,
            name: m.name,
            description: m.description,
            version: m.version,
            status: m.status,
            predecessor: m.predecessor_id.map(FrameworkId),
            revision: m.revision,
            created_at: m.created_at,
            published_at: m.published_at,
        }
    }
}

/// A standard of a framework.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Standard {
    pub id: StandardId,
    pub framework_id: FrameworkId,
    pub code: String,
    pub title: String,
    pub description: Option<String>,
    pub desired_outcome: Option<String>,
    pub position: i32,
}

impl From<standard::Model> for Standard {
    fn from(m: standard::Model) -> Self {
        Standard {
            id: StandardId(m.id),
            framework_id: FrameworkId(m.framework_id),
            code: m.code,
            title: m.title,
            description: m.description,
            desired_outcome: m.desired_outcome,
            position: m.position,
        }
    }
}

/// A level of a framework's rating scale; a higher rank is better.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Level {
    pub id: RatingLevelId,
    pub framework_id: FrameworkId,
    pub code: String,
    pub label: String,
    pub rank: i32,
}

impl From<rating_level::Model> for Level {
    fn from(m: rating_level::Model) -> Self {
        Level {
            id: RatingLevelId(m.id),
            framework_id: FrameworkId(m.framework_id),
            code: m.code,
            label: m.label,
            rank: m.rank,
        }
    }
}

/// The longest framework, standard or level code.
pub const MAX_CODE: usize = 32;
/// The longest framework name.
pub const MAX_NAME: usize = 200;
/// The longest standard title.
pub const MAX_STANDARD_TITLE: usize = 300;
/// The longest level label.
pub const MAX_LABEL: usize = 100;
/// The most standards a framework may hold.
pub const MAX_STANDARDS: usize = 200;
/// The most levels a rating scale may hold.
pub const MAX_LEVELS: usize = 10;
