//! resilience-hub: a multi-tenant GraphQL API for resilience assurance across UK local
//! organisations.
//!
//! Map of the crate:
//!
//! - [`app`]: builds and runs the service; [`cli`]: the subcommands; [`config`]: options.
//! - [`http`]: the GraphQL-over-HTTP handler, health checks, request middleware and each
//!   organisation's fair share; [`graphql`]: the schema, the `Node` interface, and the limits
//!   every document is measured against before it is validated.
//! - [`auth`]: bearer tokens and keys; [`access`]: what a caller may see and do, and the
//!   scoped entry points every tenant read goes through.
//! - Domains, each with its rules (`mod.rs`), data access (`service.rs`) and API
//!   (`graphql.rs`): [`organisations`] (with panel memberships and sharing settings),
//!   [`reviews`] (with recommendations), [`actions`] (with point-in-time RAG and summaries),
//!   [`progress`] (updates and evidence), [`standards`] (frameworks of standards),
//!   [`assessments`] (self-assessment, challenge, and the panels' and partners' views),
//!   [`users`], [`audit`].
//! - [`db`]: connections, migrations and the request-scoped handle; `entity`: sea-orm
//!   entities; [`pagination`], [`ids`], [`dates`], [`validate`], [`concurrency`], [`sql`],
//!   [`error`], [`cache`], [`epochs`]: shared building blocks.
//! - [`demo`]: the demo data and personas; [`bench_data`]: generated national-scale data for
//!   benchmarks; [`telemetry`]: logs and request ids.

pub mod access;
pub mod actions;
pub mod app;
pub mod assessments;
pub mod audit;
pub mod auth;
pub mod batch;
pub mod bench_data;
pub mod cache;
pub mod cli;
mod closed_set;
pub mod codes;
pub mod concurrency;
pub mod config;
pub mod dates;
pub mod db;
pub mod demo;
pub(crate) mod entity;
pub mod epochs;
pub mod error;
pub mod graphql;
pub mod http;
pub mod ids;
pub(crate) mod loaders;
pub mod organisations;
pub mod pagination;
pub mod progress;
pub mod reviews;
pub mod sql;
pub mod standards;
pub mod telemetry;
pub mod users;
pub mod validate;
