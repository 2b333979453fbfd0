//! Content problems as the user sees them: `path:line:col: message (hint)`, in Indonesian or
//! English, sorted by file and position, with a one-line summary at the end.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The language of messages. It lives here, where messages are worded, so the content model
/// does not depend on the command line (which only parses `--lang`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Id,
    En,
}

/// A line/column pair, both counted from 1 as editors show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: usize,
    pub col: usize,
}

impl Position {
    /// The start of a file: used when a problem belongs to the file as a whole.
    pub const START: Position = Position { line: 1, col: 1 };
}

impl Default for Position {
    fn default() -> Self {
        Position::START
    }
}

/// What kind of value a key expects; used in "must be …" messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    Text,
    Integer,
    Boolean,
    TextList,
    Mapping,
    Date,
}

impl Expected {
    fn describe(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Expected::Text, Lang::Id) => "teks",
            (Expected::Text, Lang::En) => "text",
            (Expected::Integer, Lang::Id) => "bilangan bulat",
            (Expected::Integer, Lang::En) => "a whole number",
            (Expected::Boolean, Lang::Id) => "`true` atau `false`",
            (Expected::Boolean, Lang::En) => "`true` or `false`",
            (Expected::TextList, Lang::Id) => "daftar teks",
            (Expected::TextList, Lang::En) => "a list of text",
            (Expected::Mapping, Lang::Id) => "kumpulan kunci",
            (Expected::Mapping, Lang::En) => "a mapping of keys",
            (Expected::Date, Lang::Id) => "tanggal `YYYY-MM-DD`",
            (Expected::Date, Lang::En) => "a date `YYYY-MM-DD`",
        }
    }
}

/// Every kind of content problem. Messages are worded in `message`; variants carry only data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The file could not be read (permissions, not UTF-8, …).
    Unreadable {
        reason: String,
    },
    /// A required file (`site.yaml`, `categories.yaml`) or folder is absent.
    MissingFile,
    /// A `.md` file that does not start with a `---` line.
    NoFrontMatter,
    /// The opening `---` has no closing `---`.
    UnclosedFrontMatter,
    /// YAML the parser rejected; `detail` is the parser's own explanation.
    Yaml {
        detail: String,
    },
    /// `data/transparency.json` is not an export this program reads.
    TransparencyData {
        detail: String,
    },
    /// The front matter (or a nested value) is not a mapping of keys.
    NotMapping,
    /// `categories.yaml` is not a list.
    NotList,
    UnknownKey {
        key: String,
    },
    MissingKey {
        key: String,
    },
    WrongType {
        key: String,
        expected: Expected,
    },
    EmptyValue {
        key: String,
    },
    /// A product or producer file in the wrong place.
    MisplacedFile {
        expected: &'static str,
    },
    BadSlug {
        slug: String,
    },
    BadSku {
        sku: String,
    },
    PriceNotWhole,
    PriceNotPositive {
        price: i64,
    },
    UnknownProducer {
        slug: String,
    },
    UnknownCategory {
        slug: String,
    },
    UnknownKecamatan {
        name: String,
    },
    DuplicateSku {
        sku: String,
        first: PathBuf,
    },
    DuplicateSlug {
        slug: String,
        first: PathBuf,
    },
    DuplicateCategory {
        slug: String,
    },
    ReservedSlug {
        slug: String,
    },
    Nib {
        value: String,
    },
    PirtFormat {
        value: String,
    },
    PirtExpired {
        year: i32,
    },
    PirtTooFar {
        year: i32,
    },
    BpomFormat {
        value: String,
    },
    HalalFormat {
        value: String,
    },
    HalalKh {
        value: String,
    },
    HalalAndNonHalal,
    FoodNeedsPermit {
        category: String,
    },
    FoodNeedsHalal {
        category: String,
    },
    ImageMissing {
        file: String,
    },
    NotAnImage {
        file: String,
    },
    PathEscapes {
        file: String,
    },
    WhatsApp {
        value: String,
    },
    Email {
        value: String,
    },
    BaseUrl {
        value: String,
    },
    Language {
        value: String,
    },
    Year {
        year: i64,
    },
    BadDate {
        value: String,
    },
    ProductsPerPage {
        value: i64,
    },
    /// A file that `galeri new` or `galeri import` would create already exists.
    FileExists,
    /// A spreadsheet that is not UTF-8 text.
    NotUtf8,
    /// A CSV the reader could not split (`detail` from the csv crate).
    Csv {
        detail: String,
    },
    /// A spreadsheet saved with tabs between its columns.
    TabSeparated,
    /// A CSV column heading that no field declares.
    UnknownColumn {
        column: String,
    },
    /// A CSV column heading written twice.
    DuplicateColumn {
        column: String,
    },
    /// A column every row needs is not in the heading row.
    MissingColumn {
        column: String,
    },
    /// A row with fewer or more cells than the heading row.
    RowLength {
        found: usize,
        expected: usize,
    },
    /// A required cell left empty.
    EmptyCell {
        column: String,
    },
    /// The same SKU in two rows of one spreadsheet.
    DuplicateSkuRow {
        sku: String,
        row: usize,
    },
    /// Two rows of one spreadsheet that would create the same page.
    DuplicateSlugRow {
        slug: String,
        row: usize,
    },
    /// A row that would rename an existing page.
    SlugChange {
        slug: String,
        file: PathBuf,
    },
}

