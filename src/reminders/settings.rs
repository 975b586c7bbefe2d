//! Who decides what: an organisation's reminder rules (its managers change them) and each
//! person's own choice (on or off, daily or weekly). Both are read and changed through the
//! caller's own organisation only, and every change is audited.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, QueryFilter};
use serde::Serialize;

use crate::access::Access;
use crate::access::scope::{self, Scoped};
use crate::audit::{self, Author, Change, EntityType};
use crate::auth::Role;
use crate::entity::{reminder_preference, reminder_settings};
use crate::error::{AppError, AppResult};

/// The most lead times an organisation may set.
pub const MAX_LEAD_TIMES: usize = 6;
/// The longest lead time, and the longest "no update" period, in days.
pub const MAX_DAYS: u32 = 365;

/// A day of the week.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, async_graphql::Enum, Serialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Weekday {
    /// Monday.
    Monday,
    /// Tuesday.
    Tuesday,
    /// Wednesday.
    Wednesday,
    /// Thursday.
    Thursday,
    /// Friday.
    Friday,
    /// Saturday.
    Saturday,
    /// Sunday.
    Sunday,
}

impl Weekday {
    const ALL: [(Weekday, &'static str, chrono::Weekday); 7] = [
        (Weekday::Monday, "MON", chrono::Weekday::Mon),
        (Weekday::Tuesday, "TUE", chrono::Weekday::Tue),
        (Weekday::Wednesday, "WED", chrono::Weekday::Wed),
        (Weekday::Thursday, "THU", chrono::Weekday::Thu),
        (Weekday::Friday, "FRI", chrono::Weekday::Fri),
        (Weekday::Saturday, "SAT", chrono::Weekday::Sat),
        (Weekday::Sunday, "SUN", chrono::Weekday::Sun),
    ];

    /// The stored code (`MON`).
    fn code(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(d, _, _)| *d == self)
            .map_or("MON", |(_, c, _)| c)
    }

    fn from_code(code: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(_, c, _)| *c == code)
            .map(|(d, _, _)| *d)
    }

    /// The day of the week `day` falls on.
    pub fn of(day: NaiveDate) -> Self {
        let wd = day.weekday();
        Self::ALL
            .iter()
            .find(|(_, _, w)| *w == wd)
            .map_or(Weekday::Monday, |(d, _, _)| *d)
    }
}

/// How often a person hears of their own actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, async_graphql::Enum, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Frequency {
    /// A digest on any day there is something new to tell.
    Daily,
    /// One digest a week, on the organisation's weekly day.
    Weekly,
}

impl Frequency {
    fn code(self) -> &'static str {
        match self {
            Frequency::Daily => "DAILY",
            Frequency::Weekly => "WEEKLY",
        }
    }

    /// The stored code's frequency (daily for anything else).
    pub fn from_code(code: &str) -> Self {
        if code == "WEEKLY" {
            Frequency::Weekly
        } else {
            Frequency::Daily
        }
    }
}

/// An organisation's reminder rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgSettings {
    /// Whether anyone of the organisation is reminded at all (off until a manager turns it on).
    pub enabled: bool,
    /// Days before a delivery date an owner is told, largest first.
    pub lead_times: Vec<u32>,
    /// Days without a progress update after which an owner is told (0: never).
    pub stale_after_days: u32,
    /// Days of the week on which nobody is told; what falls due then is told the next day.
    pub quiet_days: Vec<Weekday>,
    /// The day of the managers' (and weekly readers') digest.
    pub weekly_day: Weekday,
    /// For a regional panel: whether its managers hear of their members' newly overdue
    /// actions (counts only).
    pub panel_digest: bool,
    #[serde(skip)]
    pub updated_at: Option<DateTime<Utc>>,
}

impl Default for OrgSettings {
    fn default() -> Self {
        OrgSettings {
            enabled: false,
            lead_times: vec![14, 7, 1],
            stale_after_days: 30,
            quiet_days: Vec::new(),
            weekly_day: Weekday::Monday,
            panel_digest: false,
            updated_at: None,
        }
    }
}

impl From<reminder_settings::Model> for OrgSettings {
    fn from(m: reminder_settings::Model) -> Self {
        let mut lead_times: Vec<u32> = m
            .lead_times
            .split(',')
            .filter_map(|d| d.trim().parse().ok())
            .collect();
        lead_times.sort_unstable_by(|a, b| b.cmp(a));
        OrgSettings {
            enabled: m.enabled,
            lead_times,
            stale_after_days: u32::try_from(m.stale_after_days).unwrap_or(0),
            quiet_days: m
                .quiet_days
                .split(',')
                .filter_map(Weekday::from_code)
                .collect(),
            weekly_day: Weekday::from_code(&m.weekly_day).unwrap_or(Weekday::Monday),
            panel_digest: m.panel_digest,
            updated_at: Some(m.updated_at),
        }
    }
}

