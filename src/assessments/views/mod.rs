//! The cross-tenant views: a panel's heat map of its members against a framework
//! ([`comparison`]), the progress against a framework's standards across the organisations
//! that share it ([`progress`]), and how one standard stands in one organisation
//! ([`standing`]).
//!
//! Each reads a bounded number of statements whatever the number of organisations, and counts
//! in SQL. Every figure respects sharing: drafts are never counted; a panel sees its current
//! members (one that leaves disappears at once); a partner body counts the organisations that
//! share with partners, names only those that share by name, and never shows a group of fewer
//! than [`MIN_GROUP`].

pub mod comparison;
pub mod progress;
pub mod standing;

pub use comparison::{Cell, PanelComparison, Row, panel_comparison};
pub use progress::{
    Count, LevelCount, MIN_GROUP, ProgressRow, StandardsProgress, Tallies, TalliesOf,
    standards_progress,
};
pub use standing::{StandardInOrganisation, standard_in};
