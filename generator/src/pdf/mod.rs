//! Printable PDFs (voucher cards, shelf labels): A4 pages cut into a grid of equal cells with
//! cut marks in the margins, text in the standard Helvetica fonts, and QR codes and Code 128
//! barcodes drawn as vector rectangles so they stay sharp at any printer resolution.

pub mod font;

use anyhow::Context;
pub use font::Font;
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

/// Points per millimetre (a PDF point is 1/72 inch).
pub const MM: f32 = 72.0 / 25.4;
/// A4 portrait, in points.
pub const A4_WIDTH: f32 = 210.0 * MM;
pub const A4_HEIGHT: f32 = 297.0 * MM;

/// Light modules a QR code needs around it to be read (ISO/IEC 18004).
const QR_QUIET_MODULES: f32 = 4.0;
/// Light modules a Code 128 barcode needs on each side.
const BARCODE_QUIET_MODULES: f32 = 10.0;

/// Cells of `width` × `height` points, `columns` × `rows` to an A4 page, centred, touching
/// each other so that one cut separates two neighbours.
#[derive(Debug, Clone, Copy)]
pub struct Grid {
    pub columns: usize,
    pub rows: usize,
    pub width: f32,
    pub height: f32,
}

impl Grid {
    pub fn per_page(&self) -> usize {
        self.columns * self.rows
    }

    fn left(&self) -> f32 {
        (A4_WIDTH - self.columns as f32 * self.width) / 2.0
    }

    fn bottom(&self) -> f32 {
        (A4_HEIGHT - self.rows as f32 * self.height) / 2.0
    }

    /// The lower left corner of cell `index` on its page, filled left to right, top to bottom.
    pub fn origin(&self, index: usize) -> (f32, f32) {
        let index = index % self.per_page();
        let column = index % self.columns;
        let row = index / self.columns;
        (
            self.left() + column as f32 * self.width,
            self.bottom() + (self.rows - 1 - row) as f32 * self.height,
        )
    }

    /// Short lines in the margins along every cutting line, never over a cell: the cells stay
    /// clean and the marks are cut off with the margins.
    fn cut_marks(&self, page: &mut Page) {
        let (left, bottom) = (self.left(), self.bottom());
        let right = left + self.columns as f32 * self.width;
        let top = bottom + self.rows as f32 * self.height;
        let (gap, length) = (1.5 * MM, 5.0 * MM);
        let content = &mut page.content;
        content.save_state();
        content.set_line_width(0.3).set_stroke_gray(0.0);
        for column in 0..=self.columns {
            let x = left + column as f32 * self.width;
            content.move_to(x, top + gap).line_to(x, top + gap + length);
            content
                .move_to(x, bottom - gap)
                .line_to(x, bottom - gap - length);
        }
        for row in 0..=self.rows {
            let y = bottom + row as f32 * self.height;
            content
                .move_to(left - gap, y)
                .line_to(left - gap - length, y);
            content
                .move_to(right + gap, y)
                .line_to(right + gap + length, y);
        }
        content.stroke();
        content.restore_state();
    }
}

/// A document of A4 pages.
pub struct Document {
    title: String,
    pages: Vec<Vec<u8>>,
}

impl Document {
    pub fn new(title: &str) -> Document {
        Document {
            title: title.to_owned(),
            pages: Vec::new(),
        }
    }

    /// A new page cut into `grid`'s cells (cut marks drawn).
    pub fn grid_page(grid: &Grid) -> Page {
        let mut page = Page {
            content: Content::new(),
        };
        grid.cut_marks(&mut page);
        page
    }

