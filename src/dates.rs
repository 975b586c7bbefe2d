//! Calendar dates: the `Date` scalar and "today" as committees mean it (Europe/London).
//!
//! Delivery dates, as-at dates and committee dates are plain calendar days with no time of day.
//! "Today" is the date in the United Kingdom, where the clocks go forward one hour at 01:00 UTC
//! on the last Sunday of March and back at 01:00 UTC on the last Sunday of October (the Summer
//! Time Order 2002). That one rule is all the time-zone logic the service needs, so it is written
//! here rather than pulling in a time-zone database.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};

/// The earliest and latest years the service accepts: anything outside is a typing mistake.
const YEARS: std::ops::RangeInclusive<i32> = 1900..=2199;

/// A calendar date, written `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub NaiveDate);

impl Date {
    /// Reads `YYYY-MM-DD` strictly: four-digit year, two-digit month and day, a real date.
    pub fn parse(raw: &str) -> Option<Date> {
        let bytes = raw.as_bytes();
        let shaped = bytes.len() == 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
        if !shaped {
            return None;
        }
        NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .ok()
            .filter(|d| YEARS.contains(&d.year()))
            .map(Date)
    }
}

impl std::fmt::Display for Date {
    /// `YYYY-MM-DD`: chrono's own form of a date, which is what `%Y-%m-%d` writes, without
    /// reading a format string each time (a page of actions writes hundreds of dates).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

impl From<NaiveDate> for Date {
    fn from(d: NaiveDate) -> Self {
        Date(d)
    }
}

/// A calendar date, `YYYY-MM-DD` (for example `2021-11-30`), with no time of day.
#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => Date::parse(s).ok_or_else(|| {
                InputValueError::custom(format!("`{s}` is not a date written YYYY-MM-DD"))
            }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(s) if Date::parse(s).is_some())
    }

    fn to_value(&self) -> Value {
        Value::String(self.to_string())
    }
}

/// The last Sunday of `month` in `year`.
fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let first_of_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }
    .expect("the first of a month exists");
    let last = first_of_next - Duration::days(1);
    let back = last.weekday().num_days_from_sunday() as i64;
    last - Duration::days(back)
}

/// The date in the United Kingdom at instant `at`.
pub fn london_date(at: DateTime<Utc>) -> NaiveDate {
    london_time(at).date()
}

/// The wall-clock time in the United Kingdom at instant `at` (GMT, or BST in summer).
pub fn london_time(at: DateTime<Utc>) -> chrono::NaiveDateTime {
    let year = at.year();
    let switch =
        |day: NaiveDate| Utc.from_utc_datetime(&day.and_hms_opt(1, 0, 0).expect("01:00 exists"));
    let summer = switch(last_sunday(year, 3)) <= at && at < switch(last_sunday(year, 10));
    let offset = if summer {
        Duration::hours(1)
    } else {
        Duration::zero()
    };
    (at + offset).naive_utc()
}

