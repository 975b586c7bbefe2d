//! CSV: UTF-8 with a byte-order mark (so that Excel reads the text right), a header row, one
//! row per item with ids, ISO days, plain numbers, and every text whole.

use crate::papers::paper::Table;

/// The flat table as CSV.
pub(super) fn write(table: &Table) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(64 * (table.rows.len() + 1));
    out.extend_from_slice("\u{feff}".as_bytes());
    let mut writer = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(out);
    writer.write_record(table.columns.iter().map(|c| c.name.as_str()))?;
    for row in &table.rows {
        if let crate::papers::paper::Row::Cells(cells) = row {
            writer.write_record(cells.iter().map(|c| c.plain()))?;
        }
    }
    writer.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}
