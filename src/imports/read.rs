//! Reading an uploaded file into a grid of cells: `.xlsx`/`.xlsm`/`.xls`/`.ods` through
//! calamine, `.csv` through `csv` with its encoding and separator detected.
//!
//! A file is checked before any parser sees it: its size, for an Office zip the size its parts
//! expand to (a zip bomb is refused before it is inflated) and whether a part declares a DTD
//! (an XML entity bomb; spreadsheets never declare one). Every refusal is a [`FileProblem`] with
//! its own code; nothing here panics on bytes an attacker chose.

use std::io::{Cursor, Read};

use calamine::{Data, Reader, SheetVisible};
use chrono::NaiveDate;

use super::{FileProblem, Limits};

/// One cell, as the importer reads it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Date(NaiveDate),
}

impl Cell {
    /// The cell as text, as a person would read it.
    pub(crate) fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.trim().to_owned(),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Cell::Number(n) => n.to_string(),
            Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
        }
    }

    pub(crate) fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }
}

/// One sheet of a file.
#[derive(Debug)]
pub(crate) struct Sheet {
    pub name: String,
    pub hidden: bool,
    /// Its rows, from the sheet's first row (row 1), each as wide as the widest.
    pub rows: Vec<Vec<Cell>>,
}

/// What kind of file the bytes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A zip: `.xlsx`, `.xlsm` or `.ods`.
    Zip,
    /// An OLE compound file: `.xls`, or an Office file protected by a password.
    Compound,
    /// Anything else is read as delimited text.
    Text,
}

impl Kind {
    fn of(bytes: &[u8]) -> Kind {
        if bytes.starts_with(b"PK\x03\x04") {
            Kind::Zip
        } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
            Kind::Compound
        } else {
            Kind::Text
        }
    }
}

/// The sheets of `bytes`, a file called `name`.
pub(crate) fn sheets(name: &str, bytes: &[u8], limits: &Limits) -> Result<Vec<Sheet>, FileProblem> {
    if bytes.len() >= limits.max_file_bytes {
        return Err(FileProblem::TooLarge(format!(
            "the file is {} bytes; files must be smaller than {} bytes (5 MB)",
            bytes.len(),
            limits.max_file_bytes
        )));
    }
    if bytes.is_empty() {
        return Err(FileProblem::NotASpreadsheet("the file is empty".to_owned()));
    }
    let sheets = match Kind::of(bytes) {
        Kind::Zip => {
            check_zip(bytes, limits)?;
            workbook(bytes)?
        }
        Kind::Compound => workbook(bytes)?,
        Kind::Text => {
            let lower = name.to_ascii_lowercase();
            if [".xlsx", ".xlsm", ".xls", ".ods"]
                .iter()
                .any(|ext| lower.ends_with(ext))
            {
                return Err(FileProblem::Corrupt(format!(
                    "{name} is named as a spreadsheet but is not one (it may be damaged)"
                )));
            }
            vec![delimited(bytes)?]
        }
    };
    for sheet in &sheets {
        check_shape(sheet, limits)?;
    }
    Ok(sheets)
}

/// Refuses a zip whose parts would expand past the limit, or that declares a DTD.
fn check_zip(bytes: &[u8], limits: &Limits) -> Result<(), FileProblem> {
    let corrupt =
        |e: zip::result::ZipError| FileProblem::Corrupt(format!("the file is damaged: {e}"));
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(corrupt)?;
    let mut declared: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(corrupt)?;
        declared = declared.saturating_add(entry.size());
    }
    if declared > limits.max_expanded_bytes {
        return Err(FileProblem::TooLarge(format!(
            "the file expands to {declared} bytes, more than the {} a spreadsheet of 10,000 rows needs (a zip bomb?)",
            limits.max_expanded_bytes
        )));
    }
    // The sizes a zip declares can lie: inflate each XML part, counting, and stop at the limit.
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(corrupt)?;
        let name = entry.name().map(|n| n.to_string()).unwrap_or_default();
        let xml = name.ends_with(".xml") || name.ends_with(".rels");
        let mut head = Vec::new();
        let mut buf = [0u8; 64 * 1024];
        loop {
            let n = entry
                .read(&mut buf)
                .map_err(|e| FileProblem::Corrupt(format!("the file is damaged: {e}")))?;
            if n == 0 {
                break;
            }
            total += n as u64;
            if total > limits.max_expanded_bytes {
                return Err(FileProblem::TooLarge(format!(
                    "the file expands to more than {} bytes (a zip bomb?)",
                    limits.max_expanded_bytes
                )));
            }
            if xml && head.len() < 4096 {
                head.extend_from_slice(&buf[..n.min(4096 - head.len())]);
            }
        }
        if xml && declares_dtd(&head) {
            return Err(FileProblem::Corrupt(format!(
                "part {name} declares a document type (an XML entity bomb?); spreadsheets never do"
            )));
        }
    }
    Ok(())
}

