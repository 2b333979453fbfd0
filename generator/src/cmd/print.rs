//! `galeri vouchers print`: the voucher cards of a codes file (as `galeri vouchers issue --out`
//! writes it) as an A4 PDF, ten cards of 85 × 55 mm a page with cut marks. Each card shows the
//! face value, expiry, batch and unit, the code in large grouped type and as a QR code that the
//! Kasir page's scanner reads (the grouped code itself, `MLG-XXXX-…`, which the Kasir field
//! accepts as typed). Every row is checked first, the check character included; a file with a
//! bad row prints nothing. The PDF holds the codes, so it is written readable by its owner only.

use crate::cli::PrintArgs;
use crate::content::diagnostics::{display_path, Diagnostics};
use crate::content::site::{parse_site, SiteConfig};
use crate::pdf::{Align, Document, Font, Grid, Page, MM};
use crate::render::filters::format_date;
use crate::render::urls;
use anyhow::Context;
use chrono::NaiveDate;
use galeri_vouchers::code::VoucherCode;
use galeri_vouchers::Money;
use std::collections::HashMap;
use std::path::Path;
use std::process::ExitCode;

/// The columns `vouchers issue` writes, in its order.
const COLUMNS: [&str; 5] = ["code", "amount", "expires", "batch", "unit"];

/// Ten cards of the common business-card size a page.
pub const CARDS: Grid = Grid {
    columns: 2,
    rows: 5,
    width: 85.0 * MM,
    height: 55.0 * MM,
};

/// One card, read from one row of the codes file.
#[derive(Debug)]
pub struct Card {
    pub code: VoucherCode,
    pub amount: Money,
    pub expires_on: NaiveDate,
    pub batch: String,
    pub unit: String,
}

pub fn run(args: PrintArgs) -> anyhow::Result<ExitCode> {
    let site = match read_site(&args.content)? {
        Ok(site) => site,
        Err(report) => {
            eprint!("{report}");
            eprintln!("Perbaiki site.yaml dulu; tidak ada yang dicetak.");
            return Ok(ExitCode::FAILURE);
        }
    };
    let file = display_path(&args.codes);
    let bytes =
        std::fs::read(&args.codes).with_context(|| format!("membaca {}", args.codes.display()))?;
    let cards = match read_cards(&file, &bytes) {
        Ok(cards) => cards,
        Err(problems) => {
            for problem in &problems {
                eprintln!("{problem}");
            }
            eprintln!(
                "{} masalah di {file}; tidak ada kartu yang dicetak. Pakai berkas kode persis \
                 seperti ditulis `galeri vouchers issue --out`.",
                problems.len()
            );
            return Ok(ExitCode::FAILURE);
        }
    };
    let document = cards_pdf(&cards, &site)?;
    let pages = document.page_count();
    let pdf = document.finish()?;
    // NamedTempFile is created 0600 and keeps that mode when it replaces the target: the cards
    // are as secret as the codes file.
    crate::content::proposal::write_atomically(&args.out, &pdf)
        .with_context(|| format!("menulis {}", args.out.display()))?;
    eprintln!(
        "{} kartu voucher ({pages} halaman A4) ditulis ke {}. Berkas ini memuat kode voucher: \
         simpan seperti uang tunai dan hapus setelah dicetak.",
        cards.len(),
        display_path(&args.out)
    );
    Ok(ExitCode::SUCCESS)
}

/// The site settings (title and address printed on the cards), or the problems in site.yaml.
fn read_site(content: &Path) -> anyhow::Result<Result<SiteConfig, String>> {
    let path = content.join("site.yaml");
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "membaca {} (judul dan alamat situs untuk kartu; folder konten lain: --content DIR)",
            path.display()
        )
    })?;
    let (site, diagnostics) = parse_site(&text, Path::new("site.yaml"));
    Ok(match site {
        Some(site) if diagnostics.is_empty() => Ok(site),
        _ => Err(Diagnostics::new(diagnostics).render(Default::default(), content)),
    })
}

