//! The rules of who is told what on a day, apart from any database, so that they are
//! unit-tested: which of an owner's actions call for telling, on which occasion, and when the
//! weekly digests are due.
//!
//! Everything told has an **occasion**, and a thing is told once per occasion: an action due
//! on 28 February is "due within 7 days" once, "due tomorrow" once, "due today" once and
//! "overdue" once, and "no progress update for 30 days" once per last update. A day's run
//! tells what is in force that day and was not told before, so a run after downtime tells
//! what is due now (an action two days from its date is "due within 7 days", once), never
//! one message per missed day.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::settings::{OrgSettings, Weekday};

/// Why an action is in a digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Reason {
    /// Past its delivery date and not complete.
    Overdue,
    /// Due today.
    DueToday,
    /// Due within one of the organisation's lead times.
    DueSoon,
    /// No progress update for the organisation's number of days.
    NoRecentUpdate,
}

impl Reason {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Reason::Overdue => "OVERDUE",
            Reason::DueToday => "DUE_TODAY",
            Reason::DueSoon => "DUE_SOON",
            Reason::NoRecentUpdate => "NO_RECENT_UPDATE",
        }
    }
}

/// An open action (not started or in progress) as it stood on the day.
#[derive(Clone, Debug)]
pub struct OpenAction {
    pub id: uuid::Uuid,
    pub title: String,
    pub owner: String,
    pub owner_user_id: Option<uuid::Uuid>,
    /// Its delivery date on the day.
    pub due_on: NaiveDate,
    pub opened_on: NaiveDate,
    /// The date of its latest progress update on or before the day.
    pub last_update: Option<NaiveDate>,
}

/// One thing to tell about an action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Due {
    pub reason: Reason,
    /// Which time of telling this is; told once per (person, action, reason, occasion).
    pub occasion: String,
    /// Days until the delivery date (due soon), past it (overdue), or since the last update.
    pub days: i64,
}

/// What there is to tell the owner of `action` on `day`, before checking what was told.
pub fn owner_dues(settings: &OrgSettings, day: NaiveDate, action: &OpenAction) -> Vec<Due> {
    let mut out = Vec::new();
    let left = (action.due_on - day).num_days();
    let due = action.due_on.to_string();
    if left < 0 {
        out.push(Due {
            reason: Reason::Overdue,
            occasion: due,
            days: -left,
        });
    } else if left == 0 {
        out.push(Due {
            reason: Reason::DueToday,
            occasion: due,
            days: 0,
        });
    } else if let Some(lead) = settings
        .lead_times
        .iter()
        .copied()
        .filter(|lead| i64::from(*lead) >= left)
        .min()
    {
        // The smallest lead time the day falls within: told once per lead time, so a run
        // that missed the 7-day mark still tells it on day 5, and the 1-day mark later.
        out.push(Due {
            reason: Reason::DueSoon,
            occasion: format!("{due}/{lead}"),
            days: left,
        });
    }
    if settings.stale_after_days > 0 {
        let since = action.last_update.unwrap_or(action.opened_on);
        let quiet_for = (day - since).num_days();
        if quiet_for >= i64::from(settings.stale_after_days) {
            out.push(Due {
                reason: Reason::NoRecentUpdate,
                occasion: since.to_string(),
                days: quiet_for,
            });
        }
    }
    out
}

/// Whether nobody of the organisation is told on `day`.
pub fn is_quiet(settings: &OrgSettings, day: NaiveDate) -> bool {
    settings.quiet_days.contains(&Weekday::of(day))
}

/// The latest date on or before `day` that falls on the weekly day.
fn last_weekly_day(settings: &OrgSettings, day: NaiveDate) -> NaiveDate {
    let mut d = day;
    while Weekday::of(d) != settings.weekly_day {
        d = d.pred_opt().unwrap_or(d);
    }
    d
}

