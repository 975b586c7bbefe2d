//! What a committee paper says, whatever it is written as: a heading, a summary in a sentence
//! and as a chart, a key, and tables of cells that know what they hold (a day, a count, a RAG).
//! Each report builds one [`Paper`]; each format (`render/`) writes any paper. The flat table
//! of a CSV is built beside the paper, since it carries ids and no presentation.

use chrono::{DateTime, NaiveDate, Utc};

use crate::dates::london_time;

/// A committee paper, ready to be written in any format.
pub struct Paper {
    /// What kind of paper it is ("Action plan"), printed above the title.
    pub kind: &'static str,
    /// Its title ("Protection peer review").
    pub title: String,
    /// The organisation (or panel, or partner) it is about.
    pub organisation: String,
    /// The day it reports as at.
    pub as_of: NaiveDate,
    /// The moment it is as known at; `None`: as known when produced.
    pub known_at: Option<DateTime<Utc>>,
    /// Who produced it: the caller's name and organisation.
    pub produced_by: String,
    /// When it was produced.
    pub produced_at: DateTime<Utc>,
    /// Facts printed under the title: ("Reviewer", "HMICFRS").
    pub facts: Vec<(String, String)>,
    /// The summary in a sentence.
    pub summary: String,
    /// The summary as a chart.
    pub chart: Chart,
    /// What the coloured words mean.
    pub key: Vec<(Mark, String)>,
    /// The parts, in order.
    pub sections: Vec<Section>,
    /// Whether its pages are turned sideways (wide tables).
    pub landscape: bool,
}

impl Paper {
    /// "as known at 17:05 on 30 November 2021 (UK time)", or "as known when produced".
    pub fn known_phrase(&self) -> String {
        match self.known_at {
            Some(at) => format!("as known at {}", moment(at)),
            None => format!("as known when produced, {}", moment(self.produced_at)),
        }
    }

    /// The line every page ends with.
    pub fn footer(&self) -> String {
        format!(
            "{}: {}, as at {}, {}",
            self.kind,
            self.title,
            long_date(self.as_of),
            self.known_phrase()
        )
    }

    /// Who produced it and when.
    pub fn produced_line(&self) -> String {
        format!(
            "Produced by {} at {}",
            self.produced_by,
            moment(self.produced_at)
        )
    }
}

/// A bar chart: one bar per count.
pub struct Chart {
    /// What it counts.
    pub title: String,
    /// The bars, in order.
    pub bars: Vec<Bar>,
}

/// One bar of a chart.
pub struct Bar {
    pub label: String,
    pub value: i64,
    pub fill: String,
    /// What is written at its end: the count, and anything withheld from it.
    pub shown: String,
}

impl Bar {
    /// A bar of `value`, written as the number.
    pub fn new(label: impl Into<String>, value: i64, fill: impl Into<String>) -> Self {
        Bar {
            label: label.into(),
            value,
            fill: fill.into(),
            shown: value.to_string(),
        }
    }
}

/// A part of a paper: a heading and a table (a sheet of its own in Excel).
pub struct Section {
    /// Its heading.
    pub title: String,
    /// The name of its Excel sheet (at most 31 characters).
    pub sheet: &'static str,
    /// A sentence under the heading.
    pub note: Option<String>,
    /// Its table.
    pub table: Table,
}

/// A table: its columns and rows.
#[derive(Default)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
}

impl Table {
    /// A table with these columns (name, relative width) and no rows yet.
    pub fn new(columns: &[(&str, u16)]) -> Self {
        Table {
            columns: columns
                .iter()
                .map(|(name, width)| Column {
                    name: (*name).to_owned(),
                    width: *width,
                })
                .collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row of cells.
    pub fn push(&mut self, cells: Vec<Cell>) {
        debug_assert_eq!(cells.len(), self.columns.len());
        self.rows.push(Row::Cells(cells));
    }
}

/// A column of a table.
pub struct Column {
    pub name: String,
    /// Its width relative to the others.
    pub width: u16,
}

/// A row: cells, or a heading across the whole table (a recommendation above its actions).
pub enum Row {
    Cells(Vec<Cell>),
    Group(String),
}

/// What a cell holds: formats write days as days and counts as numbers.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Date(NaiveDate),
    Int(i64),
    /// A percentage, 0 to 100.
    Percent(f64),
    /// A word on a coloured ground: a RAG, a level.
    Mark(Mark),
    /// A count withheld to protect a small group: never a zero.
    Withheld,
}

impl Cell {
    /// Text, or nothing when absent.
    pub fn text(value: Option<impl Into<String>>) -> Cell {
        value.map_or(Cell::Empty, |v| Cell::Text(v.into()))
    }

    /// A day, or nothing when absent.
    pub fn date(value: Option<NaiveDate>) -> Cell {
        value.map_or(Cell::Empty, Cell::Date)
    }

