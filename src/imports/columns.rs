//! Finding a sheet's header row and what each of its columns holds: by the words officers
//! use for them ("Recommendation", "Area for improvement", "Lead officer", "Target date",
//! "RAG"), or by an explicit mapping that overrides the words.

use super::read::{Cell, Sheet, column_letter};
use super::{FileProblem, Kind};

/// What a column of an import holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, async_graphql::Enum)]
#[graphql(name = "ImportField")]
pub enum Field {
    /// The recommendation's reference ("R3", "AFI 2"), on its first row.
    Reference,
    /// The recommendation (or finding, or area for improvement) itself, on its first row;
    /// rows below with this cell blank belong to it.
    Recommendation,
    /// The recommendation's status (`DISCHARGED`, `OPEN`…).
    RecommendationStatus,
    /// A reference of the action itself ("1.2"), to match it on a later import.
    ActionReference,
    /// The action: what will be done.
    Action,
    /// Who owns it: a role, such as "Head of Protection".
    Owner,
    /// When it is to be delivered: its current delivery date.
    DeliveryDate,
    /// The delivery date first agreed, when it has since changed.
    OriginalDate,
    /// Why the delivery date changed.
    ChangeReason,
    /// Its status, in words (`Complete`, `On track`, `Not started`) or as a RAG colour.
    Status,
    /// Its RAG as the file shows it, checked against the RAG its dates give.
    Rag,
    /// The day it was completed.
    CompletedOn,
    /// The day it was agreed.
    OpenedOn,
    /// The latest progress update, or commentary.
    Update,
    /// The day of that update.
    UpdateOn,
    /// More detail about the action.
    Detail,
    /// A standard's code or title (self-assessments).
    Standard,
    /// A standard's title, read when its code is not given (self-assessments).
    StandardTitle,
    /// The level the organisation assesses itself at (self-assessments).
    Level,
    /// The position statement behind the level (self-assessments).
    PositionStatement,
    /// Links to evidence, one per line (self-assessments).
    Evidence,
    /// Read, and not imported.
    Ignored,
}

impl Field {
    /// Its name in the schema ("DELIVERY_DATE"), for messages.
    pub(crate) fn name(self) -> String {
        schema_name(&format!("{self:?}"))
    }
}

