//! The API of reminders: the organisation's settings (everyone of it reads them, its managers
//! change them) and each person's own choice.

use async_graphql::{Context, InputObject, Object, Result};
use chrono::{DateTime, Utc};

use super::settings::{self, Frequency, OrgSettings, Preferences, SettingsChanges, Weekday};
use crate::graphql::ContextExt;

/// An organisation's reminder rules.
#[Object(name = "ReminderSettings")]
impl OrgSettings {
    /// Whether anyone of the organisation is reminded (off until a manager turns it on).
    async fn enabled(&self) -> bool {
        self.enabled
    }

    /// Days before a delivery date that an action's owner is told, largest first.
    async fn lead_times(&self) -> Vec<i32> {
        self.lead_times.iter().map(|d| *d as i32).collect()
    }

    /// Days without a progress update after which an owner is told (0: never).
    async fn stale_after_days(&self) -> i32 {
        self.stale_after_days as i32
    }

    /// Days of the week on which nobody is told; what falls due then is told on the next day.
    async fn quiet_days(&self) -> Vec<Weekday> {
        self.quiet_days.clone()
    }

    /// The day of the managers' weekly digest (and of those who chose weekly).
    async fn weekly_day(&self) -> Weekday {
        self.weekly_day
    }

    /// For a regional panel: whether its managers hear each week how many of their members'
    /// actions newly went overdue (counts only).
    async fn panel_digest(&self) -> bool {
        self.panel_digest
    }

    /// When a manager last changed them; null while they are the defaults.
    async fn updated_at(&self) -> Option<DateTime<Utc>> {
        self.updated_at
    }
}

/// A person's own choice of reminders.
#[Object(name = "ReminderPreferences")]
impl Preferences {
    /// Whether they are reminded at all (on unless they turn it off, or unsubscribe).
    async fn enabled(&self) -> bool {
        self.enabled
    }

    /// Daily, or once a week on the organisation's weekly day.
    async fn frequency(&self) -> Frequency {
        self.frequency
    }
}

/// Changes to the organisation's reminder rules: what is left out stays as it is.
#[derive(InputObject)]
pub struct ReminderSettingsInput {
    /// Turn reminders on or off for the whole organisation.
    pub enabled: Option<bool>,
    /// Days before a delivery date (1 to 365, at most 6).
    pub lead_times: Option<Vec<i32>>,
    /// Days without a progress update before the owner is told (0: never; up to 365).
    pub stale_after_days: Option<i32>,
    /// Days on which nobody is told (not all seven).
    pub quiet_days: Option<Vec<Weekday>>,
    /// The day of the weekly digest.
    pub weekly_day: Option<Weekday>,
    /// For a regional panel: its managers' weekly digest of members' newly overdue actions.
    pub panel_digest: Option<bool>,
}

/// Changes to the caller's own choice: what is left out stays as it is.
#[derive(InputObject)]
pub struct ReminderPreferencesInput {
    /// Whether the caller is reminded at all.
    pub enabled: Option<bool>,
    /// Daily, or weekly.
    pub frequency: Option<Frequency>,
}

/// Reading reminder settings.
#[derive(Default)]
pub struct ReminderQuery;

#[Object]
impl ReminderQuery {
    /// The caller's organisation's reminder rules.
    async fn reminder_settings(&self, ctx: &Context<'_>) -> Result<OrgSettings> {
        Ok(settings::get(ctx.access()?).await?)
    }

    /// The caller's own choice of reminders in its organisation.
    async fn my_reminder_preferences(&self, ctx: &Context<'_>) -> Result<Preferences> {
        Ok(settings::mine(ctx.access()?).await?)
    }
}

/// Changing reminder settings.
#[derive(Default)]
pub struct ReminderMutation;

#[Object]
impl ReminderMutation {
    /// Changes the caller's organisation's reminder rules (managers only). Audited.
    async fn update_reminder_settings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to change; what is left out stays as it is.")]
        input: ReminderSettingsInput,
    ) -> Result<OrgSettings> {
        let changes = SettingsChanges {
            enabled: input.enabled,
            lead_times: input.lead_times,
            stale_after_days: input.stale_after_days,
            quiet_days: input.quiet_days,
            weekly_day: input.weekly_day,
            panel_digest: input.panel_digest,
        };
        Ok(settings::update(ctx.access()?, changes).await?)
    }

    /// Changes the caller's own choice (any role: it is the caller's own mail). Audited.
    async fn update_my_reminder_preferences(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to change; what is left out stays as it is.")]
        input: ReminderPreferencesInput,
    ) -> Result<Preferences> {
        Ok(settings::update_mine(ctx.access()?, input.enabled, input.frequency).await?)
    }
}