/// A suggestion printed after the message, in parentheses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hint {
    /// "did you mean `price`?"
    DidYouMean(String),
    /// "write it as `45000`"
    WriteAs(String),
    /// "known keys: a, b, c"
    KnownKeys(Vec<&'static str>),
    /// The 33 kecamatan, too long to list: point at the list instead.
    SeeKecamatanList,
    /// A row split by another separator than the heading row.
    Separator { row: char, heading: char },
}

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Relative to the content folder, e.g. `products/kopi/robusta.md`.
    pub path: PathBuf,
    pub position: Position,
    pub problem: Problem,
    pub hint: Option<Hint>,
}

impl Diagnostic {
    pub fn new(path: impl Into<PathBuf>, position: Position, problem: Problem) -> Diagnostic {
        Diagnostic {
            path: path.into(),
            position,
            problem,
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: Option<Hint>) -> Diagnostic {
        self.hint = hint;
        self
    }

    /// `message (hint)` in the chosen language, without the location.
    pub fn message(&self, lang: Lang) -> String {
        let mut text = message(&self.problem, lang);
        if let Some(hint) = &self.hint {
            let _ = write!(text, " ({})", hint_text(hint, lang));
        }
        text
    }
}

/// All problems of one run, kept sorted by path and position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new(mut items: Vec<Diagnostic>) -> Diagnostics {
        items.sort_by(|a, b| {
            (&a.path, a.position, message(&a.problem, Lang::En)).cmp(&(
                &b.path,
                b.position,
                message(&b.problem, Lang::En),
            ))
        });
        items.dedup();
        Diagnostics { items }
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn items(&self) -> &[Diagnostic] {
        &self.items
    }

    /// Number of distinct files with at least one problem.
    pub fn file_count(&self) -> usize {
        self.items
            .iter()
            .map(|item| &item.path)
            .collect::<BTreeSet<_>>()
            .len()
    }

    /// The full report: one `path:line:col: message` line per problem, then the summary line.
    /// `content` is the content folder as the user typed it, so paths can be opened as printed.
    pub fn render(&self, lang: Lang, content: &Path) -> String {
        let mut out = String::new();
        for item in &self.items {
            let path = content.join(&item.path);
            let _ = writeln!(
                out,
                "{}:{}:{}: {}",
                display_path(&path),
                item.position.line,
                item.position.col,
                item.message(lang)
            );
        }
        out.push_str(&self.summary(lang));
        out.push('\n');
        out
    }

    /// `3 masalah ditemukan di 2 berkas.` / `3 problems in 2 files.`
    pub fn summary(&self, lang: Lang) -> String {
        let problems = self.len();
        let files = self.file_count();
        match lang {
            Lang::Id => format!("{problems} masalah ditemukan di {files} berkas."),
            Lang::En => format!(
                "{problems} {} in {files} {}.",
                if problems == 1 { "problem" } else { "problems" },
                if files == 1 { "file" } else { "files" }
            ),
        }
    }
}

