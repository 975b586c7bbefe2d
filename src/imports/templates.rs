//! Blank spreadsheets to fill in and import: an action plan (Excel and CSV), and a
//! self-assessment against one framework (one row per standard, its levels as a drop-down).
//! Their headers are the words the importer recognises, so a filled-in template imports
//! without a mapping.

use rust_xlsxwriter::{DataValidation, Format, Formula, Workbook, Worksheet, XlsxError};

/// The columns of the action plan template, with their widths and what goes in them.
const PLAN_COLUMNS: [(&str, f64, &str); 13] = [
    (
        "Reference",
        10.0,
        "The recommendation's reference (R1, AFI 2), on its first row.",
    ),
    (
        "Recommendation",
        40.0,
        "The recommendation, on its first row; leave blank on the rows of its further actions.",
    ),
    (
        "Action reference",
        10.0,
        "Optional: the action's own reference (1.2), to match it on later imports.",
    ),
    ("Action", 40.0, "What will be done."),
    (
        "Owner",
        22.0,
        "Who owns it: a role, such as Head of Protection.",
    ),
    (
        "Delivery date",
        13.0,
        "When it is due, day first (31/12/2021).",
    ),
    (
        "Original delivery date",
        13.0,
        "Optional: the date first agreed, when it has since moved.",
    ),
    (
        "Why changed",
        24.0,
        "Optional: why the delivery date moved.",
    ),
    (
        "Status",
        13.0,
        "Not started, On track, Complete, Overdue or Withdrawn.",
    ),
    (
        "Completed on",
        13.0,
        "Optional: the day a complete action was completed.",
    ),
    ("Update", 40.0, "Optional: the latest progress update."),
    ("Update dated", 13.0, "Optional: the day of that update."),
    ("Detail", 30.0, "Optional: more about the action."),
];

/// The status words the template's drop-down offers.
const STATUSES: [&str; 5] = [
    "Not started",
    "On track",
    "Complete",
    "Overdue",
    "Withdrawn",
];

/// Rows of the template that carry the drop-down and date checks.
const TEMPLATE_ROWS: u32 = 2_000;

/// The action plan template as CSV: the header row, UTF-8 with a byte-order mark.
pub fn action_plan_csv() -> Vec<u8> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    out.extend_from_slice(
        PLAN_COLUMNS
            .iter()
            .map(|(name, _, _)| *name)
            .collect::<Vec<_>>()
            .join(",")
            .as_bytes(),
    );
    out.extend_from_slice(b"\r\n");
    out
}

