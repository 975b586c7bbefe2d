//! resilience-hub: a multi-tenant GraphQL API for resilience assurance across UK local
//! organisations. This is the service library; the binary, its command line and the demo and
//! benchmark data generators are the `resilience-hub-app` crate of the workspace, which
//! depends on it.
//!
//! Map of the crate, by layer, lowest first; each imports only those below it (checked by
//! `tests/layers.rs`):
//!
//! - kernel: [`error`], [`faults`] (how a database failure is named), [`ids`], [`dates`],
//!   [`validate`], [`limits`], [`sql`], [`rows`] (rows read by position), [`codes`] (every
//!   closed set of codes), [`batch`], [`pagination`], [`concurrency`], [`telemetry`].
//! - store: [`entity`] (sea-orm entities), [`db`] (connections, migrations, the request-scoped
//!   handle and the row-level security settings it sets), [`epochs`], [`cache`].
//! - [`auth`]: keys, token claims, and identity bootstrap (users on first sight).
//! - [`access`]: the caller, what it may read for each purpose, and the entry points every
//!   tenant read and write goes through (`access::scope`; `access::provisioning` for the
//!   directory).
//! - [`audit`]: the append-only trail, written with each change.
//! - Domains, in dependency order, each with its rules (`mod.rs`) and data access
//!   (`service.rs` and its siblings): [`organisations`] and [`users`], [`standards`],
//!   [`reviews`], [`actions`], [`progress`], [`assessments`], [`reports`], [`committees`],
//!   [`papers`] (committee papers as files), [`imports`] (spreadsheets in), [`events`]
//!   (changes out: the outbox read, live subscriptions, webhooks, and the jobs that send them),
//!   [`reminders`] (owners and managers told of due and overdue actions, by mail, notice and
//!   webhook).
//! - api: [`graphql`] (the schema, the `Node` interface, the limits every document is
//!   measured against before it is validated), `loaders`, and each domain's `graphql.rs`,
//!   `graphql/` and `mutations.rs`.
//! - [`http`]: the GraphQL-over-HTTP handler, health checks, middleware, fair shares.
//! - app: [`app`] (building the service) and [`config`] (its checked configuration).
pub mod access;
pub mod actions;
pub mod app;
pub mod assessments;
pub mod audit;
pub mod auth;
pub mod batch;
pub mod cache;
mod closed_set;
pub mod codes;
pub mod committees;
pub mod concurrency;
pub mod config;
pub mod dates;
pub mod db;
pub mod entity;
pub mod epochs;
pub mod error;
pub mod events;
pub mod faults;
pub mod graphql;
pub mod history;
pub mod http;
pub mod ids;
pub mod imports;
pub mod limits;
pub(crate) mod loaders;
pub mod notifications;
pub mod organisations;
pub mod pagination;
pub mod papers;
pub mod progress;
pub mod reminders;
pub mod reports;
pub mod reviews;
pub mod rows;
pub mod sql;
pub mod standards;
pub mod telemetry;
pub mod users;
pub mod validate;
