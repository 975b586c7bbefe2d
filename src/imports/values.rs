//! Reading the values of a plan's cells as a council officer types them: day-first UK dates
//! (with a note after them, or a typo a person can see through), and status words.

use chrono::{Duration, NaiveDate};

use super::read::Cell;
use crate::actions::ActionStatus;
use crate::codes::Rag;

/// A date read from a cell.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct DateRead {
    pub date: NaiveDate,
    /// Words after the date ("On Approval" of `31/12/2021 (On Approval)`).
    pub note: Option<String>,
}

/// A cell that is not a date, and the date it most likely means, if one can be seen.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct NotADate {
    pub suggestion: Option<NaiveDate>,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// The date of a cell: a real date, an Excel serial number, or text in a UK form
/// (`28/02/2021`, `28.02.2021`, `28-02-21`, `28 Feb 2021`, `28th February 2021`, `2021-02-28`).
/// `None` for a blank cell.
pub(crate) fn date(cell: &Cell) -> Result<Option<DateRead>, NotADate> {
    match cell {
        Cell::Empty => Ok(None),
        Cell::Date(d) => Ok(Some(DateRead {
            date: *d,
            note: None,
        })),
        Cell::Number(n) => serial(*n)
            .map(|date| Some(DateRead { date, note: None }))
            .ok_or(NotADate { suggestion: None }),
        Cell::Text(text) => {
            let text = text.trim();
            if text.is_empty() {
                return Ok(None);
            }
            text_date(text).map(Some)
        }
    }
}

/// An Excel serial date (days since 30 December 1899, as the 1900 date system counts).
fn serial(n: f64) -> Option<NaiveDate> {
    if !(1.0..2_958_466.0).contains(&n) {
        return None;
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_signed(Duration::days(n.floor() as i64))
}

fn text_date(text: &str) -> Result<DateRead, NotADate> {
    // A note in brackets, or words after the date: "31/12/2021 (On Approval)".
    let (head, note) = split_note(text);
    if let Some(date) = strict(head) {
        return Ok(DateRead { date, note });
    }
    // A whole number typed as text may be a serial date that lost its format.
    if head.len() == 5
        && head.bytes().all(|b| b.is_ascii_digit())
        && let Ok(n) = head.parse::<f64>()
        && let Some(date) = serial(n)
    {
        return Ok(DateRead { date, note });
    }
    Err(NotADate {
        suggestion: suggest(head),
    })
}

/// Splits "31/12/2021 (On Approval)" into the date and the note.
fn split_note(text: &str) -> (&str, Option<String>) {
    if let Some(open) = text.find('(') {
        let head = text[..open].trim();
        let note = text[open..]
            .trim()
            .trim_start_matches('(')
            .trim_end_matches(')')
            .trim();
        if !head.is_empty() {
            return (head, (!note.is_empty()).then(|| note.to_owned()));
        }
    }
    // "31/12/2021 subject to approval": the date is the first word with digits in it.
    let mut words = text.splitn(2, char::is_whitespace);
    let first = words.next().unwrap_or("");
    let rest = words.next().unwrap_or("").trim();
    if !rest.is_empty()
        && first.chars().filter(char::is_ascii_digit).count() >= 4
        && first.contains(['/', '.', '-'])
    {
        return (first, Some(rest.to_owned()));
    }
    (text, None)
}

/// A date in one of the forms the importer accepts without doubt.
fn strict(text: &str) -> Option<NaiveDate> {
    let text = text.trim().trim_end_matches(',');
    // ISO first: 2021-02-28.
    if text.split('-').next().is_some_and(|y| y.len() == 4)
        && let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d")
    {
        return Some(d);
    }
    // Day first with one separator used twice: 28/02/2021, 28.02.21, 28-2-2021.
    for sep in ['/', '.', '-'] {
        let parts: Vec<&str> = text.split(sep).collect();
        if parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        {
            let day: u32 = parts[0].parse().ok()?;
            let month: u32 = parts[1].parse().ok()?;
            let year = year(parts[2])?;
            return NaiveDate::from_ymd_opt(year, month, day);
        }
    }
    // Words: 28 Feb 2021, 28th February 2021, 28-Feb-21.
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c == '-' || c == ',')
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    if words.len() == 3 {
        let day: u32 = words[0]
            .trim_end_matches(|c: char| c.is_ascii_alphabetic())
            .parse()
            .ok()?;
        let month = month(&words[1])?;
        let year = year(&words[2])?;
        return NaiveDate::from_ymd_opt(year, month, day);
    }
    None
}

fn month(word: &str) -> Option<u32> {
    if word.len() < 3 {
        return None;
    }
    let full = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    MONTHS
        .iter()
        .zip(full)
        .position(|(short, long)| {
            word == *short || word == long || (word == "sept" && *short == "sep")
        })
        .map(|i| i as u32 + 1)
}

fn year(text: &str) -> Option<i32> {
    let y: i32 = text.parse().ok()?;
    match text.len() {
        2 => Some(2000 + y),
        4 if (1900..=2200).contains(&y) => Some(y),
        _ => None,
    }
}

/// The date a malformed day-first text most likely means: its three groups of digits read as
/// day, month and year (or month, day and year when that is the only reading), if they make a
/// date. `31//12/2021` suggests 31 December 2021.
fn suggest(text: &str) -> Option<NaiveDate> {
    let groups: Vec<&str> = text
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    if groups.len() == 3 {
        let a: u32 = groups[0].parse().ok()?;
        let b: u32 = groups[1].parse().ok()?;
        let y = year(groups[2])?;
        return NaiveDate::from_ymd_opt(y, b, a).or_else(|| NaiveDate::from_ymd_opt(y, a, b));
    }
    // 31122021 or 31/122021: eight digits in all, day first.
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    if digits.len() == 8 && groups.len() <= 2 {
        let day: u32 = digits[..2].parse().ok()?;
        let month: u32 = digits[2..4].parse().ok()?;
        let y: i32 = digits[4..].parse().ok()?;
        return NaiveDate::from_ymd_opt(y, month, day);
    }
    // A month name with a typo'd day or year is left to the person.
    None
}