/// Whether the start of an XML part holds a `<!DOCTYPE` (where entities are declared).
fn declares_dtd(head: &[u8]) -> bool {
    head.windows(9)
        .any(|w| w.eq_ignore_ascii_case(b"<!doctype"))
        || head.windows(8).any(|w| w.eq_ignore_ascii_case(b"<!entity"))
}

/// The sheets of a workbook, through calamine.
fn workbook(bytes: &[u8]) -> Result<Vec<Sheet>, FileProblem> {
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| {
        // A workbook protected by a password is an OLE file holding the encrypted zip: the
        // Excel reader is the one that says so.
        match calamine::open_workbook_from_rs::<calamine::Xlsx<_>, _>(Cursor::new(bytes)) {
            Err(calamine::XlsxError::Password) => {
                refusal_of(&calamine::Error::Xlsx(calamine::XlsxError::Password))
            }
            _ => refusal_of(&e),
        }
    })?;
    let metadata: Vec<(String, bool)> = book
        .sheets_metadata()
        .iter()
        .map(|s| (s.name.clone(), s.visible != SheetVisible::Visible))
        .collect();
    let mut out = Vec::with_capacity(metadata.len());
    for (name, hidden) in metadata {
        let range = match book.worksheet_range(&name) {
            Ok(range) => range,
            // A chart sheet or a macro sheet has no cells.
            Err(calamine::Error::Xlsx(calamine::XlsxError::WorksheetNotFound(_))) => continue,
            Err(e) => return Err(refusal_of(&e)),
        };
        let merged = match &mut book {
            calamine::Sheets::Xlsx(x) => x.merge_cells_by_sheet_name(&name).unwrap_or_default(),
            calamine::Sheets::Xls(x) => x.merge_cells_by_sheet_name(&name).unwrap_or_default(),
            _ => Vec::new(),
        };
        let (start_row, start_col) = range.start().unwrap_or((0, 0));
        let height = range.height();
        let width = range.width();
        // Rows from row 1 and column A, whatever the used range starts with, so that a row
        // number in a report is the one the spreadsheet shows.
        let total_width = start_col as usize + width;
        let mut rows = vec![vec![Cell::Empty; total_width]; start_row as usize + height];
        for (r, row) in range.rows().enumerate() {
            for (c, data) in row.iter().enumerate() {
                rows[start_row as usize + r][start_col as usize + c] = cell_of(data);
            }
        }
        // A merged region reads as its top-left value throughout.
        for region in merged {
            let (r0, c0) = (region.start.0 as usize, region.start.1 as usize);
            let Some(value) = rows.get(r0).and_then(|r| r.get(c0)).cloned() else {
                continue;
            };
            let (r1, c1) = (region.end.0 as usize, region.end.1 as usize);
            for row in rows.iter_mut().take(r1 + 1).skip(r0) {
                for cell in row.iter_mut().take(c1 + 1).skip(c0) {
                    *cell = value.clone();
                }
            }
        }
        out.push(Sheet { name, hidden, rows });
    }
    Ok(out)
}

fn cell_of(data: &Data) -> Cell {
    match data {
        Data::Empty | Data::Error(_) => Cell::Empty,
        Data::String(s) => Cell::Text(s.clone()),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Text(if *b { "TRUE" } else { "FALSE" }.to_owned()),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(t) => Cell::Date(t.date()),
            None => Cell::Number(dt.as_f64()),
        },
        Data::DateTimeIso(s) => {
            match NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%Y-%m-%d") {
                Ok(d) => Cell::Date(d),
                Err(_) => Cell::Text(s.clone()),
            }
        }
        Data::DurationIso(s) => Cell::Text(s.clone()),
    }
}

/// What a calamine failure means to the person who uploaded the file.
fn refusal_of(err: &calamine::Error) -> FileProblem {
    let protected = matches!(
        err,
        calamine::Error::Xlsx(calamine::XlsxError::Password)
            | calamine::Error::Xls(calamine::XlsError::Password)
            | calamine::Error::Ods(calamine::OdsError::Password)
    );
    if protected {
        return FileProblem::Protected(
            "the workbook is protected by a password; save a copy without one and upload that"
                .to_owned(),
        );
    }
    if let calamine::Error::Msg(m) = err
        && m.contains("Cannot detect file format")
    {
        return FileProblem::NotASpreadsheet(
            "the file is not a spreadsheet (Excel, OpenDocument or CSV)".to_owned(),
        );
    }
    FileProblem::Corrupt(format!("the spreadsheet cannot be read: {err}"))
}

