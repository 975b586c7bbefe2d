//! Word: a document an officer can edit and paste into the council's own committee template.
//! Headings use Word's built-in styles ("Title", "heading 1", "heading 2"), so a template's own
//! styles take over when pasted; tables are real tables with shaded RAG cells and the word
//! written in them; the chart is a picture drawn by the typesetter, the same as the PDF's.

use docx_rs::{
    AlignmentType, BreakType, Docx, Footer, LineSpacing, NumPages, PageMargin, PageNum,
    PageOrientationType, Paragraph, Pic, Run, RunFonts, Shading, Style, StyleType, Table,
    TableCell, TableLayoutType, TableRow, WidthType,
};

use super::typeset;
use crate::papers::paper::{Cell, Mark, Paper, Row, Table as PaperTable, long_date};

/// A4, in twentieths of a point.
const A4_LONG: u32 = 16_838;
const A4_SHORT: u32 = 11_906;
const MARGIN: u32 = 1_000;
/// The size of a table's text, in half-points.
const TABLE_SIZE: usize = 17;
/// English Metric Units per pixel at 96 dots per inch.
const EMU_PER_PX: u32 = 9_525;

/// The paper as a Word document.
pub(super) fn write(paper: &Paper) -> anyhow::Result<Vec<u8>> {
    let (width, height) = if paper.landscape {
        (A4_LONG, A4_SHORT)
    } else {
        (A4_SHORT, A4_LONG)
    };
    let text_width = (width - 2 * MARGIN) as usize;
    let mut doc = Docx::new()
        .page_size(width, height)
        .page_orient(if paper.landscape {
            PageOrientationType::Landscape
        } else {
            PageOrientationType::Portrait
        })
        .page_margin(
            PageMargin::new()
                .top(MARGIN as i32)
                .bottom(MARGIN as i32)
                .left(MARGIN as i32)
                .right(MARGIN as i32),
        )
        .default_fonts(RunFonts::new().ascii("Arial").hi_ansi("Arial").cs("Arial"))
        .default_size(20)
        .add_style(
            Style::new("Title", StyleType::Paragraph)
                .name("Title")
                .size(40)
                .bold(),
        )
        .add_style(
            Style::new("Heading1", StyleType::Paragraph)
                .name("heading 1")
                .size(30)
                .bold()
                .line_spacing(LineSpacing::new().before(360).after(120))
                .outline_lvl(0),
        )
        .add_style(
            Style::new("Heading2", StyleType::Paragraph)
                .name("heading 2")
                .size(24)
                .bold()
                .line_spacing(LineSpacing::new().before(240).after(120))
                .outline_lvl(1),
        )
        .footer(
            Footer::new().add_paragraph(
                Paragraph::new()
                    .add_run(
                        Run::new()
                            .size(14)
                            .add_text(format!("{}. Page ", paper.footer())),
                    )
                    .add_page_num(PageNum::new())
                    .add_run(Run::new().size(14).add_text(" of "))
                    .add_num_pages(NumPages::new()),
            ),
        );

    doc = doc
        .add_paragraph(
            Paragraph::new().add_run(
                Run::new()
                    .size(16)
                    .color("505A5F")
                    .add_text(paper.kind.to_uppercase()),
            ),
        )
        .add_paragraph(heading("Title", &paper.title))
        .add_paragraph(Paragraph::new().add_run(Run::new().size(24).add_text(&paper.organisation)))
        .add_paragraph(
            Paragraph::new().add_run(
                Run::new()
                    .size(24)
                    .bold()
                    .add_text(format!("As at {}", long_date(paper.as_of))),
            ),
        )
        .add_paragraph(text(&format!(
            "{}. {}.",
            capitalise(&paper.known_phrase()),
            paper.produced_line()
        )));
    for (name, value) in &paper.facts {
        doc = doc.add_paragraph(
            Paragraph::new()
                .add_run(Run::new().bold().add_text(format!("{name}: ")))
                .add_run(Run::new().add_text(value)),
        );
    }
    doc = doc
        .add_paragraph(heading("Heading1", "Summary"))
        .add_paragraph(text(&paper.summary));
    if !paper.chart.bars.is_empty() {
        let (png, w, h) = typeset::chart_png(&paper.chart)?;
        // The picture is drawn at twice the size it is shown.
        let pic = Pic::new_with_dimensions(png, w, h).size(w / 2 * EMU_PER_PX, h / 2 * EMU_PER_PX);
        doc = doc.add_paragraph(Paragraph::new().add_run(Run::new().add_image(pic)));
    }
    doc = doc.add_paragraph(heading("Heading2", "Key"));
    let mut key = Vec::new();
    for (mark, meaning) in &paper.key {
        key.push(TableRow::new(vec![
            marked(mark, 2_000, 20),
            TableCell::new()
                .width(6_000, WidthType::Dxa)
                .add_paragraph(text(meaning)),
        ]));
    }
    doc = doc.add_table(
        Table::new(key)
            .set_grid(vec![2_000, 6_000])
            .layout(TableLayoutType::Fixed),
    );
    for section in &paper.sections {
        doc = doc.add_paragraph(heading("Heading1", &section.title));
        if let Some(note) = &section.note {
            doc = doc.add_paragraph(text(note));
        }
        doc = if section.table.rows.is_empty() {
            doc.add_paragraph(Paragraph::new().add_run(Run::new().italic().add_text("None.")))
        } else {
            doc.add_table(table(&section.table, text_width))
        };
    }
    let mut out = std::io::Cursor::new(Vec::new());
    doc.build().pack(&mut out)?;
    Ok(out.into_inner())
}