/// Forward slashes on every platform, without a leading `./`.
pub fn display_path(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    text.strip_prefix("./").map(str::to_owned).unwrap_or(text)
}

/// The closest candidate by edit distance, if it is close enough to be a likely typo. Ties go to
/// the alphabetically first candidate, so the hint does not depend on iteration order.
pub fn did_you_mean<'a, I>(given: &str, candidates: I) -> Option<Hint>
where
    I: IntoIterator<Item = &'a str>,
{
    let given_lower = given.to_lowercase();
    candidates
        .into_iter()
        .map(|candidate| {
            (
                strsim::normalized_damerau_levenshtein(&given_lower, &candidate.to_lowercase()),
                candidate,
            )
        })
        .filter(|(score, _)| *score >= 0.5)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, candidate)| Hint::DidYouMean(candidate.to_owned()))
}

fn hint_text(hint: &Hint, lang: Lang) -> String {
    match (hint, lang) {
        (Hint::DidYouMean(word), Lang::Id) => format!("maksud Anda `{word}`?"),
        (Hint::DidYouMean(word), Lang::En) => format!("did you mean `{word}`?"),
        (Hint::WriteAs(text), Lang::Id) => format!("tulis `{text}`"),
        (Hint::WriteAs(text), Lang::En) => format!("write `{text}`"),
        (Hint::KnownKeys(keys), Lang::Id) => format!("kunci yang dikenal: {}", keys.join(", ")),
        (Hint::KnownKeys(keys), Lang::En) => format!("known keys: {}", keys.join(", ")),
        (Hint::SeeKecamatanList, Lang::Id) => {
            "lihat daftar 33 kecamatan Kabupaten Malang di DOMAIN.md".to_owned()
        }
        (Hint::SeeKecamatanList, Lang::En) => {
            "see the 33 kecamatan of Kabupaten Malang in DOMAIN.md".to_owned()
        }
        (Hint::Separator { row, heading }, Lang::Id) => {
            format!("baris ini dipisah dengan `{row}`, padahal baris judul dengan `{heading}`")
        }
        (Hint::Separator { row, heading }, Lang::En) => {
            format!("this row is split by `{row}` but the heading row by `{heading}`")
        }
    }
}