fn header(sheet: &mut Worksheet, columns: &[(&str, f64)]) -> Result<(), XlsxError> {
    let bold = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_background_color("D9E2F3");
    for (c, (name, width)) in columns.iter().enumerate() {
        sheet.set_column_width(c as u16, *width)?;
        sheet.write_string_with_format(0, c as u16, *name, &bold)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    // Printed, every column fits across a landscape page, the header on each.
    sheet.set_landscape();
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(0, 0)?;
    Ok(())
}

fn date_check(sheet: &mut Worksheet, col: u16) -> Result<(), XlsxError> {
    let check = DataValidation::new()
        .allow_date(rust_xlsxwriter::DataValidationRule::GreaterThan(
            rust_xlsxwriter::ExcelDateTime::from_ymd(2000, 1, 1)?,
        ))
        .set_error_message("Write a date, day first: 31/12/2021.")?;
    let format = Format::new().set_num_format("dd/mm/yyyy");
    sheet.set_column_format(col, &format)?;
    sheet.add_data_validation(1, col, TEMPLATE_ROWS, col, &check)?;
    Ok(())
}

/// The action plan template as an Excel workbook: the "Action plan" sheet to fill in (a
/// drop-down of statuses, date checks), and a sheet saying what goes in each column, with an
/// example from a real plan.
pub fn action_plan_xlsx() -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Action plan")?;
    let columns: Vec<(&str, f64)> = PLAN_COLUMNS.iter().map(|(n, w, _)| (*n, *w)).collect();
    header(sheet, &columns)?;
    let status = DataValidation::new()
        .allow_list_strings(&STATUSES)?
        .set_error_message("Choose a status from the list.")?;
    sheet.add_data_validation(1, 8, TEMPLATE_ROWS, 8, &status)?;
    for col in [5, 6, 9, 11] {
        date_check(sheet, col)?;
    }

    let help = book.add_worksheet();
    help.set_name("How to fill in")?;
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    help.set_column_width(0, 24)?;
    help.set_column_width(1, 90)?;
    help.write_string_with_format(0, 0, "Column", &bold)?;
    help.write_string_with_format(0, 1, "What goes in it", &bold)?;
    for (r, (name, _, what)) in PLAN_COLUMNS.iter().enumerate() {
        help.write_string(r as u32 + 1, 0, *name)?;
        help.write_string_with_format(r as u32 + 1, 1, *what, &wrap)?;
    }
    let r = PLAN_COLUMNS.len() as u32 + 2;
    help.write_string_with_format(
        r,
        0,
        "Example: a recommendation with two actions (the second row leaves the recommendation blank)",
        &bold,
    )?;
    let example = [
        [
            "R2",
            "Clarify and evidence the provision of out-of-hours fire safety officer cover.",
            "",
            "Rebalance the flexi duty rota",
            "Head of Ops Policy",
            "31/07/2021",
            "",
            "",
            "Complete",
            "26/07/2021",
            "",
            "",
            "",
        ],
        [
            "",
            "",
            "",
            "Establish an out-of-hours system for day-duty fire safety officers",
            "Head of Protection",
            "28/02/2021",
            "",
            "",
            "Complete",
            "26/02/2021",
            "",
            "",
            "",
        ],
    ];
    for (c, (name, _, _)) in PLAN_COLUMNS.iter().enumerate() {
        help.write_string_with_format(r + 1, c as u16, *name, &bold)?;
    }
    for (i, row) in example.iter().enumerate() {
        for (c, value) in row.iter().enumerate() {
            help.write_string(r + 2 + i as u32, c as u16, *value)?;
        }
    }
    book.save_to_buffer()
}

/// A framework's self-assessment template.
pub struct AssessmentTemplate {
    pub framework: String,
    /// Each standard's code and title.
    pub standards: Vec<(String, String)>,
    /// Each level's code and label, lowest first.
    pub levels: Vec<(String, String)>,
}

/// The self-assessment template as an Excel workbook: one row per standard, the level a
/// drop-down of the framework's levels (listed on their own sheet).
pub fn assessment_xlsx(t: &AssessmentTemplate) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Self-assessment")?;
    header(
        sheet,
        &[
            ("Standard", 12.0),
            ("Standard title", 40.0),
            ("Level", 20.0),
            ("Position statement", 60.0),
            ("Evidence", 40.0),
        ],
    )?;
    let locked = Format::new().set_background_color("F2F2F2").set_text_wrap();
    for (r, (code, title)) in t.standards.iter().enumerate() {
        sheet.write_string_with_format(r as u32 + 1, 0, code, &locked)?;
        sheet.write_string_with_format(r as u32 + 1, 1, title, &locked)?;
    }
    let last = t.standards.len().max(1) as u32;
    if !t.levels.is_empty() {
        let list = DataValidation::new()
            .allow_list_formula(Formula::new(format!(
                "=Levels!$B$2:$B${}",
                t.levels.len() + 1
            )))
            .set_error_message("Choose a level from the list (see the Levels sheet).")?;
        sheet.add_data_validation(1, 2, last, 2, &list)?;
    }
    let levels = book.add_worksheet();
    levels.set_name("Levels")?;
    header(levels, &[("Code", 20.0), ("Level", 30.0)])?;
    for (r, (code, label)) in t.levels.iter().enumerate() {
        levels.write_string(r as u32 + 1, 0, code)?;
        levels.write_string(r as u32 + 1, 1, label)?;
    }
    levels.write_string(
        t.levels.len() as u32 + 3,
        0,
        format!("Framework: {}", t.framework),
    )?;
    book.save_to_buffer()
}