/// Every row of a codes file as a card, or every problem as `file:row: message` (the row as a
/// spreadsheet numbers it: the heading is row 1). Codes are never repeated in full: a problem
/// names a code by its last four characters.
pub fn read_cards(file: &str, bytes: &[u8]) -> Result<Vec<Card>, Vec<String>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let heading = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    // A spreadsheet in the Indonesian locale saves with `;`.
    let separator = if heading.contains(&b';') && !heading.contains(&b',') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator)
        .flexible(true)
        .from_reader(bytes);
    let headings: Vec<String> = match reader.headers() {
        Ok(headings) => headings.iter().map(|h| h.trim().to_lowercase()).collect(),
        Err(error) => {
            return Err(vec![format!(
                "{file}:1: bukan berkas CSV yang terbaca ({error})"
            )])
        }
    };
    let mut index = HashMap::new();
    let mut problems = Vec::new();
    for column in COLUMNS {
        match headings.iter().position(|heading| heading == column) {
            Some(at) => {
                index.insert(column, at);
            }
            None => problems.push(format!(
                "{file}:1: kolom `{column}` tidak ada (berkas kode punya kolom {})",
                COLUMNS.join(",")
            )),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut cards = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let row = error.position().map_or(0, |position| position.line());
                problems.push(format!("{file}:{row}: baris tidak terbaca ({error})"));
                continue;
            }
        };
        let row = record.position().map_or(0, |position| position.line()) as usize;
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        let cell = |column: &str| {
            index
                .get(column)
                .and_then(|at| record.get(*at))
                .unwrap_or("")
                .trim()
        };
        let typed = cell("code");
        let code = match VoucherCode::parse(typed) {
            Ok(code) => Some(code),
            Err(_) if typed.is_empty() => {
                problems.push(format!("{file}:{row}: kode voucher kosong"));
                None
            }
            Err(error) => {
                problems.push(format!("{file}:{row}: kode …{}: {error}", tail(typed)));
                None
            }
        };
        if let Some(code) = &code {
            if let Some(first) = seen.insert(code.expose(), row) {
                problems.push(format!(
                    "{file}:{row}: kode …{} sama dengan kode di baris {first}",
                    code.hint()
                ));
            }
        }
        let amount = cell("amount")
            .parse::<i64>()
            .ok()
            .and_then(|rupiah| Money::new(rupiah).ok())
            .filter(|amount| !amount.is_zero());
        if amount.is_none() {
            problems.push(format!(
                "{file}:{row}: nilai voucher `{}` bukan rupiah bulat positif (mis. 50000)",
                cell("amount")
            ));
        }
        let expires_on = NaiveDate::parse_from_str(cell("expires"), "%Y-%m-%d").ok();
        if expires_on.is_none() {
            problems.push(format!(
                "{file}:{row}: tanggal berlaku `{}` bukan tanggal seperti 2026-12-31",
                cell("expires")
            ));
        }
        if let (Some(code), Some(amount), Some(expires_on)) = (code, amount, expires_on) {
            cards.push(Card {
                code,
                amount,
                expires_on,
                batch: cell("batch").to_owned(),
                unit: cell("unit").to_owned(),
            });
        }
    }
    if problems.is_empty() && cards.is_empty() {
        problems.push(format!("{file}: tidak ada kode voucher di berkas ini"));
    }
    if problems.is_empty() {
        Ok(cards)
    } else {
        Err(problems)
    }
}