    /// How it reads on a page.
    pub fn display(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(t) => t.clone(),
            Cell::Date(d) => short_date(*d),
            Cell::Int(n) => n.to_string(),
            Cell::Percent(p) => format!("{}%", p.round()),
            Cell::Mark(m) => m.word.clone(),
            Cell::Withheld => WITHHELD.to_owned(),
        }
    }

    /// How it reads in a CSV file: ISO days, plain numbers, no formatting.
    pub fn plain(&self) -> String {
        match self {
            Cell::Date(d) => d.to_string(),
            Cell::Percent(p) => format!("{p}"),
            other => other.display(),
        }
    }
}

/// What a withheld count reads as, in every format.
pub const WITHHELD: &str = "withheld";

/// A word on a coloured ground, readable without the colour.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    pub word: String,
    /// The ground, as `#RRGGBB`.
    pub fill: String,
    /// The ink, as `#RRGGBB`.
    pub ink: String,
}

/// The RAG of an action, as a paper prints it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Rag {
    Red,
    Amber,
    Green,
}

impl Rag {
    /// Its word and colours.
    pub fn mark(self) -> Mark {
        let (word, fill, ink) = match self {
            Rag::Red => ("Red", "#D4351C", "#FFFFFF"),
            Rag::Amber => ("Amber", "#FFBF47", "#0B0C0C"),
            Rag::Green => ("Green", "#00703C", "#FFFFFF"),
        };
        Mark {
            word: word.to_owned(),
            fill: fill.to_owned(),
            ink: ink.to_owned(),
        }
    }
}

/// The mark of an action with no RAG: withdrawn, or not yet agreed.
pub fn no_rag(word: &str) -> Mark {
    Mark {
        word: word.to_owned(),
        fill: "#B1B4B6".to_owned(),
        ink: "#0B0C0C".to_owned(),
    }
}

/// The RAG key of the Essex monthly update, which every action plan and progress paper prints.
pub fn rag_key() -> Vec<(Mark, String)> {
    vec![
        (Rag::Red.mark(), "overdue".to_owned()),
        (Rag::Amber.mark(), "on track but to be completed".to_owned()),
        (Rag::Green.mark(), "complete".to_owned()),
    ]
}

/// The bars of actions by RAG.
pub fn rag_bars(red: i64, amber: i64, green: i64) -> Vec<Bar> {
    [(Rag::Red, red), (Rag::Amber, amber), (Rag::Green, green)]
        .into_iter()
        .map(|(rag, value)| Bar::new(rag.mark().word, value, rag.mark().fill))
        .collect()
}

/// The colour of a rating level: the scale runs from red (lowest rank) to green (highest).
pub fn level_mark(label: &str, position: usize, levels: usize) -> Mark {
    const SCALE: [(&str, &str); 5] = [
        ("#D4351C", "#FFFFFF"),
        ("#F47738", "#0B0C0C"),
        ("#FFDD00", "#0B0C0C"),
        ("#85994B", "#0B0C0C"),
        ("#00703C", "#FFFFFF"),
    ];
    let at = if levels <= 1 {
        SCALE.len() - 1
    } else {
        (position * (SCALE.len() - 1) + (levels - 1) / 2) / (levels - 1)
    };
    let (fill, ink) = SCALE[at.min(SCALE.len() - 1)];
    Mark {
        word: label.to_owned(),
        fill: fill.to_owned(),
        ink: ink.to_owned(),
    }
}

/// "30 November 2021".
pub fn long_date(day: NaiveDate) -> String {
    day.format("%-d %B %Y").to_string()
}

/// "30 Nov 2021".
pub fn short_date(day: NaiveDate) -> String {
    day.format("%-d %b %Y").to_string()
}

/// "17:05 on 30 November 2021 (UK time)".
pub fn moment(at: DateTime<Utc>) -> String {
    let local = london_time(at);
    format!(
        "{} on {} (UK time)",
        local.format("%H:%M"),
        long_date(local.date())
    )
}

/// "1 action" or "3 actions".
pub fn count(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_run_from_red_to_green() {
        assert_eq!(level_mark("a", 0, 4).fill, "#D4351C");
        assert_eq!(level_mark("d", 3, 4).fill, "#00703C");
        assert_eq!(level_mark("only", 0, 1).fill, "#00703C");
        assert_ne!(level_mark("b", 1, 4).fill, level_mark("c", 2, 4).fill);
    }

    #[test]
    fn cells_read_as_people_and_machines_expect() {
        let day = NaiveDate::from_ymd_opt(2021, 11, 30).unwrap();
        assert_eq!(Cell::Date(day).display(), "30 Nov 2021");
        assert_eq!(Cell::Date(day).plain(), "2021-11-30");
        assert_eq!(Cell::Withheld.plain(), "withheld");
        assert_eq!(Cell::Percent(70.0).display(), "70%");
        assert_eq!(Cell::Percent(62.5).plain(), "62.5");
    }
}
