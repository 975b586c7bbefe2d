//! The typesetter: Typst, compiled in-process from a template that ships with the binary and
//! the paper's contents as JSON, with the fonts that ship with the binary (Liberation Sans,
//! SIL Open Font License). Nothing is read from disk or the network.

use std::sync::LazyLock;

use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

use crate::papers::paper::Chart;

/// The shared part of every template: marks and the chart.
const LIB: &str = include_str!("lib.typ");
/// The paper.
pub(super) const PAPER: &str = include_str!("paper.typ");
/// A chart alone, for the Word document's picture.
const CHART: &str = include_str!("chart.typ");

static FONTS: LazyLock<(LazyHash<FontBook>, Vec<Font>)> = LazyLock::new(|| {
    let files: [&'static [u8]; 3] = [
        include_bytes!("../../../assets/fonts/LiberationSans-Regular.ttf"),
        include_bytes!("../../../assets/fonts/LiberationSans-Bold.ttf"),
        include_bytes!("../../../assets/fonts/LiberationSans-Italic.ttf"),
    ];
    let fonts: Vec<Font> = files
        .into_iter()
        .flat_map(|data| Font::iter(Bytes::new(data)))
        .collect();
    (LazyHash::new(FontBook::from_fonts(&fonts)), fonts)
});

static LIBRARY: LazyLock<LazyHash<Library>> = LazyLock::new(|| LazyHash::new(Library::default()));

fn file_id(name: &str) -> FileId {
    RootedPath::new(
        VirtualRoot::Project,
        VirtualPath::new(name).expect("a plain file name is a path"),
    )
    .intern()
}

/// One compilation: the template, the shared part and the data.
struct Sheet {
    main: Source,
    lib: Source,
    data_id: FileId,
    data: Bytes,
}

impl Sheet {
    fn new(template: &str, data: Vec<u8>) -> Self {
        Sheet {
            main: Source::new(file_id("main.typ"), template.to_owned()),
            lib: Source::new(file_id("lib.typ"), LIB.to_owned()),
            data_id: file_id("data.json"),
            data: Bytes::new(data),
        }
    }
}

impl World for Sheet {
    fn library(&self) -> &LazyHash<Library> {
        &LIBRARY
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &FONTS.0
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else if id == self.lib.id() {
            Ok(self.lib.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.data_id {
            Ok(self.data.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        FONTS.1.get(index).cloned()
    }

    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        // A paper states its own dates; the typesetter's clock is not asked.
        None
    }
}

/// Compiles `template` over `data` (JSON) into pages.
fn compile(template: &str, data: Vec<u8>) -> anyhow::Result<PagedDocument> {
    let sheet = Sheet::new(template, data);
    let document = typst::compile::<PagedDocument>(&sheet)
        .output
        .map_err(|errors| anyhow::anyhow!("typesetting failed: {}", describe(&errors)));
    // Typst memoises across compilations in one global cache: results unused by the last ten
    // papers are dropped, so a long-running service holds what the next paper reuses (the
    // fonts' shaping, the template) and not every paper it ever wrote.
    typst::comemo::evict(10);
    document
}

fn describe(errors: &[SourceDiagnostic]) -> String {
    errors
        .iter()
        .map(|e| e.message.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

/// A PDF of `template` over `data`.
pub(super) fn pdf(template: &str, data: Vec<u8>) -> anyhow::Result<Vec<u8>> {
    let document = compile(template, data)?;
    typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default())
        .map_err(|errors| anyhow::anyhow!("writing the PDF failed: {}", describe(&errors)))
}

/// The chart alone as a PNG, drawn at 2 pixels per point: its bytes, width and height.
pub(super) fn chart_png(chart: &Chart) -> anyhow::Result<(Vec<u8>, u32, u32)> {
    let data = serde_json::to_vec(&serde_json::json!({ "chart": super::pdf::chart_json(chart) }))?;
    let document = compile(CHART, data)?;
    let page = document
        .pages()
        .first()
        .ok_or_else(|| anyhow::anyhow!("the chart has no page"))?;
    let pixmap = typst_render::render(
        page,
        &typst_render::RenderOptions {
            pixel_per_pt: 2.0.into(),
            ..Default::default()
        },
    );
    let (width, height) = (pixmap.width(), pixmap.height());
    let png = pixmap
        .encode_png()
        .map_err(|e| anyhow::anyhow!("encoding the chart failed: {e}"))?;
    Ok((png, width, height))
}