    pub fn push(&mut self, page: Page) {
        self.pages.push(page.content.finish().into_vec());
    }

    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// The PDF file's bytes. Page contents are deflated: a page of QR codes is thousands of
    /// rectangles.
    pub fn finish(self) -> anyhow::Result<Vec<u8>> {
        let mut pdf = Pdf::new();
        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let info = Ref::new(3);
        let regular = Ref::new(4);
        let bold = Ref::new(5);
        let first_page = 6;
        let page_ids: Vec<Ref> = (0..self.pages.len())
            .map(|index| Ref::new(first_page + 2 * index as i32))
            .collect();
        pdf.catalog(catalog).pages(tree);
        pdf.document_info(info)
            .title(TextStr(&self.title))
            .producer(TextStr("galeri"));
        pdf.pages(tree)
            .kids(page_ids.iter().copied())
            .count(self.pages.len() as i32);
        for (id, font) in [(regular, Font::Regular), (bold, Font::Bold)] {
            pdf.type1_font(id)
                .base_font(Name(font.base_font()))
                .encoding_predefined(Name(b"WinAnsiEncoding"));
        }
        for (page_id, content) in page_ids.iter().zip(&self.pages) {
            let content_id = Ref::new(page_id.get() + 1);
            let mut page = pdf.page(*page_id);
            page.parent(tree)
                .media_box(Rect::new(0.0, 0.0, A4_WIDTH, A4_HEIGHT))
                .contents(content_id);
            let mut resources = page.resources();
            let mut fonts = resources.fonts();
            fonts.pair(Name(Font::Regular.resource()), regular);
            fonts.pair(Name(Font::Bold.resource()), bold);
            fonts.finish();
            resources.finish();
            page.finish();
            let compressed = deflate(content).context("compressing a page")?;
            pdf.stream(content_id, &compressed)
                .filter(Filter::FlateDecode);
        }
        Ok(pdf.finish())
    }
}

fn deflate(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write as _;
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes)?;
    encoder.finish()
}

/// Where text sits relative to its x.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
}

/// One page being drawn. Coordinates are points from the page's lower left corner; text is
/// placed by its baseline.
pub struct Page {
    content: Content,
}

impl Page {
    pub fn text(&mut self, font: Font, size: f32, x: f32, y: f32, align: Align, text: &str) {
        let width = font.width(text, size);
        let x = match align {
            Align::Left => x,
            Align::Center => x - width / 2.0,
            Align::Right => x - width,
        };
        self.content
            .begin_text()
            .set_font(Name(font.resource()), size)
            .next_line(x, y)
            .show(Str(&font::encode(text)))
            .end_text();
    }

    /// A horizontal hairline, for separating parts of a cell.
    pub fn rule(&mut self, x: f32, y: f32, width: f32, gray: f32) {
        self.content
            .save_state()
            .set_line_width(0.4)
            .set_stroke_gray(gray)
            .move_to(x, y)
            .line_to(x + width, y)
            .stroke()
            .restore_state();
    }

    /// The QR code of `data` in the square `size` with its lower left corner at (x, y), quiet
    /// zone included (so nothing else may be drawn in that square). Returns the module size.
    pub fn qr(&mut self, data: &[u8], x: f32, y: f32, size: f32) -> anyhow::Result<f32> {
        // M corrects 15% damage: a card in a wallet gets scuffed.
        let code = qrcode::QrCode::with_error_correction_level(data, qrcode::EcLevel::M)
            .map_err(|error| anyhow::anyhow!("making a QR code: {error}"))?;
        let modules = code.width();
        let module = size / (modules as f32 + 2.0 * QR_QUIET_MODULES);
        let colors = code.to_colors();
        let left = x + QR_QUIET_MODULES * module;
        let top = y + size - QR_QUIET_MODULES * module;
        self.content.save_state().set_fill_gray(0.0);
        for (row, line) in colors.chunks(modules).enumerate() {
            // One rectangle per run of dark modules keeps the page small and leaves no hairline
            // seams between neighbouring modules in some renderers.
            let mut column = 0;
            while column < modules {
                if line[column] != qrcode::Color::Dark {
                    column += 1;
                    continue;
                }
                let start = column;
                while column < modules && line[column] == qrcode::Color::Dark {
                    column += 1;
                }
                self.content.rect(
                    left + start as f32 * module,
                    top - (row + 1) as f32 * module,
                    (column - start) as f32 * module,
                    module,
                );
            }
        }
        self.content.fill_nonzero().restore_state();
        Ok(module)
    }

