//! Reminders: owners hear of due and overdue actions before the committee does.
//!
//! Once a day, at a UK time, the service works out for each organisation that has turned
//! reminders on who should be told what ([`plan`]), as the actions stood that day, and writes
//! one digest per person ([`run`]): an action's owner hears of their actions due within the
//! organisation's lead times, due today, newly overdue, or without a progress update for too
//! long; on the weekly day its managers hear of every overdue action and of assessments
//! still in draft; a panel's managers, if the panel opts in, hear how many of each member's
//! actions newly went overdue (counts only). Each thing is told once ([`plan::Told`]): a
//! second run of the same day sends nothing new, and a run after downtime sends one digest
//! with what is due now.
//!
//! A digest reaches its person three ways: by email ([`mail`]), with a one-click unsubscribe
//! link; in the service's own notices (`notifications`); and as a `reminder.due` webhook
//! event. Settings are the organisation's ([`settings`], managers) and each person's own.

pub mod content;
pub mod graphql;
pub mod mail;
pub mod plan;
pub mod run;
pub mod settings;

use std::time::Duration;

use chrono::NaiveTime;

pub use settings::{Frequency, OrgSettings, Preferences, Weekday};

pub use crate::codes::REMINDER_DUE;

/// How the service reminds: when the daily run happens and how mail goes.
#[derive(Clone, Debug)]
pub struct ReminderConfig {
    /// The UK time (Europe/London, whatever the season) of the daily run; `None`: no daily
    /// run (the command line's `remind` only).
    pub at: Option<NaiveTime>,
    pub mail: mail::MailConfig,
}

impl Default for ReminderConfig {
    fn default() -> Self {
        ReminderConfig {
            at: NaiveTime::from_hms_opt(7, 0, 0),
            mail: mail::MailConfig::default(),
        }
    }
}

/// The first wait before mail is tried again after the server refused or could not be
/// reached; each later wait doubles, up to [`MAX_RETRY_WAIT`].
pub const RETRY_WAIT: Duration = Duration::from_secs(60);
/// The longest wait between two tries of one message.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(3600);
