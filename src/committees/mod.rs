//! Committees: the meetings an organisation (or a panel) reports its progress to.
//!
//! A meeting's date is the natural "as at" of the report it received, and the end of that day
//! its natural "as known at": [`Committee::view`]. So "what did we tell the committee of 30
//! November 2021" is one field, `Committee.report`, which later corrections can never change,
//! and "what moved since the last committee" is `changes(sinceCommittee:)`.
//!
//! [`service`] records and reads them; [`graphql`] is the API.

pub mod graphql;
pub mod service;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::dates::end_of_london_day;
use crate::entity::committee;
use crate::history::AsAt;
use crate::ids::{CommitteeId, OrgId, UserId};

/// The longest committee name.
pub const MAX_NAME: usize = 200;

/// A committee meeting, as the service holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Committee {
    pub id: CommitteeId,
    pub org_id: OrgId,
    pub name: String,
    pub meets_on: NaiveDate,
    pub paper_url: Option<String>,
    pub created_by: Option<UserId>,
    #[serde(skip)]
    pub created_at: DateTime<Utc>,
}

impl Committee {
    /// What the meeting saw: the end of its day, as known by then.
    pub fn view(&self) -> AsAt {
        AsAt::new(Some(self.meets_on), Some(end_of_london_day(self.meets_on)))
    }
}

impl From<committee::Model> for Committee {
    fn from(m: committee::Model) -> Self {
        Committee {
            id: CommitteeId(m.id),
            org_id: OrgId(m.org_id),
            name: m.name,
            meets_on: m.meets_on,
            paper_url: m.paper_url,
            created_by: m.created_by.map(UserId),
            created_at: m.created_at,
        }
    }
}