/// Whether the weekly digests go out on `day`: it is the weekly day, or the weekly day
/// passed since the organisation's last run without them (the service was down, or the day
/// was quiet). `last_run` and `last_weekly` are the organisation's latest run and latest
/// weekly run before `day`.
pub fn weekly_due(
    settings: &OrgSettings,
    day: NaiveDate,
    last_run: Option<NaiveDate>,
    last_weekly: Option<NaiveDate>,
) -> bool {
    let weekly = last_weekly_day(settings, day);
    if weekly == day {
        return true;
    }
    let missed = last_run.is_some_and(|run| run < weekly);
    missed && last_weekly.is_none_or(|w| w < weekly)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn action(due: &str, opened: &str, last: Option<&str>) -> OpenAction {
        OpenAction {
            id: uuid::Uuid::nil(),
            title: "Review the Enforcement Policy".into(),
            owner: "Head of Prevention and Protection".into(),
            owner_user_id: None,
            due_on: d(due),
            opened_on: d(opened),
            last_update: last.map(d),
        }
    }

    fn reasons(day: &str, a: &OpenAction) -> Vec<(Reason, String, i64)> {
        owner_dues(&OrgSettings::default(), d(day), a)
            .into_iter()
            .map(|due| (due.reason, due.occasion, due.days))
            .collect()
    }

    #[test]
    fn an_owner_is_told_at_each_lead_time_on_the_day_and_after() {
        // The Essex Enforcement Policy review: due 28 February 2021, updated 15 February.
        let a = action("2021-02-28", "2021-01-29", Some("2021-02-15"));
        assert_eq!(
            reasons("2021-02-14", &a),
            vec![(Reason::DueSoon, "2021-02-28/14".into(), 14)]
        );
        assert_eq!(
            reasons("2021-02-21", &a),
            vec![(Reason::DueSoon, "2021-02-28/7".into(), 7)]
        );
        // Between two lead times the occasion is the nearer one, already told on its day.
        assert_eq!(
            reasons("2021-02-23", &a),
            vec![(Reason::DueSoon, "2021-02-28/7".into(), 5)]
        );
        assert_eq!(
            reasons("2021-02-27", &a),
            vec![(Reason::DueSoon, "2021-02-28/1".into(), 1)]
        );
        assert_eq!(
            reasons("2021-02-28", &a),
            vec![(Reason::DueToday, "2021-02-28".into(), 0)]
        );
        assert_eq!(
            reasons("2021-03-01", &a),
            vec![(Reason::Overdue, "2021-02-28".into(), 1)]
        );
        assert!(reasons("2021-02-13", &a).is_empty());
    }

    #[test]
    fn an_action_without_updates_is_stale_from_its_opening() {
        let a = action("2021-12-31", "2021-01-29", None);
        assert!(reasons("2021-02-27", &a).is_empty());
        assert_eq!(
            reasons("2021-02-28", &a),
            vec![(Reason::NoRecentUpdate, "2021-01-29".into(), 30)]
        );
        let updated = action("2021-12-31", "2021-01-29", Some("2021-03-01"));
        assert!(reasons("2021-03-01", &updated).is_empty());
        let never = OrgSettings {
            stale_after_days: 0,
            ..OrgSettings::default()
        };
        assert!(
            owner_dues(&never, d("2022-01-01"), &a).len() == 1,
            "overdue only"
        );
    }

    #[test]
    fn the_weekly_digest_is_on_its_day_or_caught_up_after_a_missed_one() {
        let s = OrgSettings::default(); // Mondays
        // 1 March 2021 was a Monday.
        assert!(weekly_due(&s, d("2021-03-01"), None, None));
        // A first run mid-week waits for Monday.
        assert!(!weekly_due(&s, d("2021-03-03"), None, None));
        // Ran on Friday, down over Monday: Tuesday catches up, once.
        assert!(weekly_due(&s, d("2021-03-02"), Some(d("2021-02-26")), None));
        assert!(!weekly_due(
            &s,
            d("2021-03-03"),
            Some(d("2021-03-02")),
            Some(d("2021-03-02"))
        ));
        // Ran on Monday: nothing more that week.
        assert!(!weekly_due(
            &s,
            d("2021-03-02"),
            Some(d("2021-03-01")),
            Some(d("2021-03-01"))
        ));
    }

    #[test]
    fn quiet_days_are_the_organisations_own() {
        let s = OrgSettings {
            quiet_days: vec![Weekday::Saturday, Weekday::Sunday],
            ..OrgSettings::default()
        };
        assert!(is_quiet(&s, d("2021-02-27")));
        assert!(!is_quiet(&s, d("2021-03-01")));
        assert!(!is_quiet(&OrgSettings::default(), d("2021-02-27")));
    }
}