fn message(problem: &Problem, lang: Lang) -> String {
    use Problem as P;
    let id = lang == Lang::Id;
    match problem {
        P::Unreadable { reason } => {
            if id {
                format!("berkas tidak dapat dibaca: {reason}")
            } else {
                format!("cannot read the file: {reason}")
            }
        }
        P::MissingFile => pick(id, "berkas ini wajib ada", "this file is required"),
        P::NoFrontMatter => pick(
            id,
            "front matter tidak ada: berkas harus diawali baris `---`",
            "no front matter: the file must start with a `---` line",
        ),
        P::UnclosedFrontMatter => pick(
            id,
            "front matter tidak ditutup dengan baris `---`",
            "front matter is not closed by a `---` line",
        ),
        P::Yaml { detail } => {
            if id {
                format!("YAML tidak valid: {detail}")
            } else {
                format!("invalid YAML: {detail}")
            }
        }
        P::TransparencyData { detail } => {
            if id {
                format!("data transparansi tidak terbaca: {detail} (tulis ulang dengan `galeri report transparency`, jangan diubah dengan tangan)")
            } else {
                format!("unreadable transparency data: {detail} (write it again with `galeri report transparency`; do not edit it by hand)")
            }
        }
        P::NotMapping => pick(
            id,
            "harus berupa kumpulan kunci (`kunci: nilai`)",
            "must be a mapping of keys (`key: value`)",
        ),
        P::NotList => pick(
            id,
            "harus berupa daftar (`- slug: …`)",
            "must be a list (`- slug: …`)",
        ),
        P::UnknownKey { key } => {
            if id {
                format!("kunci tidak dikenal `{key}`")
            } else {
                format!("unknown key `{key}`")
            }
        }
        P::MissingKey { key } => {
            if id {
                format!("kunci wajib `{key}` tidak ada")
            } else {
                format!("required key `{key}` is missing")
            }
        }
        P::WrongType { key, expected } => {
            if id {
                format!("`{key}` harus berupa {}", expected.describe(lang))
            } else {
                format!("`{key}` must be {}", expected.describe(lang))
            }
        }
        P::EmptyValue { key } => {
            if id {
                format!("`{key}` tidak boleh kosong")
            } else {
                format!("`{key}` must not be empty")
            }
        }
        P::MisplacedFile { expected } => {
            if id {
                format!("letak berkas salah: seharusnya {expected}")
            } else {
                format!("file in the wrong place: expected {expected}")
            }
        }
        P::BadSlug { slug } => {
            if id {
                format!(
                    "slug `{slug}` harus huruf kecil, angka dan tanda hubung (mis. `kopi-dampit`)"
                )
            } else {
                format!("slug `{slug}` must be lowercase letters, digits and dashes (e.g. `kopi-dampit`)")
            }
        }
        P::BadSku { sku } => {
            if id {
                format!("SKU `{sku}` harus 3–32 huruf besar, angka atau tanda hubung")
            } else {
                format!("SKU `{sku}` must be 3–32 capital letters, digits or dashes")
            }
        }
        P::PriceNotWhole => pick(
            id,
            "`price` harus bilangan bulat rupiah, tanpa `Rp`, titik atau desimal",
            "`price` must be a whole number of rupiah, without `Rp`, dots or decimals",
        ),
        P::PriceNotPositive { price } => {
            if id {
                format!("`price` harus lebih dari nol (tertulis {price})")
            } else {
                format!("`price` must be more than zero (got {price})")
            }
        }
        P::UnknownProducer { slug } => {
            if id {
                format!("produsen `{slug}` tidak ada di producers/")
            } else {
                format!("producer `{slug}` does not exist in producers/")
            }
        }
        P::UnknownCategory { slug } => {
            if id {
                format!("kategori `{slug}` tidak ada di categories.yaml")
            } else {
                format!("category `{slug}` does not exist in categories.yaml")
            }
        }
        P::UnknownKecamatan { name } => {
            if id {
                format!("`{name}` bukan kecamatan di Kabupaten Malang")
            } else {
                format!("`{name}` is not a kecamatan of Kabupaten Malang")
            }
        }
        P::DuplicateSku { sku, first } => {
            if id {
                format!("SKU `{sku}` sudah dipakai di {}", display_path(first))
            } else {
                format!("SKU `{sku}` is already used in {}", display_path(first))
            }
        }
        P::DuplicateSlug { slug, first } => {
            if id {
                format!("slug `{slug}` sudah dipakai di {}", display_path(first))
            } else {
                format!("slug `{slug}` is already used in {}", display_path(first))
            }
        }
        P::DuplicateCategory { slug } => {
            if id {
                format!("kategori `{slug}` ditulis lebih dari sekali")
            } else {
                format!("category `{slug}` is listed more than once")
            }
        }
        P::ReservedSlug { slug } => {
            if id {
                format!("slug `{slug}` sudah dipakai oleh situs; pilih nama lain")
            } else {
                format!("slug `{slug}` is reserved by the site; choose another")
            }
        }
        P::Nib { value } => {
            if id {
                format!("NIB `{value}` harus 13 angka")
            } else {
                format!("NIB `{value}` must be 13 digits")
            }
        }
        P::PirtFormat { value } => {
            if id {
                format!("P-IRT `{value}` harus 15 angka dengan format `1234567890123-45`")
            } else {
                format!("P-IRT `{value}` must be 15 digits written `1234567890123-45`")
            }
        }
        P::PirtExpired { year } => {
            if id {
                format!("P-IRT sudah kedaluwarsa (berlaku sampai {year})")
            } else {
                format!("P-IRT has expired (valid until {year})")
            }
        }
        P::PirtTooFar { year } => {
            if id {
                format!("tahun berlaku P-IRT {year} mustahil: P-IRT berlaku 5 tahun")
            } else {
                format!("P-IRT expiry year {year} is impossible: a P-IRT is valid for 5 years")
            }
        }
        P::BpomFormat { value } => {
            if id {
                format!("nomor BPOM `{value}` harus `MD` atau `ML` diikuti 12 atau 15 angka")
            } else {
                format!("BPOM number `{value}` must be `MD` or `ML` followed by 12 or 15 digits")
            }
        }
        P::HalalFormat { value } => {
            if id {
                format!("sertifikat halal `{value}` harus `ID` diikuti angka (panjang pasti belum terkonfirmasi)")
            } else {
                format!("halal certificate `{value}` must be `ID` followed by digits (exact length unconfirmed)")
            }
        }
        P::HalalKh { value } => {
            if id {
                format!("`{value}` adalah nomor ketetapan halal (KH), bukan sertifikat halal; tulis nomor sertifikat `ID…`")
            } else {
                format!("`{value}` is a halal decree (KH) number, not a halal certificate; write the `ID…` certificate number")
            }
        }
        P::HalalAndNonHalal => pick(
            id,
            "`halal` dan `non_halal: true` tidak boleh bersamaan",
            "`halal` and `non_halal: true` cannot both be set",
        ),
        P::FoodNeedsPermit { category } => {
            if id {
                format!("produk pangan (kategori `{category}`) wajib punya `pirt` atau `bpom`")
            } else {
                format!("food product (category `{category}`) needs `pirt` or `bpom`")
            }
        }
        P::FoodNeedsHalal { category } => {
            if id {
                format!("produk pangan (kategori `{category}`) wajib punya `halal` atau `non_halal: true`")
            } else {
                format!("food product (category `{category}`) needs `halal` or `non_halal: true`")
            }
        }
        P::ImageMissing { file } => {
            if id {
                format!("gambar `{file}` tidak ditemukan")
            } else {
                format!("image `{file}` not found")
            }
        }
        P::NotAnImage { file } => {
            if id {
                format!("`{file}` bukan gambar (JPEG, PNG, WebP atau GIF)")
            } else {
                format!("`{file}` is not an image (JPEG, PNG, WebP or GIF)")
            }
        }
        P::PathEscapes { file } => {
            if id {
                format!("`{file}` berada di luar folder content/")
            } else {
                format!("`{file}` is outside the content/ folder")
            }
        }
        P::WhatsApp { value } => {
            if id {
                format!(
                    "nomor WhatsApp `{value}` bukan nomor ponsel Indonesia (08…, +628… atau 628…)"
                )
            } else {
                format!("WhatsApp number `{value}` is not an Indonesian mobile number (08…, +628… or 628…)")
            }
        }
        P::Email { value } => {
            if id {
                format!("alamat email `{value}` tidak valid")
            } else {
                format!("email address `{value}` is not valid")
            }
        }
        P::BaseUrl { value } => {
            if id {
                format!(
                    "`base_url` `{value}` harus URL lengkap yang diawali `https://` atau `http://`"
                )
            } else {
                format!(
                    "`base_url` `{value}` must be a full URL starting with `https://` or `http://`"
                )
            }
        }
        P::Language { value } => {
            if id {
                format!("bahasa `{value}` tidak didukung; hanya `id`")
            } else {
                format!("language `{value}` is not supported; only `id`")
            }
        }
        P::Year { year } => {
            if id {
                format!("tahun {year} tidak masuk akal")
            } else {
                format!("year {year} is not plausible")
            }
        }
        P::BadDate { value } => {
            if id {
                format!("tanggal `{value}` harus berformat `YYYY-MM-DD`")
            } else {
                format!("date `{value}` must be written `YYYY-MM-DD`")
            }
        }
        P::ProductsPerPage { value } => {
            if id {
                format!("`products_per_page` harus antara 1 dan 500 (tertulis {value})")
            } else {
                format!("`products_per_page` must be between 1 and 500 (got {value})")
            }
        }
        P::FileExists => pick(
            id,
            "berkas ini sudah ada; tidak ditimpa",
            "this file already exists; not overwritten",
        ),
        P::NotUtf8 => pick(
            id,
            "berkas bukan teks UTF-8 (simpan sebagai \"CSV UTF-8\")",
            "the file is not UTF-8 text (save it as \"CSV UTF-8\")",
        ),
        P::Csv { detail } => {
            if id {
                format!("CSV tidak dapat dibaca: {detail}")
            } else {
                format!("cannot read the CSV: {detail}")
            }
        }
        P::TabSeparated => pick(
            id,
            "kolom dipisah dengan tab; simpan sebagai CSV dengan pemisah `,` atau `;`",
            "columns are separated by tabs; save it as CSV with `,` or `;`",
        ),
        P::UnknownColumn { column } => {
            if id {
                format!("kolom tidak dikenal `{column}`")
            } else {
                format!("unknown column `{column}`")
            }
        }
        P::DuplicateColumn { column } => {
            if id {
                format!("kolom `{column}` ditulis lebih dari sekali")
            } else {
                format!("column `{column}` is written more than once")
            }
        }
        P::MissingColumn { column } => {
            if id {
                format!("kolom wajib `{column}` tidak ada di baris judul")
            } else {
                format!("required column `{column}` is missing from the heading row")
            }
        }
        P::RowLength { found, expected } => {
            if id {
                format!("baris ini punya {found} kolom, seharusnya {expected}")
            } else {
                let columns = if *found == 1 { "column" } else { "columns" };
                format!("this row has {found} {columns}, expected {expected}")
            }
        }
        P::EmptyCell { column } => {
            if id {
                format!("kolom `{column}` wajib diisi")
            } else {
                format!("column `{column}` must be filled in")
            }
        }
        P::DuplicateSkuRow { sku, row } => {
            if id {
                format!("SKU `{sku}` sudah dipakai di baris {row}")
            } else {
                format!("SKU `{sku}` is already used in row {row}")
            }
        }
        P::DuplicateSlugRow { slug, row } => {
            if id {
                format!("slug `{slug}` sudah dipakai di baris {row}")
            } else {
                format!("slug `{slug}` is already used in row {row}")
            }
        }
        P::SlugChange { slug, file } => {
            if id {
                format!(
                    "slug `{slug}` berbeda dari berkas {} untuk SKU ini; ganti nama berkas secara langsung, bukan lewat impor",
                    display_path(file)
                )
            } else {
                format!(
                    "slug `{slug}` differs from {}, the file of this SKU; rename the file itself, not by import",
                    display_path(file)
                )
            }
        }
    }
}

