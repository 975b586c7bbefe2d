//! Reports a committee reads: where a review or an organisation stood on a day, and what moved
//! between two committee dates. The figures are counted by the actions' summaries
//! (`actions::summary`) and the progress updates of a window by `progress::service`; this
//! domain, last in the order, puts them together as GraphQL objects (`graphql.rs`).
pub mod graphql;