/// A paragraph of a heading style.
fn heading(style: &str, words: &str) -> Paragraph {
    Paragraph::new()
        .style(style)
        .keep_next(true)
        .add_run(Run::new().add_text(words))
}

/// A paragraph of text; line breaks kept.
fn text(words: &str) -> Paragraph {
    sized(words, None)
}

/// A paragraph of text in `size` half-points (the document's size when `None`).
fn sized(words: &str, size: Option<usize>) -> Paragraph {
    let mut run = Run::new();
    if let Some(size) = size {
        run = run.size(size);
    }
    for (i, line) in words.split('\n').enumerate() {
        if i > 0 {
            run = run.add_break(BreakType::TextWrapping);
        }
        run = run.add_text(line);
    }
    Paragraph::new().add_run(run)
}

fn capitalise(words: &str) -> String {
    let mut chars = words.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A cell with a mark: its ground shaded, its word in bold in its ink.
fn marked(mark: &Mark, width: usize, size: usize) -> TableCell {
    TableCell::new()
        .width(width, WidthType::Dxa)
        .shading(Shading::new().fill(mark.fill.trim_start_matches('#')))
        .add_paragraph(
            Paragraph::new().add_run(
                Run::new()
                    .size(size)
                    .bold()
                    .color(mark.ink.trim_start_matches('#'))
                    .add_text(&mark.word),
            ),
        )
}

/// A part's table: a shaded header row, group rows across the table, marks shaded.
fn table(table: &PaperTable, text_width: usize) -> Table {
    let total: usize = table
        .columns
        .iter()
        .map(|c| c.width as usize)
        .sum::<usize>()
        .max(1);
    let widths: Vec<usize> = table
        .columns
        .iter()
        .map(|c| text_width * c.width as usize / total)
        .collect();
    let small = |words: &str| sized(words, Some(TABLE_SIZE)).align(AlignmentType::Left);
    let mut rows = vec![TableRow::new(
        table
            .columns
            .iter()
            .zip(&widths)
            .map(|(c, w)| {
                TableCell::new()
                    .width(*w, WidthType::Dxa)
                    .shading(Shading::new().fill("DEE0E2"))
                    .add_paragraph(
                        Paragraph::new()
                            .add_run(Run::new().size(TABLE_SIZE).bold().add_text(&c.name)),
                    )
            })
            .collect(),
    )];
    for row in &table.rows {
        rows.push(match row {
            Row::Group(words) => TableRow::new(vec![
                TableCell::new()
                    .grid_span(widths.len())
                    .width(text_width, WidthType::Dxa)
                    .shading(Shading::new().fill("F3F2F1"))
                    .add_paragraph(
                        Paragraph::new()
                            .add_run(Run::new().size(TABLE_SIZE).bold().add_text(words)),
                    ),
            ]),
            Row::Cells(cells) => TableRow::new(
                cells
                    .iter()
                    .zip(&widths)
                    .map(|(cell, w)| match cell {
                        Cell::Mark(mark) => marked(mark, *w, TABLE_SIZE),
                        other => TableCell::new()
                            .width(*w, WidthType::Dxa)
                            .add_paragraph(small(&other.display())),
                    })
                    .collect(),
            ),
        });
    }
    Table::new(rows)
        .set_grid(widths)
        .layout(TableLayoutType::Fixed)
}
