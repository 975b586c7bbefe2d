//! Reading an action plan's rows: which recommendation each belongs to (a row whose
//! recommendation cells are blank continues the one above), and each action's owner, dates,
//! status and update, with a problem for every cell that cannot be read.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::columns::{Field, Header, normalise};
use super::read::{Cell, Sheet, column_letter};
use super::values::{self, NotADate};
use super::{Problem, ProblemCode, Problems, shown};
use crate::actions::ActionStatus;
use crate::actions::service::{check_detail, check_owner, check_title};
use crate::error::AppError;
use crate::reviews::RecommendationStatus;
use crate::reviews::recommendations::{check_reference, check_text};

/// A recommendation as the file gives it.
#[derive(Clone, Debug)]
pub(crate) struct FileRecommendation {
    /// The row it starts on.
    pub row: u32,
    pub reference: Option<String>,
    pub text: Option<String>,
    pub status: Option<RecommendationStatus>,
}

/// An action as the file gives it.
#[derive(Clone, Debug)]
pub(crate) struct FileAction {
    pub row: u32,
    /// Its recommendation, an index into [`FilePlan::recommendations`]; none for an action
    /// above the first recommendation.
    pub recommendation: Option<usize>,
    pub reference: Option<String>,
    pub title: String,
    pub owner: String,
    pub due_on: NaiveDate,
    pub original_due_on: Option<NaiveDate>,
    pub change_reason: Option<String>,
    pub status: ActionStatus,
    pub completed_on: Option<NaiveDate>,
    pub opened_on: Option<NaiveDate>,
    pub detail: Option<String>,
    pub update: Option<String>,
    pub update_on: Option<NaiveDate>,
}

/// A plan as the file gives it.
#[derive(Debug, Default)]
pub(crate) struct FilePlan {
    pub recommendations: Vec<FileRecommendation>,
    pub actions: Vec<FileAction>,
    /// Rows read under the header, blank ones left out.
    pub rows_read: usize,
}

/// One row's cells, read against the header.
pub(crate) struct RowCells<'a> {
    pub row: u32,
    pub cells: &'a [Cell],
    pub header: &'a Header,
}