/// A CSV (or tab- or semicolon-separated) file, its encoding and separator detected.
fn delimited(bytes: &[u8]) -> Result<Sheet, FileProblem> {
    let text = decode(bytes)?;
    let separator = separator(&text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(separator)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record =
            record.map_err(|e| FileProblem::Corrupt(format!("the CSV cannot be read: {e}")))?;
        rows.push(
            record
                .iter()
                .map(|s| {
                    if s.trim().is_empty() {
                        Cell::Empty
                    } else {
                        Cell::Text(s.to_owned())
                    }
                })
                .collect::<Vec<_>>(),
        );
    }
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    for row in &mut rows {
        row.resize(width, Cell::Empty);
    }
    Ok(Sheet {
        name: "CSV".to_owned(),
        hidden: false,
        rows,
    })
}

/// The text of a delimited file: UTF-8 (with or without a byte-order mark), UTF-16 with a mark,
/// or else Windows-1252, which older Excel exports use.
pub(crate) fn decode(bytes: &[u8]) -> Result<String, FileProblem> {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom..]);
        if had_errors {
            return Err(FileProblem::NotASpreadsheet(format!(
                "the file says it is {} but is not",
                encoding.name()
            )));
        }
        return check_text(text.into_owned());
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => check_text(text.to_owned()),
        Err(_) => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            check_text(text.into_owned())
        }
    }
}

/// Text with control characters (other than tabs and line ends) is not a spreadsheet: an image
/// or an executable decodes as Windows-1252 without complaint.
fn check_text(text: String) -> Result<String, FileProblem> {
    let controls = text
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        .count();
    if controls > 0 {
        return Err(FileProblem::NotASpreadsheet(
            "the file is not a spreadsheet (Excel, OpenDocument or CSV): it holds binary data"
                .to_owned(),
        ));
    }
    Ok(text)
}

/// The separator of a delimited text: whichever of tab, semicolon and comma splits its first
/// lines most consistently (quoted text aside).
fn separator(text: &str) -> u8 {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(20)
        .collect();
    let mut best = (b',', 0usize);
    for candidate in [b',', b';', b'\t'] {
        let counts: Vec<usize> = lines
            .iter()
            .map(|line| unquoted_count(line, candidate))
            .collect();
        let Some(&first) = counts.first() else {
            continue;
        };
        // The most lines that split as the header does.
        let agreeing = counts.iter().filter(|&&c| c == first && c > 0).count() * first.min(50);
        if agreeing > best.1 {
            best = (candidate, agreeing);
        }
    }
    best.0
}

fn unquoted_count(line: &str, separator: u8) -> usize {
    let mut quoted = false;
    line.bytes()
        .filter(|&b| {
            if b == b'"' {
                quoted = !quoted;
            }
            !quoted && b == separator
        })
        .count()
}

/// Refuses a sheet with too many rows or columns, or a cell too long to be a plan's text.
fn check_shape(sheet: &Sheet, limits: &Limits) -> Result<(), FileProblem> {
    let used = sheet
        .rows
        .iter()
        .rposition(|row| row.iter().any(|c| !c.is_blank()))
        .map_or(0, |i| i + 1);
    if used > limits.max_rows + 1 {
        return Err(FileProblem::TooManyRows(format!(
            "sheet \"{}\" has {} rows; an import takes at most {} rows under its header",
            sheet.name, used, limits.max_rows
        )));
    }
    let width = sheet
        .rows
        .iter()
        .map(|row| row.iter().rposition(|c| !c.is_blank()).map_or(0, |i| i + 1))
        .max()
        .unwrap_or(0);
    if width > limits.max_columns {
        return Err(FileProblem::TooManyColumns(format!(
            "sheet \"{}\" has {} columns; an import takes at most {}",
            sheet.name, width, limits.max_columns
        )));
    }
    for (r, row) in sheet.rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            if let Cell::Text(s) = cell
                && s.chars().count() > limits.max_cell_chars
            {
                return Err(FileProblem::CellTooLong {
                    message: format!(
                        "cell {}{} of sheet \"{}\" holds {} characters; a cell may hold at most {}",
                        column_letter(c),
                        r + 1,
                        sheet.name,
                        s.chars().count(),
                        limits.max_cell_chars
                    ),
                    row: r as u32 + 1,
                    column: column_letter(c),
                });
            }
        }
    }
    Ok(())
}

/// A column's letters, as a spreadsheet shows them: 0 is A, 26 is AA.
pub(crate) fn column_letter(mut index: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(51), "AZ");
    }

    #[test]
    fn separators() {
        assert_eq!(separator("a;b;c\n1;2;3\n"), b';');
        assert_eq!(separator("a\tb\tc\n1\t2\t3\n"), b'\t');
        assert_eq!(separator("a,b,c\n\"x;y\",2,3\n"), b',');
    }

    #[test]
    fn encodings() {
        assert_eq!(decode(b"\xEF\xBB\xBFcaf\xC3\xA9").unwrap(), "café");
        assert_eq!(decode(b"caf\xC3\xA9").unwrap(), "café");
        // Windows-1252: é is 0xE9 and the en dash 0x96.
        assert_eq!(decode(b"caf\xE9 \x96 x").unwrap(), "café – x");
        assert!(decode(b"\x00\x01\x02binary").is_err());
    }
}
