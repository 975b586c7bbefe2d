//! Organisations: councils, fire and rescue services, regional panels and partner bodies;
//! which panels each belongs to; and what each chooses to share.
//!
//! This file holds the domain types and their rules; [`service`] (directory entries),
//! [`memberships`] and [`sharing`] read and change them through the caller's
//! [`Access`](crate::access::Access); [`graphql`] is the API over all three.

pub use crate::codes::{OrgKind, PartnerSharing};

pub mod graphql;
pub mod memberships;
pub mod service;
pub mod sharing;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::entity::{organisation, sharing_settings};
use crate::error::AppError;
use crate::ids::OrgId;

impl OrgKind {
    /// Whether an organisation of this kind can sit in a regional panel. Panels do not nest
    /// (what a panel sees would otherwise depend on a chain of memberships), and partner bodies
    /// read through their own sharing level, not through panels.
    pub fn can_join_panels(self) -> bool {
        matches!(self, OrgKind::Council | OrgKind::FireAndRescueService)
    }
}

/// A URL-safe handle for an organisation: 2–63 characters of `a-z`, `0-9` and single hyphens,
/// starting with a letter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    /// The longest slug accepted.
    pub const MAX: usize = 63;

    /// Checks a proposed slug; `field` names the argument for the error.
    pub fn parse(field: &str, raw: &str) -> Result<Self, AppError> {
        let bad = |why: &str| AppError::bad_input(field, format!("slug {why}"));
        if raw.len() < 2 || raw.len() > Self::MAX {
            return Err(bad(&format!("must be 2 to {} characters long", Self::MAX)));
        }
        if !raw.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(bad("must start with a lower-case letter"));
        }
        if !raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(bad("may hold only a-z, 0-9 and hyphens"));
        }
        if raw.ends_with('-') || raw.contains("--") {
            return Err(bad("may not end with a hyphen or hold two in a row"));
        }
        Ok(Slug(raw.to_owned()))
    }

    /// The slug as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An organisation's directory entry: who it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Organisation {
    pub id: OrgId,
    pub slug: String,
    pub name: String,
    pub kind: OrgKind,
    pub region: Option<String>,
    pub version: i32,
    #[serde(skip)]
    pub created_at: DateTime<Utc>,
    #[serde(skip)]
    pub updated_at: DateTime<Utc>,
}

impl From<organisation::Model> for Organisation {
    fn from(m: organisation::Model) -> Self {
        Organisation {
            id: OrgId(m.id),
            slug: m.slug,
            name: m.name,
            kind: m.kind,
            region: m.region,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// What an organisation shares beyond itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SharingSettings {
    #[serde(skip)]
    pub org_id: OrgId,
    /// Whether its panels may read detail (reviews, actions, assessment evidence) rather than
    /// only summaries.
    pub panel_detail: bool,
    /// What partner bodies may read.
    pub partners: PartnerSharing,
    pub version: i32,
    #[serde(skip)]
    pub updated_at: DateTime<Utc>,
}

impl From<sharing_settings::Model> for SharingSettings {
    fn from(m: sharing_settings::Model) -> Self {
        SharingSettings {
            org_id: OrgId(m.org_id),
            panel_detail: m.panel_detail,
            partners: m.partners,
            version: m.version,
            updated_at: m.updated_at,
        }
    }
}

/// A new organisation, checked.
#[derive(Clone, Debug)]
pub struct NewOrganisation {
    pub slug: Slug,
    pub name: String,
    pub kind: OrgKind,
    pub region: Option<String>,
}

impl NewOrganisation {
    /// Checks raw fields; errors name them under `prefix` (e.g. `input.`).
    pub fn parse(
        prefix: &str,
        slug: &str,
        name: &str,
        kind: OrgKind,
        region: Option<&str>,
    ) -> Result<Self, AppError> {
        Ok(NewOrganisation {
            slug: Slug::parse(&format!("{prefix}slug"), slug)?,
            name: crate::validate::required_text(&format!("{prefix}name"), name, MAX_NAME)?,
            kind,
            region: crate::validate::optional_text(&format!("{prefix}region"), region, MAX_REGION)?,
        })
    }
}

/// The longest organisation name accepted.
pub const MAX_NAME: usize = 200;
/// The longest region accepted.
pub const MAX_REGION: usize = 100;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_slugs_parse() {
        for s in [
            "rotherham",
            "essex-fire",
            "lb-hammersmith-and-fulham",
            "lap2",
        ] {
            assert_eq!(Slug::parse("slug", s).unwrap().as_str(), s);
        }
    }

    #[test]
    fn bad_slugs_are_refused_naming_the_field() {
        for s in [
            "",
            "a",
            "Rotherham",
            "1abc",
            "ab_c",
            "ab-",
            "a--b",
            "über",
            &"a".repeat(64),
        ] {
            let err = Slug::parse("input.slug", s).unwrap_err();
            assert!(
                matches!(err, AppError::BadUserInput { ref field, .. } if field == "input.slug"),
                "{s:?}"
            );
        }
    }

    #[test]
    fn only_councils_and_fire_services_join_panels() {
        assert!(OrgKind::Council.can_join_panels());
        assert!(OrgKind::FireAndRescueService.can_join_panels());
        assert!(!OrgKind::RegionalPanel.can_join_panels());
        assert!(!OrgKind::PartnerBody.can_join_panels());
    }
}