impl RowCells<'_> {
    fn cell(&self, field: Field) -> Option<(usize, &Cell)> {
        let index = self.header.index_of(field)?;
        Some((index, self.cells.get(index).unwrap_or(&Cell::Empty)))
    }

    pub(crate) fn text(&self, field: Field) -> Option<String> {
        self.cell(field)
            .map(|(_, c)| c.text())
            .filter(|t| !t.is_empty())
    }

    pub(crate) fn problem(&self, field: Field, code: ProblemCode, message: String) -> Problem {
        let (column, header, value) = match self.cell(field) {
            Some((index, cell)) => (
                Some(column_letter(index)),
                Some(self.header.name(index)),
                Some(shown(&cell.text())).filter(|v| !v.is_empty()),
            ),
            None => (None, None, None),
        };
        Problem {
            row: Some(self.row as i32),
            column,
            header,
            value,
            code,
            message,
            suggestion: None,
        }
    }

    /// A date cell: a problem for a cell that is not one, a warning for a note after it.
    fn date(
        &self,
        field: Field,
        what: &str,
        problems: &mut Problems,
        notes: &mut Vec<String>,
    ) -> Result<Option<NaiveDate>, ()> {
        let Some((_, cell)) = self.cell(field) else {
            return Ok(None);
        };
        match values::date(cell) {
            Ok(None) => Ok(None),
            Ok(Some(read)) => {
                if let Some(note) = read.note {
                    let mut p = self.problem(
                        field,
                        ProblemCode::DateNote,
                        format!(
                            "the {what} is read as {} and the note \"{note}\" is kept in the action's detail",
                            read.date.format("%-d %B %Y")
                        ),
                    );
                    p.suggestion = Some(read.date.to_string());
                    problems.warnings.push(p);
                    notes.push(format!("{}: {note}", capitalise(what)));
                }
                Ok(Some(read.date))
            }
            Err(NotADate { suggestion }) => {
                let mut p = self.problem(
                    field,
                    ProblemCode::BadDate,
                    match suggestion {
                        Some(d) => format!(
                            "the {what} is not a date; did you mean {}? Correct the cell: the importer never guesses",
                            d.format("%d/%m/%Y")
                        ),
                        None => format!(
                            "the {what} is not a date; write it day first, as 31/12/2021"
                        ),
                    },
                );
                p.suggestion = suggestion.map(|d| d.to_string());
                problems.errors.push(p);
                Err(())
            }
        }
    }

    /// A text cell checked as the service checks it.
    fn checked<T>(
        &self,
        field: Field,
        check: impl FnOnce(&str) -> Result<T, AppError>,
        raw: &str,
        problems: &mut Problems,
    ) -> Result<T, ()> {
        check(raw).map_err(|err| {
            let code = if raw.trim().is_empty() {
                ProblemCode::MissingValue
            } else {
                ProblemCode::TooLong
            };
            problems
                .errors
                .push(self.problem(field, code, err.to_string()));
        })
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The plan in `sheet` under `header`; `as_at` is the day the file describes (its RAG is
/// checked against it).
pub(crate) fn read(
    sheet: &Sheet,
    header: &Header,
    as_at: NaiveDate,
    problems: &mut Problems,
) -> FilePlan {
    let mut plan = FilePlan::default();
    let mut current: Option<usize> = None;
    let mut seen: HashMap<(Option<usize>, String), u32> = HashMap::new();
    for (index, cells) in sheet.rows.iter().enumerate().skip(header.row) {
        if cells.iter().all(Cell::is_blank) {
            continue;
        }
        plan.rows_read += 1;
        let row = RowCells {
            row: index as u32 + 1,
            cells,
            header,
        };
        // A new recommendation where its cells are filled and differ from the one above.
        let reference = row.text(Field::Reference);
        let text = row.text(Field::Recommendation);
        let rec_status = row.text(Field::RecommendationStatus);
        if reference.is_some() || text.is_some() {
            let same = current.is_some_and(|i| {
                let r: &FileRecommendation = &plan.recommendations[i];
                let same_ref = reference.is_none() || r.reference == reference;
                let same_text = text.is_none()
                    || r.text.as_deref().map(normalise) == text.as_deref().map(normalise);
                same_ref && same_text
            });
            if !same {
                let reference = match &reference {
                    Some(r) => row
                        .checked(
                            Field::Reference,
                            |v| check_reference("reference", v),
                            r,
                            problems,
                        )
                        .ok(),
                    None => None,
                };
                let text = match &text {
                    Some(t) => row
                        .checked(
                            Field::Recommendation,
                            |v| check_text("text", v),
                            t,
                            problems,
                        )
                        .ok(),
                    None => None,
                };
                let status = match &rec_status {
                    Some(word) => {
                        let code = word.trim().to_ascii_uppercase().replace(' ', "_");
                        match RecommendationStatus::from_code(&code) {
                            Some(s) => Some(s),
                            None => {
                                problems.errors.push(row.problem(
                                    Field::RecommendationStatus,
                                    ProblemCode::BadValue,
                                    "not a recommendation status: write OPEN, IN_PROGRESS, DISCHARGED, ONGOING, SUPERSEDED or NOT_ACCEPTED".to_owned(),
                                ));
                                None
                            }
                        }
                    }
                    None => None,
                };
                plan.recommendations.push(FileRecommendation {
                    row: row.row,
                    reference,
                    text,
                    status,
                });
                current = Some(plan.recommendations.len() - 1);
            }
        }
        let Some(title) = row.text(Field::Action) else {
            // A recommendation without actions yet; or a row with action cells but no action.
            let has_action_cells = [
                Field::Owner,
                Field::DeliveryDate,
                Field::Status,
                Field::Update,
            ]
            .iter()
            .any(|f| row.text(*f).is_some());
            if has_action_cells {
                problems.errors.push(row.problem(
                    Field::Action,
                    ProblemCode::MissingValue,
                    "the row has an owner, date, status or update but no action".to_owned(),
                ));
            }
            continue;
        };
        if let Some(action) = read_action(&row, current, title, as_at, problems) {
            let key = (
                action.recommendation,
                action
                    .reference
                    .clone()
                    .unwrap_or_else(|| normalise(&action.title)),
            );
            if let Some(first) = seen.get(&key) {
                problems.errors.push(row.problem(
                    Field::Action,
                    ProblemCode::DuplicateRow,
                    format!("the same action as row {first}, for the same recommendation"),
                ));
                continue;
            }
            seen.insert(key, row.row);
            plan.actions.push(action);
        }
    }
    plan
}

fn read_action(
    row: &RowCells<'_>,
    recommendation: Option<usize>,
    title: String,
    as_at: NaiveDate,
    problems: &mut Problems,
) -> Option<FileAction> {
    let errors_before = problems.errors.len();
    let title = row.checked(Field::Action, |v| check_title("title", v), &title, problems);
    let owner_raw = row.text(Field::Owner).unwrap_or_default();
    let owner = row.checked(
        Field::Owner,
        |v| check_owner("owner", v),
        &owner_raw,
        problems,
    );
    let mut notes = Vec::new();
    let due_on = row.date(Field::DeliveryDate, "delivery date", problems, &mut notes);
    if matches!(due_on, Ok(None)) {
        problems.errors.push(row.problem(
            if row.header.index_of(Field::DeliveryDate).is_some() {
                Field::DeliveryDate
            } else {
                Field::Action
            },
            ProblemCode::MissingValue,
            "the action has no delivery date".to_owned(),
        ));
    }
    let original = row.date(
        Field::OriginalDate,
        "original delivery date",
        problems,
        &mut notes,
    );
    let completed_on = row.date(Field::CompletedOn, "completion date", problems, &mut notes);
    let update_on = row.date(Field::UpdateOn, "update's date", problems, &mut notes);
    let opened_on = row.date(Field::OpenedOn, "day it was agreed", problems, &mut notes);

    // The status: its own column, else the RAG column's colour.
    let status_field =
        if row.text(Field::Status).is_some() || row.header.index_of(Field::Rag).is_none() {
            Field::Status
        } else {
            Field::Rag
        };
    let word = row.text(status_field).unwrap_or_default();
    let status = values::status(&word);
    if status.is_none() {
        problems.errors.push(row.problem(
            status_field,
            ProblemCode::UnknownStatus,
            format!(
                "\"{}\" is not a status the importer knows: write Complete, On track, Not started, Overdue or Withdrawn (or Green, Amber, Red)",
                shown(&word)
            ),
        ));
    }
    // The RAG the file shows, checked against the RAG its dates give.
    let file_rag = match row.text(Field::Rag) {
        Some(rag) => values::status(&rag).and_then(|s| s.rag),
        None => status.and_then(|s| s.rag),
    };
    if let (Some(status), Ok(Some(due)), Some(shown_rag)) = (status, &due_on, file_rag)
        && let Some(computed) = values::rag_on(status.status, *due, as_at)
        && computed != shown_rag
    {
        let field = if row.text(Field::Rag).is_some() {
            Field::Rag
        } else {
            status_field
        };
        let mut p = row.problem(
                field,
                ProblemCode::RagDisagrees,
                format!(
                    "the file shows {} but by its status and delivery date ({}) the action is {} as at {}, which the service shows",
                    shown_rag.code(),
                    due.format("%d/%m/%Y"),
                    computed.code(),
                    as_at.format("%d/%m/%Y"),
                ),
            );
        p.suggestion = Some(computed.code().to_owned());
        problems.warnings.push(p);
    }
    let detail_raw = row.text(Field::Detail);
    let detail = {
        let mut parts: Vec<String> = detail_raw.into_iter().collect();
        parts.extend(notes);
        let joined = parts.join("\n");
        row.checked(
            Field::Detail,
            |v| check_detail("detail", Some(v)),
            &joined,
            problems,
        )
    };
    let update = row.text(Field::Update);
    let update = match &update {
        Some(u) => row
            .checked(
                Field::Update,
                |v| crate::validate::required_prose("narrative", v, crate::validate::MAX_PROSE),
                u,
                problems,
            )
            .map(Some),
        None => Ok(None),
    };
    let change_reason = row.text(Field::ChangeReason);
    let reference = row.text(Field::ActionReference);
    if problems.errors.len() > errors_before {
        return None;
    }
    Some(FileAction {
        row: row.row,
        recommendation,
        reference,
        title: title.ok()?,
        owner: owner.ok()?,
        due_on: due_on.ok()??,
        original_due_on: original.ok()?,
        change_reason,
        status: status?.status,
        completed_on: completed_on.ok()?,
        opened_on: opened_on.ok()?,
        detail: detail.ok()?,
        update: update.ok()?,
        update_on: update_on.ok()?,
    })
}