impl OrgSettings {
    /// The row that stores these settings for `org`.
    pub fn row(&self, org: uuid::Uuid, now: DateTime<Utc>) -> reminder_settings::ActiveModel {
        reminder_settings::ActiveModel {
            org_id: Set(org),
            enabled: Set(self.enabled),
            lead_times: Set(self
                .lead_times
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(",")),
            stale_after_days: Set(self.stale_after_days as i32),
            quiet_days: Set(self
                .quiet_days
                .iter()
                .map(|d| d.code())
                .collect::<Vec<_>>()
                .join(",")),
            weekly_day: Set(self.weekly_day.code().to_owned()),
            panel_digest: Set(self.panel_digest),
            updated_at: Set(now),
        }
    }
}

/// A person's own choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Preferences {
    /// Whether they are reminded at all (on unless they turned it off).
    pub enabled: bool,
    pub frequency: Frequency,
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences {
            enabled: true,
            frequency: Frequency::Daily,
        }
    }
}

/// The caller's organisation's settings (the defaults until a manager sets them).
pub async fn get(access: &Access) -> AppResult<OrgSettings> {
    Ok(reminder_settings::Entity::scoped(access)
        .filter(reminder_settings::Column::OrgId.eq(access.org_id().0))
        .one(access.db())
        .await?
        .map(OrgSettings::from)
        .unwrap_or_default())
}

/// Changes to the organisation's settings; `None` leaves one as it is.
#[derive(Clone, Debug, Default)]
pub struct SettingsChanges {
    pub enabled: Option<bool>,
    pub lead_times: Option<Vec<i32>>,
    pub stale_after_days: Option<i32>,
    pub quiet_days: Option<Vec<Weekday>>,
    pub weekly_day: Option<Weekday>,
    pub panel_digest: Option<bool>,
}

impl SettingsChanges {
    /// `before` with the changes, checked.
    fn apply(self, before: &OrgSettings) -> AppResult<OrgSettings> {
        let mut after = before.clone();
        if let Some(enabled) = self.enabled {
            after.enabled = enabled;
        }
        if let Some(leads) = self.lead_times {
            if leads.len() > MAX_LEAD_TIMES {
                return Err(AppError::bad_input(
                    "leadTimes",
                    format!("give at most {MAX_LEAD_TIMES} lead times"),
                ));
            }
            let mut days = Vec::with_capacity(leads.len());
            for d in leads {
                match u32::try_from(d) {
                    Ok(d) if (1..=MAX_DAYS).contains(&d) => days.push(d),
                    _ => {
                        return Err(AppError::bad_input(
                            "leadTimes",
                            format!("each lead time is a number of days from 1 to {MAX_DAYS}"),
                        ));
                    }
                }
            }
            days.sort_unstable_by(|a, b| b.cmp(a));
            days.dedup();
            after.lead_times = days;
        }
        if let Some(stale) = self.stale_after_days {
            after.stale_after_days = u32::try_from(stale)
                .ok()
                .filter(|d| *d <= MAX_DAYS)
                .ok_or_else(|| {
                    AppError::bad_input(
                        "staleAfterDays",
                        format!("a number of days from 0 (never) to {MAX_DAYS}"),
                    )
                })?;
        }
        if let Some(mut quiet) = self.quiet_days {
            quiet.sort();
            quiet.dedup();
            if quiet.len() == 7 {
                return Err(AppError::bad_input(
                    "quietDays",
                    "leave at least one day of the week for reminders",
                ));
            }
            after.quiet_days = quiet;
        }
        if let Some(day) = self.weekly_day {
            after.weekly_day = day;
        }
        if let Some(panel) = self.panel_digest {
            after.panel_digest = panel;
        }
        Ok(after)
    }
}