/// The last four code characters of what was typed, dashes left out: enough to find the card,
/// too little to spend it.
fn tail(typed: &str) -> String {
    let chars: Vec<char> = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

/// The cards laid out ten to a page.
pub fn cards_pdf(cards: &[Card], site: &SiteConfig) -> anyhow::Result<Document> {
    let mut document = Document::new("Kartu voucher Galeri");
    let host = site
        .base_url
        .trim_end_matches('/')
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let balance_page = urls::APP_PAGES
        .iter()
        .find(|page| page.slug == "cek-saldo")
        .map_or("/cek-saldo/", |page| page.url);
    let footer = format!("Rahasiakan kode ini. Cek saldo di {host}{balance_page}");
    for page_cards in cards.chunks(CARDS.per_page()) {
        let mut page = Document::grid_page(&CARDS);
        for (index, card) in page_cards.iter().enumerate() {
            let (x, y) = CARDS.origin(index);
            draw_card(&mut page, x, y, card, &site.title, &footer)?;
        }
        document.push(page);
    }
    Ok(document)
}

/// One card with its lower left corner at (x, y).
fn draw_card(
    page: &mut Page,
    x: f32,
    y: f32,
    card: &Card,
    title: &str,
    footer: &str,
) -> anyhow::Result<()> {
    let (width, height) = (CARDS.width, CARDS.height);
    let pad = 5.0 * MM;
    let inner = width - 2.0 * pad;
    // The QR code's square (its quiet zone included) in the upper right corner.
    let qr_size = 25.0 * MM;
    let qr_x = x + width - 2.0 * MM - qr_size;
    let qr_y = y + height - 2.0 * MM - qr_size;
    page.qr(card.code.expose().as_bytes(), qr_x, qr_y, qr_size)?;
    let column = qr_x - (x + pad) - 1.0 * MM;

    let left = x + pad;
    let top = y + height - pad;
    page.text(
        Font::Bold,
        8.0,
        left,
        top - 6.0,
        Align::Left,
        "VOUCHER BELANJA",
    );
    let title_size = Font::Regular.fit(title, 7.0, 5.5, column);
    let title = Font::Regular.truncate(title, title_size, column);
    page.text(
        Font::Regular,
        title_size,
        left,
        top - 15.0,
        Align::Left,
        &title,
    );
    let amount = card.amount.format();
    let amount_size = Font::Bold.fit(&amount, 24.0, 14.0, column);
    page.text(
        Font::Bold,
        amount_size,
        left,
        top - 41.0,
        Align::Left,
        &amount,
    );
    let expires = format!("Berlaku s.d. {}", format_date(card.expires_on));
    let expires = Font::Regular.truncate(&expires, 7.5, column);
    page.text(Font::Regular, 7.5, left, top - 54.0, Align::Left, &expires);

    // Below the QR code the lines may use the whole width.
    let mut line = top - 64.0;
    for (label, value) in [("Batch", &card.batch), ("Unit", &card.unit)] {
        if value.is_empty() {
            continue;
        }
        let text = Font::Regular.truncate(&format!("{label}: {value}"), 7.5, inner);
        page.text(Font::Regular, 7.5, left, line, Align::Left, &text);
        line -= 9.5;
    }

    let code = card.code.expose();
    let code_size = Font::Bold.fit(&code, 17.0, 10.0, inner);
    page.text(
        Font::Regular,
        6.0,
        left,
        y + 38.0,
        Align::Left,
        "KODE VOUCHER",
    );
    page.text(
        Font::Bold,
        code_size,
        x + width / 2.0,
        y + 22.0,
        Align::Center,
        &code,
    );
    page.rule(left, y + 16.5, inner, 0.6);
    let footer_size = Font::Regular.fit(footer, 6.0, 4.5, inner);
    let footer = Font::Regular.truncate(footer, footer_size, inner);
    page.text(
        Font::Regular,
        footer_size,
        left,
        y + 8.5,
        Align::Left,
        &footer,
    );
    Ok(())
}

#[cfg(test)]
// Tests may panic: a panic is a failed test.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn code() -> String {
        VoucherCode::generate().unwrap().expose()
    }

    #[test]
    fn a_codes_file_becomes_cards() {
        let text = format!(
            "code,amount,expires,batch,unit\n{},50000,2026-12-31,2026-12 Dinas A,Dinas A\n{},200000,2027-01-31,\"B, C\",\n",
            code(),
            code()
        );
        let cards = read_cards("codes.csv", text.as_bytes()).unwrap();
        assert_eq!(cards.len(), 2);
        assert_eq!(cards[0].amount.format(), "Rp50.000");
        assert_eq!(cards[1].batch, "B, C");
        assert_eq!(cards[1].unit, "");
    }

    #[test]
    fn every_bad_row_is_reported_by_row_and_never_in_full() {
        let good = code();
        let mut tampered: Vec<char> = code().chars().collect();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == 'A' { 'B' } else { 'A' };
        let tampered: String = tampered.into_iter().collect();
        let text = format!(
            "\u{FEFF}code;amount;expires;batch;unit\n{good};50000;2026-12-31;x;\n{tampered};50000;2026-12-31;x;\n{good};5O000;31-12-2026;x;\n"
        );
        let problems = read_cards("codes.csv", text.as_bytes()).unwrap_err();
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(
            problems[0].starts_with("codes.csv:3: kode …"),
            "{problems:?}"
        );
        assert!(problems[0].contains("karakter pemeriksa"), "{problems:?}");
        assert!(problems[1].starts_with("codes.csv:4:") && problems[1].contains("baris 2"));
        assert!(problems[2].contains("`5O000`") && problems[3].contains("`31-12-2026`"));
        for problem in &problems {
            assert!(!problem.contains(&good) && !problem.contains(&tampered));
        }
    }

    #[test]
    fn a_file_without_the_columns_or_codes_is_refused() {
        let problems = read_cards("x.csv", b"kode,nilai\nabc,1\n").unwrap_err();
        assert!(
            problems[0].starts_with("x.csv:1: kolom `code`"),
            "{problems:?}"
        );
        let problems = read_cards("x.csv", b"code,amount,expires,batch,unit\n").unwrap_err();
        assert_eq!(problems, ["x.csv: tidak ada kode voucher di berkas ini"]);
    }
}