/// The last instant of `day` in the United Kingdom: what a committee meeting that day could
/// know, whatever was recorded before midnight.
pub fn end_of_london_day(day: NaiveDate) -> DateTime<Utc> {
    let next = (day + Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc();
    // Midnight in London is 23:00 UTC the day before in summer time.
    let summer = next - Duration::hours(1);
    let midnight = if london_date(summer) == day + Duration::days(1) {
        summer
    } else {
        next
    };
    midnight - Duration::microseconds(1)
}

/// The UK day whose daily work at wall-clock time `at` is due at instant `now`: today, once
/// `at` has come in the United Kingdom (GMT or BST, whichever is in force), else none. A time
/// skipped when the clocks go forward is due as soon as the clocks have passed it; a time
/// that happens twice when they go back is due from its first happening.
pub fn london_day_due(now: DateTime<Utc>, at: chrono::NaiveTime) -> Option<NaiveDate> {
    let local = london_time(now);
    (local.time() >= at).then(|| local.date())
}

/// Today in the United Kingdom: the default of every `asOf`.
pub fn london_today() -> NaiveDate {
    london_date(Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Weekday;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_date_is_written_as_its_format_says() {
        for (y, m, d) in [
            (1900, 1, 1),
            (2021, 11, 30),
            (2199, 12, 31),
            (33, 2, 3),
            (10000, 6, 7),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(Date(date).to_string(), date.format("%Y-%m-%d").to_string());
        }
        assert_eq!(
            Date(NaiveDate::from_ymd_opt(2021, 3, 4).unwrap()).to_value(),
            Value::String("2021-03-04".into())
        );
    }

    #[test]
    fn a_london_day_ends_at_its_own_midnight_in_summer_and_winter() {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(
            end_of_london_day(day("2021-11-30")),
            at("2021-11-30T23:59:59.999999Z")
        );
        assert_eq!(
            end_of_london_day(day("2021-07-01")),
            at("2021-07-01T22:59:59.999999Z")
        );
        // The night the clocks go back ends at midnight GMT.
        assert_eq!(
            end_of_london_day(day("2021-10-30")),
            at("2021-10-30T22:59:59.999999Z")
        );
        assert_eq!(
            end_of_london_day(day("2021-10-31")),
            at("2021-10-31T23:59:59.999999Z")
        );
    }

    #[test]
    fn dates_parse_strictly() {
        assert_eq!(Date::parse("2021-11-30").unwrap().to_string(), "2021-11-30");
        for bad in [
            "2021-02-30",
            "2021-2-3",
            "30/11/2021",
            "2021-11-30T00:00:00Z",
            "0001-01-01",
            "",
            "2021-13-01",
        ] {
            assert!(Date::parse(bad).is_none(), "{bad}");
        }
        assert!(Date::parse("2024-02-29").is_some(), "a leap day");
    }

    #[test]
    fn the_last_sundays_are_found() {
        assert_eq!(
            last_sunday(2021, 3),
            NaiveDate::from_ymd_opt(2021, 3, 28).unwrap()
        );
        assert_eq!(
            last_sunday(2021, 10),
            NaiveDate::from_ymd_opt(2021, 10, 31).unwrap()
        );
        assert_eq!(last_sunday(2026, 3).weekday(), Weekday::Sun);
    }

    #[test]
    fn the_daily_time_is_uk_time_in_every_season() {
        let seven = chrono::NaiveTime::from_hms_opt(7, 0, 0).unwrap();
        // Winter: 07:00 in London is 07:00 UTC.
        assert_eq!(london_day_due(at("2021-02-21T06:59:00Z"), seven), None);
        assert_eq!(
            london_day_due(at("2021-02-21T07:00:00Z"), seven).map(|d| d.to_string()),
            Some("2021-02-21".into())
        );
        // Summer: 07:00 in London is 06:00 UTC.
        assert_eq!(
            london_day_due(at("2021-07-01T06:00:00Z"), seven).map(|d| d.to_string()),
            Some("2021-07-01".into())
        );
        assert_eq!(london_day_due(at("2021-07-01T05:59:00Z"), seven), None);
        // 01:30 does not happen on 28 March 2021: due once the clocks have jumped past it.
        let half_one = chrono::NaiveTime::from_hms_opt(1, 30, 0).unwrap();
        assert_eq!(london_day_due(at("2021-03-28T00:59:00Z"), half_one), None);
        assert_eq!(
            london_day_due(at("2021-03-28T01:00:00Z"), half_one).map(|d| d.to_string()),
            Some("2021-03-28".into())
        );
        // Late evening UTC in summer is already tomorrow in London.
        assert_eq!(
            london_day_due(at("2021-07-01T23:30:00Z"), seven),
            None,
            "00:30 on 2 July in London: not yet seven"
        );
    }

    #[test]
    fn london_follows_british_summer_time() {
        // Winter: London is on UTC.
        assert_eq!(
            london_date(at("2021-11-30T23:30:00Z")).to_string(),
            "2021-11-30"
        );
        // Summer: an hour ahead, so late evening UTC is already tomorrow.
        assert_eq!(
            london_date(at("2021-07-31T23:30:00Z")).to_string(),
            "2021-08-01"
        );
        // The spring change at 01:00 UTC on 28 March 2021.
        assert_eq!(
            london_date(at("2021-03-27T23:30:00Z")).to_string(),
            "2021-03-27"
        );
        assert_eq!(
            london_date(at("2021-03-28T23:30:00Z")).to_string(),
            "2021-03-29"
        );
        // The autumn change at 01:00 UTC on 31 October 2021.
        assert_eq!(
            london_date(at("2021-10-30T23:30:00Z")).to_string(),
            "2021-10-31"
        );
        assert_eq!(
            london_date(at("2021-10-31T23:30:00Z")).to_string(),
            "2021-10-31"
        );
    }
}
