//! `imports`: every spreadsheet an organisation imported or checked.

use sea_orm::entity::prelude::*;

use crate::codes::{ImportKind, ImportOutcome};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "imports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub kind: ImportKind,
    /// The review or assessment imported into.
    pub target_id: Option<Uuid>,
    pub file_name: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub dry_run: bool,
    pub outcome: ImportOutcome,
    pub rows_read: i32,
    pub created: i32,
    pub updated: i32,
    pub unchanged: i32,
    pub conflicts: i32,
    pub errors: i32,
    pub warnings: i32,
    /// For a real import: each matched action's id and the fingerprint of what the service held
    /// after the import.
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub state: Option<Json>,
    pub imported_by: Option<Uuid>,
    pub imported_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
