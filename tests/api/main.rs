//! Integration tests: the real service, started in-process on a random port, driven over HTTP,
//! against SQLite always and Postgres when `TEST_DATABASE_URL` is set.

mod assurance;
mod helpers;
mod plan;
mod world;

mod actions;
mod assessments;
mod assurance_isolation;
mod assurance_sharing;
mod audit;
mod auth;
mod bench_smoke;
mod boundary;
mod clients;
mod comparison;
mod demo;
mod errors;
mod events;
mod fair;
mod faults;
mod frameworks;
mod history;
mod http;
mod imports;
mod isolation;
mod limits;
mod matrix;
mod me;
mod ordering;
mod organisations;
mod paging;
mod papers;
mod persisted;
mod provisioning;
mod readme;
mod reminders;
mod reviews;
mod row_security;
mod schema;
mod sharing;
mod summaries;
mod webhooks;