fn pick(id: bool, indonesian: &str, english: &str) -> String {
    if id { indonesian } else { english }.to_owned()
}

#[cfg(test)]
// Tests may panic: a panic is a failed test.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn renders_sorted_lines_and_summary() {
        let diagnostics = Diagnostics::new(vec![
            Diagnostic::new(
                "products/b/x.md",
                Position { line: 3, col: 1 },
                Problem::UnknownKey {
                    key: "prise".into(),
                },
            )
            .with_hint(Some(Hint::DidYouMean("price".into()))),
            Diagnostic::new(
                "categories.yaml",
                Position { line: 2, col: 3 },
                Problem::MissingKey { key: "name".into() },
            ),
        ]);
        assert_eq!(
            diagnostics.render(Lang::En, Path::new("content")),
            "content/categories.yaml:2:3: required key `name` is missing\n\
             content/products/b/x.md:3:1: unknown key `prise` (did you mean `price`?)\n\
             2 problems in 2 files.\n"
        );
        assert!(diagnostics
            .render(Lang::Id, Path::new("content"))
            .ends_with("kunci tidak dikenal `prise` (maksud Anda `price`?)\n2 masalah ditemukan di 2 berkas.\n"));
    }

    #[test]
    fn suggests_only_close_words() {
        let keys = ["name", "price", "sku"];
        assert_eq!(
            did_you_mean("prise", keys),
            Some(Hint::DidYouMean("price".into()))
        );
        assert_eq!(did_you_mean("colour", keys), None);
    }
}
