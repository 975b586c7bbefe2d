//! Histories entered in order, corrections kept apart.
//!
//! Every history (an action's statuses, its delivery dates and progress updates, a
//! recommendation's statuses) is read by the day each entry takes effect and the moment it was
//! recorded. Entries arrive in the order they happened: one dated on or after the latest entry
//! is simply the next. One dated before it rewrites what the service has already said about the
//! past, so it is a **correction**: only a manager may make one, it needs a reason, and the
//! reason stays on the entry, which histories list as a correction. An answer "as known at" a
//! moment before the correction was recorded never sees it (see [`AsAt`]).

use chrono::{DateTime, NaiveDate, Utc};

use crate::access::Access;
use crate::auth::Role;
use crate::dates::london_today;
use crate::error::{AppError, AppResult};
use crate::sql::Sql;
use crate::validate;

/// The longest reason for a correction.
pub const MAX_CORRECTION_REASON: usize = 2_000;

/// A point of view on the histories: how things stood at the end of `day`, as the service
/// knew them at `known` (everything recorded later ignored), or as it knows them now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AsAt {
    /// The day reported on.
    pub day: NaiveDate,
    /// The moment of knowledge; `None` is now.
    pub known: Option<DateTime<Utc>>,
}

impl AsAt {
    /// The end of `day`, as known now.
    pub fn on(day: NaiveDate) -> Self {
        AsAt { day, known: None }
    }

    /// Today in the UK, as known now.
    pub fn today() -> Self {
        Self::on(london_today())
    }

    /// The end of `day` (today when absent), as known at `known` (now when absent). A moment of
    /// knowledge in the future is now: nothing is recorded ahead of time.
    pub fn new(day: Option<NaiveDate>, known: Option<DateTime<Utc>>) -> Self {
        AsAt {
            day: day.unwrap_or_else(london_today),
            known: known.filter(|k| *k < Utc::now()),
        }
    }

    /// The same moment of knowledge on another day.
    pub fn with_day(self, day: NaiveDate) -> Self {
        AsAt { day, ..self }
    }

    /// Whether what was recorded by its moment of knowledge is settled: that moment is more
    /// than a day past, so no transaction that could still record something dated before it
    /// is running (none of the service's lasts a fraction of that). An answer as known then
    /// never changes, whatever changes after.
    pub fn settled(&self) -> bool {
        self.known
            .is_some_and(|known| known < Utc::now() - chrono::Duration::days(1))
    }

    /// Whether the rows' own columns answer for it: as known now, today or later. They hold the
    /// latest entry of each history, and no entry is dated in the future.
    pub fn reads_current(&self) -> bool {
        self.known.is_none() && self.day >= london_today()
    }
}

/// An entity's audit image with the reason of the correction it carried, if it carried one:
/// the trail says why the past was rewritten.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Corrected<'a, T: serde::Serialize> {
    #[serde(flatten)]
    pub image: &'a T,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correction_reason: Option<&'a str>,
}

impl<'a, T: serde::Serialize> Corrected<'a, T> {
    /// `image`, with `reason` when the change was a correction.
    pub fn new(image: &'a T, reason: Option<&'a str>) -> Self {
        Corrected {
            image,
            correction_reason: reason,
        }
    }
}

/// The status in force at the end of `day`, in a history of (status, day it took effect) ordered
/// as it took effect, with the first day of its current run: the earliest entry after the last
/// one of another status. An action completed on 25 March and said COMPLETE again in June was
/// completed on 25 March.
pub fn in_force<S: PartialEq + Copy>(
    history: &[(S, NaiveDate)],
    day: NaiveDate,
) -> Option<(S, NaiveDate)> {
    let upto = history.partition_point(|(_, on)| *on <= day);
    let (status, _) = *history[..upto].last()?;
    let since = history[..upto]
        .iter()
        .rev()
        .take_while(|(s, _)| *s == status)
        .last()
        .map(|(_, on)| *on)?;
    Some((status, since))
}

/// Appends ` AND <column> <= <known>` when `at` is as known at a past moment: `column` holds
/// the moment a row was recorded.
pub fn push_known(sql: &mut Sql, column: &str, at: AsAt) {
    if let Some(known) = at.known {
        sql.push(" AND ").push(column).push(" <= ").bind(known);
    }
}

/// Where a new entry dated `day` goes in a history whose latest entry is dated `latest`: in
/// order (`Ok(None)`), or as a correction with its reason (`Ok(Some(reason))`). A correction
/// needs a manager (`FORBIDDEN` otherwise) and a reason in `reason_field` (`BAD_USER_INPUT`
/// otherwise). `what` names the history's latest entry for messages ("its latest status").
pub fn admit(
    access: &Access,
    day_field: &str,
    day: NaiveDate,
    latest: Option<NaiveDate>,
    what: &str,
    reason_field: &str,
    reason: Option<&str>,
) -> AppResult<Option<String>> {
    let Some(latest) = latest.filter(|latest| day < *latest) else {
        return Ok(None);
    };
    if access.actor().role != Role::Manager {
        return Err(AppError::forbidden(format!(
            "{day_field} {day} is before {what} ({latest}): only a manager may correct the past"
        )));
    }
    match reason.filter(|r| !r.trim().is_empty()) {
        Some(reason) => Ok(Some(validate::required_prose(
            reason_field,
            reason,
            MAX_CORRECTION_REASON,
        )?)),
        None => Err(AppError::bad_input(
            reason_field,
            format!(
                "{day_field} {day} is before {what} ({latest}), so this is a correction: give its reason"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_status_said_again_keeps_the_first_day_of_its_run() {
        let history = [
            ("NOT_STARTED", day("2021-01-04")),
            ("COMPLETE", day("2021-03-25")),
            ("COMPLETE", day("2021-06-01")),
            ("IN_PROGRESS", day("2021-07-01")),
            ("COMPLETE", day("2021-08-01")),
        ];
        assert_eq!(in_force(&history, day("2021-01-03")), None);
        assert_eq!(
            in_force(&history, day("2021-03-24")),
            Some(("NOT_STARTED", day("2021-01-04")))
        );
        assert_eq!(
            in_force(&history, day("2021-06-30")),
            Some(("COMPLETE", day("2021-03-25")))
        );
        assert_eq!(
            in_force(&history, NaiveDate::MAX),
            Some(("COMPLETE", day("2021-08-01")))
        );
    }
}
