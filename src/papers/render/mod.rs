//! Writing a paper in each format. Word, PDF and Excel write the whole paper (heading,
//! summary, chart, key, every part); CSV writes the flat table built beside it.

mod csv;
mod docx;
mod pdf;
pub mod typeset;
mod xlsx;

use super::paper::{Paper, Table};
use super::{Format, Refusal};

/// `paper` (or, for CSV, `flat`) as a file in `format`. CPU-bound: run it off the async
/// workers.
pub fn render(paper: &Paper, flat: &Table, format: Format) -> Result<Vec<u8>, Refusal> {
    match format {
        Format::Csv => csv::write(flat),
        Format::Xlsx => xlsx::write(paper, flat),
        Format::Docx => docx::write(paper),
        Format::Pdf => pdf::write(paper),
    }
    .map_err(Refusal::internal)
}
