//! Excel: a "Summary" sheet (the heading, the summary, the counts with a native bar chart, the
//! key), then one sheet per part, each a table with a frozen header row and filters, real dates
//! and numbers, and coloured marks; last, a "Data" sheet of the CSV's rows, to filter, pivot or
//! import back (the action plan's imports into an empty review with nothing lost). The sheets
//! are written row by row to disk (rust_xlsxwriter's constant-memory mode), so a large plan
//! takes little memory.

use rust_xlsxwriter::{
    Chart, ChartFormat, ChartPoint, ChartSolidFill, ChartType, Color, Format, FormatAlign,
    FormatBorder, Workbook, Worksheet,
};

use crate::papers::paper::{Cell, Mark, Paper, Row, Table, WITHHELD};

/// Excel's limit on a cell's text; longer texts are never cut by us, but Excel cannot hold them.
const CELL_LIMIT: usize = 32_767;

/// The sheet of the flat rows.
pub(crate) const DATA_SHEET: &str = "Data";

/// The paper as an Excel workbook, with `flat` (the CSV's rows) as its last sheet.
pub(super) fn write(paper: &Paper, flat: &Table) -> anyhow::Result<Vec<u8>> {
    let mut book = Workbook::new();
    let styles = Styles::new();
    summary(book.add_worksheet(), paper, &styles)?;
    for section in &paper.sections {
        let sheet = book.add_worksheet_with_constant_memory()?;
        sheet.set_name(section.sheet)?;
        table(sheet, &section.table, &styles)?;
    }
    let sheet = book.add_worksheet_with_constant_memory()?;
    sheet.set_name(DATA_SHEET)?;
    table(sheet, flat, &styles)?;
    Ok(book.save_to_buffer()?)
}

struct Styles {
    title: Format,
    bold: Format,
    wrap: Format,
    header: Format,
    date: Format,
    group: Format,
    percent: Format,
}

impl Styles {
    fn new() -> Self {
        let cell = Format::new()
            .set_border(FormatBorder::Thin)
            .set_border_color(Color::RGB(0xB1B4B6))
            .set_align(FormatAlign::Top);
        Styles {
            title: Format::new().set_bold().set_font_size(16),
            bold: Format::new().set_bold(),
            wrap: cell.clone().set_text_wrap(),
            header: cell
                .clone()
                .set_bold()
                .set_background_color(Color::RGB(0xDEE0E2))
                .set_text_wrap(),
            date: cell.clone().set_num_format("d mmm yyyy"),
            group: cell
                .clone()
                .set_bold()
                .set_background_color(Color::RGB(0xF3F2F1)),
            percent: cell.set_num_format("0%"),
        }
    }

    /// The format of a mark: its ground and ink, bold.
    fn mark(&self, mark: &Mark) -> Format {
        self.wrap
            .clone()
            .set_bold()
            .set_background_color(Color::RGB(hex(&mark.fill)))
            .set_font_color(Color::RGB(hex(&mark.ink)))
    }
}

/// `#RRGGBB` as a number.
fn hex(colour: &str) -> u32 {
    u32::from_str_radix(colour.trim_start_matches('#'), 16).unwrap_or(0)
}

fn summary(sheet: &mut Worksheet, paper: &Paper, styles: &Styles) -> anyhow::Result<()> {
    sheet.set_name("Summary")?;
    sheet.set_column_width(0, 24)?;
    sheet.set_column_width(1, 70)?;
    sheet.write_string(0, 0, paper.kind)?;
    sheet.write_string_with_format(1, 0, &paper.title, &styles.title)?;
    sheet.write_string(2, 0, &paper.organisation)?;
    let plain_date = Format::new()
        .set_num_format("d mmmm yyyy")
        .set_align(FormatAlign::Left);
    sheet.write_string_with_format(4, 0, "As at", &styles.bold)?;
    sheet.write_datetime_with_format(4, 1, paper.as_of, &plain_date)?;
    sheet.write_string_with_format(5, 0, "As known", &styles.bold)?;
    sheet.write_string(5, 1, paper.known_phrase())?;
    sheet.write_string_with_format(6, 0, "Produced", &styles.bold)?;
    sheet.write_string(6, 1, paper.produced_line())?;
    let mut row = 7;
    for (name, value) in &paper.facts {
        sheet.write_string_with_format(row, 0, name, &styles.bold)?;
        sheet.write_string(row, 1, value)?;
        row += 1;
    }
    row += 1;
    sheet.write_string_with_format(row, 0, "Summary", &styles.bold)?;
    sheet.set_row_height(
        row,
        15.0 * (paper.summary.chars().count() as f64 / 68.0)
            .ceil()
            .max(1.0),
    )?;
    sheet.write_string_with_format(
        row,
        1,
        &paper.summary,
        &Format::new().set_text_wrap().set_align(FormatAlign::Top),
    )?;
    row += 2;
    sheet.write_string_with_format(row, 0, &paper.chart.title, &styles.bold)?;
    row += 1;
    let first = row;
    for bar in &paper.chart.bars {
        sheet.write_string(row, 0, &bar.label)?;
        // A count wholly withheld is left blank and said in words: never a zero.
        if bar.shown != WITHHELD {
            sheet.write_number(row, 1, bar.value as f64)?;
        }
        if bar.shown != bar.value.to_string() {
            sheet.write_string(row, 2, &bar.shown)?;
        }
        row += 1;
    }
    if !paper.chart.bars.is_empty() {
        let mut chart = Chart::new(ChartType::Bar);
        let points: Vec<ChartPoint> = paper
            .chart
            .bars
            .iter()
            .map(|b| {
                ChartPoint::new().set_format(
                    ChartFormat::new()
                        .set_solid_fill(ChartSolidFill::new().set_color(Color::RGB(hex(&b.fill)))),
                )
            })
            .collect();
        chart
            .add_series()
            .set_categories(("Summary", first, 0, row - 1, 0))
            .set_values(("Summary", first, 1, row - 1, 1))
            .set_points(&points);
        chart.title().set_name(&paper.chart.title);
        chart.legend().set_hidden();
        sheet.insert_chart(first, 3, &chart)?;
    }
    row += 1;
    sheet.write_string_with_format(row, 0, "Key", &styles.bold)?;
    row += 1;
    for (mark, meaning) in &paper.key {
        sheet.write_string_with_format(row, 0, &mark.word, &styles.mark(mark))?;
        sheet.write_string(row, 1, meaning)?;
        row += 1;
    }
    row += 1;
    sheet.write_string_with_format(row, 0, "Parts", &styles.bold)?;
    for section in &paper.sections {
        sheet.write_string(
            row,
            1,
            format!("{} (sheet \"{}\")", section.title, section.sheet),
        )?;
        row += 1;
        if let Some(note) = &section.note {
            sheet.write_string(row, 1, note)?;
            row += 1;
        }
    }
    sheet.write_string(
        row,
        1,
        format!("Every row, with ids and ISO dates, as the CSV (sheet \"{DATA_SHEET}\")"),
    )?;
    sheet.set_landscape();
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_footer(format!(
        "&L{}&RPage &P of &N",
        paper.footer().replace('&', "&&")
    ));
    Ok(())
}

