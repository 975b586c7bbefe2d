//! sea-orm entities: the shape of the tables, and nothing else.
//!
//! Entities are `pub(crate)` plumbing. The API never exposes them (each domain maps rows to its
//! own GraphQL objects), and tenant-owned rows are read only through the scoped entry points of
//! [`crate::access::scope`].

pub(crate) mod action;
pub(crate) mod action_status_change;
pub(crate) mod assessment;
pub(crate) mod audit_event;
pub(crate) mod challenge;
pub(crate) mod due_date_change;
pub(crate) mod evidence;
pub(crate) mod framework;
pub(crate) mod moderation;
pub(crate) mod org_user;
pub(crate) mod organisation;
pub(crate) mod panel_membership;
pub(crate) mod progress_update;
pub(crate) mod rating;
pub(crate) mod rating_action;
pub(crate) mod rating_evidence;
pub(crate) mod rating_level;
pub(crate) mod recommendation;
pub(crate) mod recommendation_standard;
pub(crate) mod recommendation_status_change;
pub(crate) mod review;
pub(crate) mod review_judgement;
pub(crate) mod sharing_settings;
pub(crate) mod standard;
pub(crate) mod user;