    /// The Code 128 barcode of `text` (ASCII 32–126, code set B) centred in the box of
    /// `width` × `height` at (x, y), quiet zones included; modules at most `max_module` wide.
    /// Returns the width of the bars.
    pub fn code128(
        &mut self,
        text: &str,
        x: f32,
        y: f32,
        width: f32,
        height: f32,
        max_module: f32,
    ) -> anyhow::Result<f32> {
        let bars = code128_modules(text)?;
        let module = (width / (bars.len() as f32 + 2.0 * BARCODE_QUIET_MODULES)).min(max_module);
        let left = x + (width - bars.len() as f32 * module) / 2.0;
        self.content.save_state().set_fill_gray(0.0);
        let mut index = 0;
        while index < bars.len() {
            if bars[index] == 0 {
                index += 1;
                continue;
            }
            let start = index;
            while index < bars.len() && bars[index] == 1 {
                index += 1;
            }
            self.content.rect(
                left + start as f32 * module,
                y,
                (index - start) as f32 * module,
                height,
            );
        }
        self.content.fill_nonzero().restore_state();
        Ok(bars.len() as f32 * module)
    }
}

/// The bars and spaces of `text` in Code 128 set B, one byte per module (1 = bar). `Err` names
/// the first character the set lacks.
pub fn code128_modules(text: &str) -> anyhow::Result<Vec<u8>> {
    if let Some(c) = text.chars().find(|c| !(' '..='~').contains(c)) {
        anyhow::bail!("karakter {c:?} tidak ada di Code 128");
    }
    if text.is_empty() {
        anyhow::bail!("teks barcode kosong");
    }
    // barcoders picks the code set from a leading marker character: Ɓ is set B.
    let code = barcoders::sym::code128::Code128::new(format!("Ɓ{text}"))
        .map_err(|error| anyhow::anyhow!("Code 128: {error}"))?;
    Ok(code.encode())
}

#[cfg(test)]
// Tests may panic: a panic is a failed test.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_grid_is_centred_and_filled_row_by_row() {
        let grid = Grid {
            columns: 2,
            rows: 5,
            width: 85.0 * MM,
            height: 55.0 * MM,
        };
        let (x, y) = grid.origin(0);
        assert!((x - 20.0 * MM).abs() < 0.01 && (y - (297.0 - 11.0 - 55.0) * MM).abs() < 0.01);
        let (x, y) = grid.origin(9);
        assert!((x - 105.0 * MM).abs() < 0.01 && (y - 11.0 * MM).abs() < 0.01);
        assert_eq!(grid.origin(10), grid.origin(0));
    }

    #[test]
    fn code128_is_start_data_check_stop() {
        // Start B, 11 data characters, check, stop (13 modules).
        let bars = code128_modules("KTA-KOP-001").unwrap();
        assert_eq!(bars.len(), 11 + 11 * 11 + 11 + 13);
        assert_eq!(&bars[..11], &[1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0]); // Start B
        assert!(code128_modules("KOPI–1").is_err());
        assert!(code128_modules("").is_err());
    }

    #[test]
    fn a_document_is_a_pdf_with_its_pages() {
        let grid = Grid {
            columns: 1,
            rows: 1,
            width: 100.0,
            height: 100.0,
        };
        let mut document = Document::new("uji");
        let mut page = Document::grid_page(&grid);
        page.text(Font::Bold, 12.0, 10.0, 10.0, Align::Left, "Rp50.000");
        page.qr(b"MLG-0000", 0.0, 0.0, 80.0).unwrap();
        document.push(page);
        assert_eq!(document.page_count(), 1);
        let bytes = document.finish().unwrap();
        assert!(bytes.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("/Helvetica-Bold") && text.contains("/WinAnsiEncoding"));
    }
}