/// What a status cell says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StatusRead {
    pub status: ActionStatus,
    /// The RAG the word names, when it names one (`Red`, `Overdue`, `Amber`, `On track`,
    /// `Green`).
    pub rag: Option<Rag>,
}

/// The status a word means; `None` for a word the importer does not know. A blank cell is
/// not started.
pub(crate) fn status(text: &str) -> Option<StatusRead> {
    let word = text
        .trim()
        .to_ascii_lowercase()
        .replace(['-', '_'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let read = |status, rag| Some(StatusRead { status, rag });
    match word.as_str() {
        "" | "not started" | "not yet started" | "planned" | "open" | "to do" | "todo" | "new" => {
            read(ActionStatus::NotStarted, None)
        }
        "complete" | "completed" | "done" | "closed" | "achieved" | "implemented" | "finished"
        | "delivered" => read(ActionStatus::Complete, Some(Rag::Green)),
        "green" | "g" | "blue" => read(ActionStatus::Complete, Some(Rag::Green)),
        "on track" | "in progress" | "ongoing" | "started" | "underway" | "under way"
        | "progressing" => read(ActionStatus::InProgress, Some(Rag::Amber)),
        "amber" | "a" => read(ActionStatus::InProgress, Some(Rag::Amber)),
        "red" | "r" | "overdue" | "late" | "delayed" | "behind" | "off track" | "at risk" => {
            read(ActionStatus::InProgress, Some(Rag::Red))
        }
        "withdrawn" | "cancelled" | "canceled" | "superseded" | "not required" | "n/a" => {
            read(ActionStatus::Withdrawn, None)
        }
        "not started (red)" => read(ActionStatus::NotStarted, Some(Rag::Red)),
        other => {
            // "Complete – March 2021", "Amber: awaiting sign-off": the first word decides.
            let first = other.split([' ', ':', ',', '–', '(']).next().unwrap_or("");
            if first != other { status(first) } else { None }
        }
    }
}

/// The RAG an action has on `day` by its status and delivery date, as the service computes it.
pub(crate) fn rag_on(status: ActionStatus, due_on: NaiveDate, day: NaiveDate) -> Option<Rag> {
    match status {
        ActionStatus::Withdrawn => None,
        ActionStatus::Complete => Some(Rag::Green),
        _ if day > due_on => Some(Rag::Red),
        _ => Some(Rag::Amber),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn text(s: &str) -> Cell {
        Cell::Text(s.to_owned())
    }

    #[test]
    fn uk_dates() {
        for (raw, want) in [
            ("28/02/2021", d(2021, 2, 28)),
            ("28.02.2021", d(2021, 2, 28)),
            ("28-02-21", d(2021, 2, 28)),
            ("1/4/2021", d(2021, 4, 1)),
            ("28 Feb 2021", d(2021, 2, 28)),
            ("28th February 2021", d(2021, 2, 28)),
            ("2021-02-28", d(2021, 2, 28)),
            ("44255", d(2021, 2, 28)),
        ] {
            assert_eq!(date(&text(raw)).unwrap().unwrap().date, want, "{raw}");
        }
        assert_eq!(
            date(&Cell::Number(44255.0)).unwrap().unwrap().date,
            d(2021, 2, 28)
        );
        assert_eq!(date(&Cell::Empty).unwrap(), None);
    }

    #[test]
    fn a_note_after_a_date_is_kept() {
        let read = date(&text("31/12/2021 (On Approval)")).unwrap().unwrap();
        assert_eq!(read.date, d(2021, 12, 31));
        assert_eq!(read.note.as_deref(), Some("On Approval"));
    }

    #[test]
    fn a_typo_is_an_error_with_a_suggestion() {
        let err = date(&text("31//12/2021")).unwrap_err();
        assert_eq!(err.suggestion, Some(d(2021, 12, 31)));
        // Month first, as an American export writes it.
        assert_eq!(
            date(&text("12/31/2021")).unwrap_err().suggestion,
            Some(d(2021, 12, 31))
        );
        assert_eq!(date(&text("soon")).unwrap_err().suggestion, None);
        assert_eq!(date(&text("31/02/2021")).unwrap_err().suggestion, None);
    }

    #[test]
    fn status_words() {
        for (word, want, rag) in [
            ("Complete", ActionStatus::Complete, Some(Rag::Green)),
            ("Completed", ActionStatus::Complete, Some(Rag::Green)),
            ("Green", ActionStatus::Complete, Some(Rag::Green)),
            ("Done", ActionStatus::Complete, Some(Rag::Green)),
            ("On track", ActionStatus::InProgress, Some(Rag::Amber)),
            ("Amber", ActionStatus::InProgress, Some(Rag::Amber)),
            ("Not started", ActionStatus::NotStarted, None),
            ("Red", ActionStatus::InProgress, Some(Rag::Red)),
            ("Overdue", ActionStatus::InProgress, Some(Rag::Red)),
            ("", ActionStatus::NotStarted, None),
            ("IN_PROGRESS", ActionStatus::InProgress, Some(Rag::Amber)),
        ] {
            assert_eq!(
                status(word),
                Some(StatusRead { status: want, rag }),
                "{word}"
            );
        }
        assert_eq!(status("maybe"), None);
    }
}
