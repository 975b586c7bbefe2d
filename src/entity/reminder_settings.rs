//! `reminder_settings`: an organisation's reminder rules (absent: the defaults, off).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reminder_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub org_id: Uuid,
    pub enabled: bool,
    /// Days before a delivery date, comma-separated (`14,7,1`).
    pub lead_times: String,
    pub stale_after_days: i32,
    /// Days of the week, comma-separated (`SAT,SUN`), or empty.
    pub quiet_days: String,
    pub weekly_day: String,
    pub panel_digest: bool,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