/// The widths of a table's columns, in characters: their share of the page, wide enough for
/// a date.
fn widths(table: &Table) -> Vec<f64> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(col, column)| {
            let dated = table.rows.iter().any(
                |r| matches!(r, Row::Cells(cells) if matches!(cells.get(col), Some(Cell::Date(_)))),
            );
            let width = (column.width as f64 * 0.9).clamp(8.0, 60.0);
            if dated { width.max(12.0) } else { width }
        })
        .collect()
}

/// The height a row needs for its wrapped texts, in points (Excel does not grow a row it is
/// given; LibreOffice does not either).
fn height(cells: &[Cell], widths: &[f64]) -> f64 {
    let lines = cells
        .iter()
        .zip(widths)
        .map(|(cell, width)| {
            let text = cell.display();
            text.split('\n')
                .map(|l| {
                    (l.chars().count() as f64 / (width - 1.0).max(1.0))
                        .ceil()
                        .max(1.0)
                })
                .sum::<f64>()
        })
        .fold(1.0, f64::max);
    15.0 * lines.min(30.0)
}

/// A part as a table: header row frozen, filters on, marks coloured.
fn table(sheet: &mut Worksheet, table: &Table, styles: &Styles) -> anyhow::Result<()> {
    let widths = widths(table);
    for (col, width) in widths.iter().enumerate() {
        sheet.set_column_width(col as u16, *width)?;
    }
    let header: Vec<Cell> = table
        .columns
        .iter()
        .map(|c| Cell::Text(c.name.clone()))
        .collect();
    sheet.set_row_height(0, height(&header, &widths))?;
    for (col, column) in table.columns.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, &column.name, &styles.header)?;
    }
    let mut row: u32 = 1;
    for line in &table.rows {
        match line {
            Row::Group(text) => {
                // Not wrapped: the heading runs on across the row's empty cells.
                sheet.write_string_with_format(row, 0, fit(text), &styles.group)?;
                for col in 1..table.columns.len() {
                    sheet.write_blank(row, col as u16, &styles.group)?;
                }
            }
            Row::Cells(cells) => {
                sheet.set_row_height(row, height(cells, &widths))?;
                for (col, cell) in cells.iter().enumerate() {
                    let col = col as u16;
                    match cell {
                        Cell::Empty => {
                            sheet.write_blank(row, col, &styles.wrap)?;
                        }
                        Cell::Text(text) => {
                            sheet.write_string_with_format(row, col, fit(text), &styles.wrap)?;
                        }
                        Cell::Date(day) => {
                            sheet.write_datetime_with_format(row, col, *day, &styles.date)?;
                        }
                        Cell::Int(n) => {
                            sheet.write_number_with_format(row, col, *n as f64, &styles.wrap)?;
                        }
                        Cell::Percent(p) => {
                            sheet.write_number_with_format(row, col, p / 100.0, &styles.percent)?;
                        }
                        Cell::Mark(mark) => {
                            sheet.write_string_with_format(
                                row,
                                col,
                                &mark.word,
                                &styles.mark(mark),
                            )?;
                        }
                        Cell::Withheld => {
                            sheet.write_string_with_format(
                                row,
                                col,
                                cell.display(),
                                &styles.wrap,
                            )?;
                        }
                    }
                }
            }
        }
        row += 1;
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.set_print_fit_to_pages(1, 0);
    sheet.autofilter(
        0,
        0,
        row.saturating_sub(1),
        table.columns.len().saturating_sub(1) as u16,
    )?;
    sheet.set_landscape();
    sheet.set_repeat_rows(0, 0)?;
    Ok(())
}

/// A text as Excel can hold it: whole, unless it is longer than a cell may be.
fn fit(text: &str) -> &str {
    if text.len() <= CELL_LIMIT {
        return text;
    }
    let mut end = CELL_LIMIT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