/// Changes the caller's organisation's settings (managers only), audited.
pub async fn update(access: &Access, changes: SettingsChanges) -> AppResult<OrgSettings> {
    access.require_role(&[Role::Manager], "change reminder settings")?;
    let before = get(access).await?;
    let after = changes.apply(&before)?;
    let own = access.org_id();
    let txn = access.begin_write().await?;
    let now = Utc::now();
    scope::insert_owned::<reminder_settings::Entity, _>(own, after.row(own.0, now))
        .on_conflict(
            OnConflict::column(reminder_settings::Column::OrgId)
                .update_columns([
                    reminder_settings::Column::Enabled,
                    reminder_settings::Column::LeadTimes,
                    reminder_settings::Column::StaleAfterDays,
                    reminder_settings::Column::QuietDays,
                    reminder_settings::Column::WeeklyDay,
                    reminder_settings::Column::PanelDigest,
                    reminder_settings::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    let change = Change::updated(own, EntityType::ReminderSettings, own.0, &before, &after);
    audit::record(&txn, Author::from(access), change).await?;
    txn.commit().await?;
    Ok(OrgSettings {
        updated_at: Some(now),
        ..after
    })
}

/// The caller's own choice in their organisation.
pub async fn mine(access: &Access) -> AppResult<Preferences> {
    let actor = access.actor();
    Ok(reminder_preference::Entity::scoped(access)
        .filter(reminder_preference::Column::OrgId.eq(actor.org_id.0))
        .filter(reminder_preference::Column::UserId.eq(actor.user_id.0))
        .one(access.db())
        .await?
        .map(|m| Preferences {
            enabled: m.enabled,
            frequency: Frequency::from_code(&m.frequency),
        })
        .unwrap_or_default())
}

/// Changes the caller's own choice, audited. Any role may: it is the caller's own mail.
pub async fn update_mine(
    access: &Access,
    enabled: Option<bool>,
    frequency: Option<Frequency>,
) -> AppResult<Preferences> {
    if enabled.is_none() && frequency.is_none() {
        return Err(AppError::bad_input(
            "input",
            "give at least one of enabled and frequency",
        ));
    }
    let before = mine(access).await?;
    let after = Preferences {
        enabled: enabled.unwrap_or(before.enabled),
        frequency: frequency.unwrap_or(before.frequency),
    };
    let actor = access.actor().clone();
    let txn = access.begin_write().await?;
    save_preferences(&txn, actor.org_id, actor.user_id, after).await?;
    let change = Change::updated(
        actor.org_id,
        EntityType::ReminderPreferences,
        actor.user_id.0,
        &before,
        &after,
    );
    audit::record(&txn, Author::from(access), change).await?;
    txn.commit().await?;
    Ok(after)
}

/// Turns a person's reminders off, as an unsubscribe link asks, audited as theirs: in `txn`,
/// whose settings name the person and their organisation.
pub(crate) async fn unsubscribe_in(
    txn: &impl sea_orm::ConnectionTrait,
    org: crate::ids::OrgId,
    user: crate::ids::UserId,
) -> AppResult<()> {
    let before = scope::owned_rows::<reminder_preference::Entity>(org)
        .filter(reminder_preference::Column::UserId.eq(user.0))
        .one(txn)
        .await?
        .map(|m| Preferences {
            enabled: m.enabled,
            frequency: Frequency::from_code(&m.frequency),
        })
        .unwrap_or_default();
    if !before.enabled {
        return Ok(());
    }
    let after = Preferences {
        enabled: false,
        ..before
    };
    save_preferences(txn, org, user, after).await?;
    let change = Change::updated(
        org,
        EntityType::ReminderPreferences,
        user.0,
        &before,
        &after,
    );
    audit::record(
        txn,
        Author::Link {
            user_id: user,
            org_id: org,
        },
        change,
    )
    .await
}

/// Writes a person's choice (their own request's, or an unsubscribe link's transaction).
pub(crate) async fn save_preferences(
    txn: &impl sea_orm::ConnectionTrait,
    org: crate::ids::OrgId,
    user: crate::ids::UserId,
    prefs: Preferences,
) -> AppResult<()> {
    scope::insert_owned::<reminder_preference::Entity, _>(
        org,
        reminder_preference::ActiveModel {
            org_id: Set(org.0),
            user_id: Set(user.0),
            enabled: Set(prefs.enabled),
            frequency: Set(prefs.frequency.code().to_owned()),
            updated_at: Set(Utc::now()),
        },
    )
    .on_conflict(
        OnConflict::columns([
            reminder_preference::Column::OrgId,
            reminder_preference::Column::UserId,
        ])
        .update_columns([
            reminder_preference::Column::Enabled,
            reminder_preference::Column::Frequency,
            reminder_preference::Column::UpdatedAt,
        ])
        .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lead_times_are_checked_sorted_and_deduplicated() {
        let base = OrgSettings::default();
        let changed = SettingsChanges {
            lead_times: Some(vec![1, 30, 7, 7]),
            ..Default::default()
        }
        .apply(&base)
        .unwrap();
        assert_eq!(changed.lead_times, vec![30, 7, 1]);
        for bad in [vec![0], vec![-3], vec![400], vec![1, 2, 3, 4, 5, 6, 7]] {
            assert!(
                SettingsChanges {
                    lead_times: Some(bad.clone()),
                    ..Default::default()
                }
                .apply(&base)
                .is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn stored_settings_read_back_the_same() {
        let settings = OrgSettings {
            enabled: true,
            lead_times: vec![10, 3],
            stale_after_days: 45,
            quiet_days: vec![Weekday::Saturday, Weekday::Sunday],
            weekly_day: Weekday::Friday,
            panel_digest: true,
            updated_at: None,
        };
        let now = Utc::now();
        let row = settings.row(uuid::Uuid::nil(), now);
        let model = reminder_settings::Model {
            org_id: uuid::Uuid::nil(),
            enabled: row.enabled.unwrap(),
            lead_times: row.lead_times.unwrap(),
            stale_after_days: row.stale_after_days.unwrap(),
            quiet_days: row.quiet_days.unwrap(),
            weekly_day: row.weekly_day.unwrap(),
            panel_digest: row.panel_digest.unwrap(),
            updated_at: now,
        };
        assert_eq!(
            OrgSettings::from(model),
            OrgSettings {
                updated_at: Some(now),
                ..settings
            }
        );
    }
}
