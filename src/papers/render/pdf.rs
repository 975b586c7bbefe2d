//! PDF: the paper typeset by Typst (`typeset`) from `paper.typ`, with the paper's contents as
//! JSON. The template decides how it looks; this file only says what it holds, as text.

use serde_json::{Value, json};

use super::typeset;
use crate::papers::paper::{Cell, Chart, Mark, Paper, Row, long_date};

/// The characters of a row past which it may split across pages rather than overflow one.
const LONG_ROW: usize = 1_500;

/// The paper as a PDF.
pub(super) fn write(paper: &Paper) -> anyhow::Result<Vec<u8>> {
    let data = serde_json::to_vec(&contents(paper))?;
    typeset::pdf(typeset::PAPER, data)
}

fn mark(mark: &Mark) -> Value {
    json!({ "word": mark.word, "fill": mark.fill, "ink": mark.ink })
}

/// A chart as the templates read it.
pub(super) fn chart_json(chart: &Chart) -> Value {
    json!({
        "title": chart.title,
        "bars": chart.bars.iter().map(|b| json!({
            "label": b.label, "value": b.value, "fill": b.fill, "shown": b.shown,
        })).collect::<Vec<_>>(),
    })
}

/// What `paper.typ` reads.
fn contents(paper: &Paper) -> Value {
    let sections: Vec<Value> = paper
        .sections
        .iter()
        .map(|s| {
            let rows: Vec<Value> = s
                .table
                .rows
                .iter()
                .map(|row| match row {
                    Row::Group(text) => json!({ "group": text }),
                    Row::Cells(cells) => json!({
                        // A row of long texts may run on to the next page; others never split.
                        "breakable": cells.iter().map(|c| c.display().len()).sum::<usize>() > LONG_ROW,
                        "cells": cells.iter().map(|c| match c {
                            Cell::Mark(m) => json!({ "mark": mark(m) }),
                            Cell::Int(_) | Cell::Percent(_) | Cell::Withheld => {
                                json!({ "text": c.display(), "number": true })
                            }
                            other => json!({ "text": other.display() }),
                        }).collect::<Vec<_>>(),
                    }),
                })
                .collect();
            json!({
                "title": s.title,
                "note": s.note,
                "columns": s.table.columns.iter().map(|c| json!({ "name": c.name, "width": c.width })).collect::<Vec<_>>(),
                "rows": rows,
            })
        })
        .collect();
    json!({
        "kind": paper.kind,
        "title": paper.title,
        "organisation": paper.organisation,
        "as_of": long_date(paper.as_of),
        "known": paper.known_phrase(),
        "produced": paper.produced_line(),
        "facts": paper.facts,
        "summary": paper.summary,
        "chart": chart_json(&paper.chart),
        "key": paper.key.iter().map(|(m, meaning)| json!({ "mark": mark(m), "meaning": meaning })).collect::<Vec<_>>(),
        "sections": sections,
        "footer": paper.footer(),
        "landscape": paper.landscape,
    })
}