/// A variant's name as the schema spells it: `DeliveryDate` is `DELIVERY_DATE`.
pub(crate) fn schema_name(variant: &str) -> String {
    let mut out = String::new();
    for (i, c) in variant.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// The words of a header, normalised: lower case, punctuation as spaces, single spaces.
pub(crate) fn normalise(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '#' {
                c
            } else {
                ' '
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The field a header's words name for an import of `kind`, if any: exact phrases first, then
/// a phrase the header contains.
pub(crate) fn recognise(kind: Kind, header: &str) -> Option<Field> {
    use Field::*;
    let h = normalise(header);
    if h.is_empty() {
        return None;
    }
    let exact: &[(&str, Field)] = match kind {
        Kind::ActionPlan => &[
            ("ref", Reference),
            ("ref no", Reference),
            ("reference", Reference),
            ("no", Reference),
            ("#", Reference),
            ("number", Reference),
            ("rec no", Reference),
            ("rec ref", Reference),
            ("recommendation no", Reference),
            ("recommendation number", Reference),
            ("recommendation ref", Reference),
            ("recommendation reference", Reference),
            ("recommendation id", Ignored),
            ("recommendation status", RecommendationStatus),
            ("recommendation discharged on", Ignored),
            ("action ref", ActionReference),
            ("action reference", ActionReference),
            ("action no", ActionReference),
            ("action number", ActionReference),
            ("action id", Ignored),
            ("review id", Ignored),
            ("review title", Ignored),
            ("rag", Rag),
            ("rag status", Rag),
            ("rag rating", Rag),
            ("originally", OriginalDate),
            ("original due on", OriginalDate),
            ("original date", OriginalDate),
            ("original delivery date", OriginalDate),
            ("original target date", OriginalDate),
            ("original due date", OriginalDate),
            ("why changed", ChangeReason),
            ("due date change reason", ChangeReason),
            ("reason for change", ChangeReason),
            ("reason", ChangeReason),
            ("due date change", Ignored),
            ("completed on", CompletedOn),
            ("date completed", CompletedOn),
            ("completed", CompletedOn),
            ("update dated", UpdateOn),
            ("latest update on", UpdateOn),
            ("update date", UpdateOn),
            ("date of update", UpdateOn),
            ("percent complete", Ignored),
            ("changes since", Ignored),
            ("as of", Ignored),
            ("known at", Ignored),
            ("opened on", OpenedOn),
            ("date agreed", OpenedOn),
            ("agreed on", OpenedOn),
            ("detail", Detail),
            ("details", Detail),
            ("notes", Detail),
            ("note", Detail),
            ("description", Detail),
            ("progress", Status),
            ("status", Status),
            ("action status", Status),
        ],
        Kind::Assessment => &[
            ("code", Standard),
            ("standard", Standard),
            ("standard code", Standard),
            ("standard title", StandardTitle),
            ("title", StandardTitle),
            ("level", Level),
            ("self assessment", Level),
            ("self assessed level", Level),
            ("rating", Level),
            ("position statement", PositionStatement),
            ("position", PositionStatement),
            ("statement", PositionStatement),
            ("commentary", PositionStatement),
            ("evidence", Evidence),
            ("evidence links", Evidence),
        ],
    };
    if let Some((_, field)) = exact.iter().find(|(words, _)| *words == h) {
        return Some(*field);
    }
    let contains: &[(&str, Field)] = match kind {
        Kind::ActionPlan => &[
            ("original", OriginalDate),
            ("recommendation", Recommendation),
            ("finding", Recommendation),
            ("area for improvement", Recommendation),
            ("areas for improvement", Recommendation),
            ("afi", Recommendation),
            ("issue", Recommendation),
            ("owner", Owner),
            ("lead officer", Owner),
            ("responsib", Owner),
            ("lead", Owner),
            ("update", Update),
            ("commentary", Update),
            ("comment", Update),
            ("rag", Rag),
            ("status", Status),
            ("delivery", DeliveryDate),
            ("target", DeliveryDate),
            ("due", DeliveryDate),
            ("deadline", DeliveryDate),
            ("timescale", DeliveryDate),
            ("action", Action),
        ],
        Kind::Assessment => &[
            ("standard", Standard),
            ("level", Level),
            ("position", PositionStatement),
            ("evidence", Evidence),
        ],
    };
    let words: Vec<&str> = h.split(' ').collect();
    contains
        .iter()
        .find(|(phrase, _)| {
            if phrase.contains(' ') {
                h.contains(phrase)
            } else {
                // A word, or the start of one ("responsible", "actions").
                words.iter().any(|w| w.starts_with(phrase))
            }
        })
        .map(|(_, field)| *field)
}

/// How a column came to hold its field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, async_graphql::Enum)]
#[graphql(name = "ImportColumnSource")]
pub enum Source {
    /// Its header's words.
    Recognised,
    /// The import's `mapping`.
    Mapped,
    /// Neither: the column is not imported.
    Unrecognised,
}

/// One column of the header, and what it was read as.
#[derive(Clone, Debug, async_graphql::SimpleObject)]
#[graphql(name = "ImportColumn")]
pub struct Column {
    /// Its letter, as the spreadsheet shows it ("A").
    pub column: String,
    /// Its header.
    pub header: String,
    /// What it is read as; `IGNORED` when it is not imported.
    pub field: Field,
    /// How: by its header's words, by the mapping, or not at all.
    pub source: Source,
    #[graphql(skip)]
    pub index: usize,
}

/// A mapping of one column: its header (or letter) to a field.
#[derive(Clone, Debug)]
pub struct Mapping {
    pub column: String,
    pub field: Field,
}

/// The header of a sheet.
#[derive(Debug)]
pub(crate) struct Header {
    /// Its row, counted from 1 as the spreadsheet shows.
    pub row: usize,
    pub columns: Vec<Column>,
}

impl Header {
    /// The column holding `field`, if one does.
    pub(crate) fn index_of(&self, field: Field) -> Option<usize> {
        self.columns
            .iter()
            .find(|c| c.field == field)
            .map(|c| c.index)
    }

    /// The header of column `index` ("D (Delivery Date)"), for messages.
    pub(crate) fn name(&self, index: usize) -> String {
        self.columns
            .iter()
            .find(|c| c.index == index)
            .map(|c| c.header.clone())
            .unwrap_or_default()
    }

    /// How many columns it recognises.
    fn score(&self) -> usize {
        self.columns
            .iter()
            .filter(|c| !matches!(c.field, Field::Ignored))
            .count()
    }
}

/// The fields a header must hold for the import to go on.
fn required(kind: Kind) -> &'static [Field] {
    match kind {
        Kind::ActionPlan => &[Field::Action],
        Kind::Assessment => &[Field::Level],
    }
}

/// The header of `rows`: the row among the first 20 that recognises most columns (and holds
/// the required ones), with `mapping` applied.
fn header_of(kind: Kind, rows: &[Vec<Cell>], mapping: &[Mapping]) -> Option<Header> {
    let mut best: Option<Header> = None;
    for (r, row) in rows.iter().enumerate().take(20) {
        let mut columns = Vec::new();
        for (c, cell) in row.iter().enumerate() {
            let header = cell.text();
            if header.is_empty() {
                continue;
            }
            let mapped = mapping.iter().find(|m| {
                normalise(&m.column) == normalise(&header)
                    || m.column.trim().eq_ignore_ascii_case(&column_letter(c))
            });
            let (field, source) = match (mapped, recognise(kind, &header)) {
                (Some(m), _) => (m.field, Source::Mapped),
                (None, Some(field)) => (field, Source::Recognised),
                (None, None) => (Field::Ignored, Source::Unrecognised),
            };
            columns.push(Column {
                column: column_letter(c),
                header,
                field,
                source,
                index: c,
            });
        }
        // One column per field: the first that names it (the mapping's before the words').
        let mut seen = std::collections::BTreeSet::new();
        for source in [Source::Mapped, Source::Recognised] {
            for col in columns.iter_mut().filter(|c| c.source == source) {
                if col.field != Field::Ignored && !seen.insert(col.field) {
                    col.field = Field::Ignored;
                    col.source = Source::Unrecognised;
                }
            }
        }
        let header = Header {
            row: r + 1,
            columns,
        };
        let complete = required(kind).iter().all(|f| header.index_of(*f).is_some());
        if complete && best.as_ref().is_none_or(|b| header.score() > b.score()) {
            best = Some(header);
        }
    }
    best
}

/// The sheet to import and its header: the one named, or else the visible sheet whose header
/// recognises most columns.
pub(crate) fn choose(
    kind: Kind,
    sheets: &[Sheet],
    named: Option<&str>,
    mapping: &[Mapping],
) -> Result<(usize, Header), FileProblem> {
    let wanted = |f: &[Field]| f.iter().map(|f| f.name()).collect::<Vec<_>>().join(" and ");
    if let Some(name) = named {
        let index = sheets
            .iter()
            .position(|s| s.name.trim().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| {
                FileProblem::NoSuchSheet(format!(
                    "the file has no sheet \"{name}\"; its sheets are {}",
                    sheets
                        .iter()
                        .map(|s| format!("\"{}\"", s.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
        let header = header_of(kind, &sheets[index].rows, mapping).ok_or_else(|| {
            FileProblem::NoHeader(format!(
                "sheet \"{}\" has no header row naming {} in its first 20 rows; name its columns with `mapping`",
                sheets[index].name,
                wanted(required(kind))
            ))
        })?;
        return Ok((index, header));
    }
    let mut best: Option<(usize, Header)> = None;
    for (i, sheet) in sheets.iter().enumerate().filter(|(_, s)| !s.hidden) {
        if let Some(header) = header_of(kind, &sheet.rows, mapping)
            && best
                .as_ref()
                .is_none_or(|(_, b)| header.score() > b.score())
        {
            best = Some((i, header));
        }
    }
    best.ok_or_else(|| {
        FileProblem::NoHeader(format!(
            "no visible sheet has a header row naming {} in its first 20 rows; name the sheet with `sheet`, or its columns with `mapping`",
            wanted(required(kind))
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn officers_words() {
        let plan = |h| recognise(Kind::ActionPlan, h);
        assert_eq!(plan("Recommendation"), Some(Field::Recommendation));
        assert_eq!(plan("Area for Improvement"), Some(Field::Recommendation));
        assert_eq!(plan("Finding"), Some(Field::Recommendation));
        assert_eq!(plan("Actions"), Some(Field::Action));
        assert_eq!(plan("Agreed action(s)"), Some(Field::Action));
        assert_eq!(plan("Lead Officer"), Some(Field::Owner));
        assert_eq!(plan("Responsible"), Some(Field::Owner));
        assert_eq!(plan("Delivery Date"), Some(Field::DeliveryDate));
        assert_eq!(plan("Target date"), Some(Field::DeliveryDate));
        assert_eq!(plan("Due"), Some(Field::DeliveryDate));
        assert_eq!(plan("RAG"), Some(Field::Rag));
        assert_eq!(plan("Status"), Some(Field::Status));
        assert_eq!(plan("Progress update"), Some(Field::Update));
        assert_eq!(plan("Commentary"), Some(Field::Update));
        assert_eq!(plan("Ref"), Some(Field::Reference));
        assert_eq!(plan("recommendation_reference"), Some(Field::Reference));
        assert_eq!(plan("recommendation_text"), Some(Field::Recommendation));
        assert_eq!(plan("action_title"), Some(Field::Action));
        assert_eq!(plan("original_due_on"), Some(Field::OriginalDate));
        assert_eq!(plan("due_on"), Some(Field::DeliveryDate));
        assert_eq!(plan("latest_update"), Some(Field::Update));
        assert_eq!(plan("latest_update_on"), Some(Field::UpdateOn));
        assert_eq!(plan("Action owner"), Some(Field::Owner));
        assert_eq!(plan("Colour"), None);
    }
}
