//! Spreadsheets in: an organisation's existing action trackers and self-assessments, from
//! Excel, OpenDocument and CSV files, checked whole before anything is written.
//!
//! An import reads the file ([`read`]), finds its header and what each column holds
//! ([`columns`]), reads every row into what it means, with a problem for each cell it cannot
//! read ([`plan_rows`], [`values`]), compares the result with what the service holds
//! ([`plan`]) and, for a real run without errors, writes it all in one savepoint with its audit
//! events ([`write`]). A dry run stops before the write; both are recorded ([`service`]).

pub mod assessment;
pub mod columns;
pub mod command_line;
pub mod graphql;
pub(crate) mod plan;
pub(crate) mod plan_rows;
pub(crate) mod read;
pub mod service;
pub mod templates;
pub(crate) mod values;
pub(crate) mod write;

use async_graphql::{Enum, SimpleObject};

pub use columns::{Column, Field, Mapping};

use crate::error::{AppError, ErrorCode};

pub use crate::codes::{ImportKind as Kind, ImportOutcome as Outcome};

/// The sizes an import refuses to go past.
#[derive(Clone, Debug)]
pub(crate) struct Limits {
    /// A file must be smaller than this (5 MB).
    pub max_file_bytes: usize,
    /// What a zipped workbook's parts may expand to.
    pub max_expanded_bytes: u64,
    /// Rows under the header.
    pub max_rows: usize,
    pub max_columns: usize,
    /// Characters in one cell: Excel's own limit.
    pub max_cell_chars: usize,
}

/// A file must be smaller than this: 5 MB.
pub const MAX_UPLOAD_BYTES: usize = 5_000_000;

pub(crate) const LIMITS: Limits = Limits {
    max_file_bytes: MAX_UPLOAD_BYTES,
    max_expanded_bytes: 100_000_000,
    max_rows: 10_000,
    max_columns: 50,
    max_cell_chars: 32_767,
};

/// Why a whole file is refused: nothing is read from it, nothing written.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum FileProblem {
    TooLarge(String),
    NotASpreadsheet(String),
    Protected(String),
    Corrupt(String),
    TooManyRows(String),
    TooManyColumns(String),
    NoHeader(String),
    NoSuchSheet(String),
    CellTooLong {
        message: String,
        row: u32,
        column: String,
    },
}

impl From<FileProblem> for AppError {
    fn from(problem: FileProblem) -> Self {
        let (code, message, cell) = match problem {
            FileProblem::TooLarge(m) => (ErrorCode::FileTooLarge, m, None),
            FileProblem::NotASpreadsheet(m) => (ErrorCode::NotASpreadsheet, m, None),
            FileProblem::Protected(m) => (ErrorCode::FileProtected, m, None),
            FileProblem::Corrupt(m) => (ErrorCode::FileCorrupt, m, None),
            FileProblem::TooManyRows(m) => (ErrorCode::TooManyRows, m, None),
            FileProblem::TooManyColumns(m) => (ErrorCode::TooManyColumns, m, None),
            FileProblem::NoHeader(m) => (ErrorCode::NoHeader, m, None),
            FileProblem::NoSuchSheet(m) => return AppError::bad_input("input.sheet", m),
            FileProblem::CellTooLong {
                message,
                row,
                column,
            } => (ErrorCode::CellTooLong, message, Some((row, column))),
        };
        AppError::File {
            code,
            message,
            cell,
        }
    }
}

/// What is wrong with a row or a cell, or worth a second look.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(name = "ImportProblemCode")]
pub enum ProblemCode {
    /// A cell that should hold a date does not; `suggestion` is the date it most likely means.
    BadDate,
    /// A date with words after it: the date is read, the words kept in the action's detail.
    DateNote,
    /// A cell the row needs is blank.
    MissingValue,
    /// A status word the importer does not know.
    UnknownStatus,
    /// The file's RAG differs from the RAG its status and dates give.
    RagDisagrees,
    /// Text longer than the service keeps.
    TooLong,
    /// The same action twice in the file.
    DuplicateRow,
    /// The action changed in the service since the last import; the file's change is not
    /// written.
    Conflict,
    /// A standard the framework does not have.
    UnknownStandard,
    /// A level the framework does not have.
    UnknownLevel,
    /// A value the field cannot take.
    BadValue,
}

/// A problem with one cell (or row) of the file.
#[derive(Clone, Debug, SimpleObject)]
#[graphql(name = "ImportProblem")]
pub struct Problem {
    /// The row, as the spreadsheet numbers it (the header's row is counted).
    pub row: Option<i32>,
    /// The column's letter ("D").
    pub column: Option<String>,
    /// The column's header ("Delivery Date").
    pub header: Option<String>,
    /// What the cell holds.
    pub value: Option<String>,
    /// What kind of problem.
    pub code: ProblemCode,
    /// What is wrong, in a sentence.
    pub message: String,
    /// What the cell most likely should hold, where the importer can tell.
    pub suggestion: Option<String>,
}

/// The problems found, in the order of the file.
#[derive(Debug, Default)]
pub(crate) struct Problems {
    pub errors: Vec<Problem>,
    pub warnings: Vec<Problem>,
    pub conflicts: Vec<Problem>,
}

/// What an import created, updated or left alone, by kind of record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, SimpleObject)]
#[graphql(name = "ImportCounts")]
pub struct Counts {
    /// Recommendations (action plans).
    pub recommendations: i32,
    /// Actions (action plans).
    pub actions: i32,
    /// Progress updates (action plans).
    pub progress_updates: i32,
    /// Changes of an action's delivery date (action plans).
    pub due_date_changes: i32,
    /// Ratings of standards (self-assessments).
    pub ratings: i32,
    /// Links to evidence (self-assessments).
    pub evidence: i32,
}

impl Counts {
    pub(crate) fn total(&self) -> i32 {
        self.recommendations
            + self.actions
            + self.progress_updates
            + self.due_date_changes
            + self.ratings
            + self.evidence
    }
}

/// Truncates a cell's text for a report: enough to find it, never the whole of a huge cell.
pub(crate) fn shown(text: &str) -> String {
    const MAX: usize = 200;
    if text.chars().count() <= MAX {
        text.to_owned()
    } else {
        let head: String = text.chars().take(MAX).collect();
        format!("{head}…")
    }
}
