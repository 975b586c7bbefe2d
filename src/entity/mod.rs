//! sea-orm entities: the shape of the tables, and nothing else.
//!
//! The API never exposes them (each domain maps rows to its own GraphQL objects), and the
//! service reads and writes tenant-owned rows only through the scoped entry points of
//! [`crate::access::scope`]. They are public for the data generators of the binary's crate,
//! which load rows through the owner's connection, outside any request.

pub mod action;
pub mod action_status_change;
pub mod assessment;
pub mod audit_event;
pub mod challenge;
pub mod committee;
pub mod due_date_change;
pub mod evidence;
pub mod framework;
pub mod import;
pub mod moderation;
pub mod notification;
pub mod notification_read;
pub mod org_user;
pub mod organisation;
pub mod outbox_event;
pub mod panel_membership;
pub mod progress_update;
pub mod rating;
pub mod rating_action;
pub mod rating_evidence;
pub mod rating_level;
pub mod recommendation;
pub mod recommendation_standard;
pub mod recommendation_status_change;
pub mod reminder_digest;
pub mod reminder_preference;
pub mod reminder_run;
pub mod reminder_settings;
pub mod reminder_told;
pub mod review;
pub mod review_judgement;
pub mod sharing_settings;
pub mod standard;
pub mod user;
pub mod webhook_attempt;
pub mod webhook_delivery;
pub mod webhook_endpoint;
