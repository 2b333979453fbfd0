//! `galeri import products.csv`: creates or updates product pages from a spreadsheet. The
//! columns are the product schema's keys (plus `slug`, the file name); a row is matched to its
//! page by SKU. Every row is checked with the rules of `galeri check` and every problem is
//! reported as `products.csv:row:column` before the first file is written; each file is then
//! replaced atomically, with its Markdown body kept. Columns left out of the sheet keep the
//! page's values, so a sheet of just `sku,price` updates prices.

use crate::cli::{ImportArgs, Lang};
use crate::content::diagnostics::{
    did_you_mean, display_path, Diagnostic, Diagnostics, Hint, Position, Problem,
};
use crate::content::frontmatter;
use crate::content::proposal::{self, Proposed};
use crate::content::schema::PRODUCT;
use crate::content::table::{
    cells_from_yaml, columns, normalize, write_front_matter, Cells, Column, Written,
};
use crate::content::{is_slug, read_all, slug_from, Loaded};
use crate::site::today_wib;
use anyhow::Context;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The file name column: not a key of the page but its place.
pub(crate) const SLUG: &str = "slug";
/// The producer column: the folder, or the page's `producer:` key when they differ.
pub(crate) const PRODUCER: &str = "producer";

/// The sheet's headings in order: where the page is (producer, slug), then its keys.
pub(crate) fn headings() -> Vec<&'static str> {
    let mut headings = vec![PRODUCER, SLUG];
    headings.extend(
        columns(PRODUCT.fields)
            .into_iter()
            .map(|column| column.name)
            .filter(|name| *name != PRODUCER),
    );
    headings
}

pub fn run(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let lang = args.lang;
    let sheet = display_path(&args.file);
    let bytes =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let loaded = read_all(&args.content, today_wib()).map_err(|_| {
        anyhow::anyhow!(
            "the content folder {} does not exist",
            args.content.display()
        )
    })?;
    let plan = match plan(&bytes, &loaded) {
        Ok(plan) => plan,
        Err(problems) => {
            let problems: Vec<Diagnostic> = problems
                .into_iter()
                .map(|(position, problem, hint)| {
                    Diagnostic::new(&sheet, position, problem).with_hint(hint)
                })
                .collect();
            let diagnostics = Diagnostics::new(problems);
            eprint!("{}", diagnostics.render(lang, Path::new("")));
            eprintln!(
                "{}",
                pick(
                    lang,
                    "Tidak ada berkas yang ditulis.",
                    "No file was written."
                )
            );
            return Ok(ExitCode::FAILURE);
        }
    };
    for change in &plan.changes {
        let path = display_path(&args.content.join(&change.page.file));
        let line = match &change.kind {
            Kind::New => pick(lang, &format!("baru   {path}"), &format!("new     {path}")),
            Kind::Changed(columns) => pick(
                lang,
                &format!("ubah   {path} ({})", columns.join(", ")),
                &format!("change  {path} ({})", columns.join(", ")),
            ),
        };
        println!("{line}");
    }
    let new = plan
        .changes
        .iter()
        .filter(|change| matches!(change.kind, Kind::New))
        .count();
    let changed = plan.changes.len() - new;
    if args.dry_run {
        println!(
            "{}",
            pick(
                lang,
                &format!(
                    "{} baris: {new} produk baru, {changed} diubah, {} tetap. Uji coba: tidak ada yang ditulis.",
                    plan.rows, plan.unchanged
                ),
                &format!(
                    "{} rows: {new} new products, {changed} changed, {} unchanged. Dry run: nothing written.",
                    plan.rows, plan.unchanged
                ),
            )
        );
        return Ok(ExitCode::SUCCESS);
    }
    for change in &plan.changes {
        let path = args.content.join(&change.page.file);
        proposal::write_atomically(&path, change.page.text.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    println!(
        "{}",
        pick(
            lang,
            &format!(
                "{} baris: {new} produk baru, {changed} diubah, {} tetap.",
                plan.rows, plan.unchanged
            ),
            &format!(
                "{} rows: {new} new products, {changed} changed, {} unchanged.",
                plan.rows, plan.unchanged
            ),
        )
    );
    Ok(ExitCode::SUCCESS)
}

/// What an import will write.
#[derive(Debug)]
pub struct Plan {
    pub rows: usize,
    pub unchanged: usize,
    pub changes: Vec<Change>,
}

#[derive(Debug)]
pub struct Change {
    pub page: Proposed,
    pub kind: Kind,
}

#[derive(Debug)]
pub enum Kind {
    New,
    /// The headings of the cells that differ.
    Changed(Vec<&'static str>),
}

type Problems = Vec<(Position, Problem, Option<Hint>)>;

/// One row of the sheet, read and placed.
struct Row {
    line: usize,
    /// The cell of each heading, by heading index.
    cells: Vec<String>,
}

/// Reads the sheet and decides every page it writes, or returns every problem found.
pub fn plan(bytes: &[u8], loaded: &Loaded) -> Result<Plan, Problems> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(vec![(Position::START, Problem::NotUtf8, None)]);
    };
    let separator = detect_separator(text);
    let other = if separator == b',' { ';' } else { ',' };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = Vec::new();
    for record in reader.records() {
        match record {
            Ok(record) => records.push(record),
            Err(error) => {
                let line = error
                    .position()
                    .map_or(1, |position| usize::try_from(position.line()).unwrap_or(1));
                let detail = error.to_string();
                return Err(vec![(
                    Position { line, col: 1 },
                    Problem::Csv { detail },
                    None,
                )]);
            }
        }
    }
    let mut records = records.into_iter();
    let Some(heading_record) = records.next() else {
        return Err(vec![(
            Position::START,
            Problem::MissingColumn {
                column: "sku".into(),
            },
            None,
        )]);
    };
    let heading_line = heading_record
        .position()
        .map_or(1, |position| usize::try_from(position.line()).unwrap_or(1));
    let known = headings();
    if heading_record.iter().any(|name| name.contains('\t')) {
        return Err(vec![(
            Position {
                line: heading_line,
                col: 1,
            },
            Problem::TabSeparated,
            None,
        )]);
    }
    let mut problems: Problems = Vec::new();
    let mut heading: Vec<&'static str> = Vec::new();
    for (index, name) in heading_record.iter().enumerate() {
        let name = name.trim();
        let position = Position {
            line: heading_line,
            col: index + 1,
        };
        match known.iter().find(|known| **known == name) {
            Some(known) if heading.contains(known) => problems.push((
                position,
                Problem::DuplicateColumn {
                    column: name.to_owned(),
                },
                None,
            )),
            Some(known) => heading.push(known),
            None => {
                let hint = did_you_mean(name, known.iter().copied());
                let hint = hint.or_else(|| {
                    name.contains(other).then_some(Hint::Separator {
                        row: other,
                        heading: char::from(separator),
                    })
                });
                problems.push((
                    position,
                    Problem::UnknownColumn {
                        column: name.to_owned(),
                    },
                    hint,
                ));
            }
        }
    }
    if !heading.contains(&"sku") && problems.is_empty() {
        problems.push((
            Position {
                line: heading_line,
                col: 1,
            },
            Problem::MissingColumn {
                column: "sku".into(),
            },
            None,
        ));
    }
    if !problems.is_empty() {
        // Without a sound heading row no cell can be read.
        return Err(problems);
    }

    let mut rows = Vec::new();
    for record in records {
        let line = record
            .position()
            .map_or(0, |position| usize::try_from(position.line()).unwrap_or(0));
        // Spreadsheets save empty rows below the table as separators alone.
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        if record.len() != heading.len() {
            let col = record.len().min(heading.len()) + 1;
            let hint = record
                .iter()
                .any(|cell| cell.contains(other))
                .then_some(Hint::Separator {
                    row: other,
                    heading: char::from(separator),
                });
            problems.push((
                Position { line, col },
                Problem::RowLength {
                    found: record.len(),
                    expected: heading.len(),
                },
                hint,
            ));
            continue;
        }
        rows.push(Row {
            line,
            cells: record.iter().map(str::to_owned).collect(),
        });
    }

    // Rows with problems of their own are left out of the rest of the checks; the others are
    // still checked, so one run reports every problem.
    let planned = place_rows(&heading, &rows, loaded, &mut problems);
    let unchanged = planned.unchanged;
    let changes = planned.changes;
    // Every rule of `galeri check`, on all the pages at once (they may refer to each other).
    let proposed: Vec<Proposed> = changes
        .iter()
        .map(|(change, _, _)| change.page.clone())
        .collect();
    let by_file: HashMap<&Path, (&Row, &Written)> = changes
        .iter()
        .map(|(change, row, written)| (change.page.file.as_path(), (*row, written)))
        .collect();
    for diagnostic in proposal::check_products(loaded, &proposed) {
        let Some((row, written)) = by_file.get(diagnostic.path.as_path()) else {
            continue;
        };
        let path = proposal::field_of(&diagnostic, written);
        let column = path.as_deref().and_then(|path| heading_of(path));
        let index = column.and_then(|column| heading.iter().position(|name| *name == column));
        let problem = match (&diagnostic.problem, column, index) {
            (Problem::MissingKey { .. }, Some(column), Some(_)) => Problem::EmptyCell {
                column: column.to_owned(),
            },
            (Problem::MissingKey { .. }, Some(column), None) => Problem::MissingColumn {
                column: column.to_owned(),
            },
            (problem, _, _) => problem.clone(),
        };
        let hint = proposal::value_hint(diagnostic.hint.as_ref(), path.as_deref());
        problems.push((
            Position {
                line: row.line,
                col: index.map_or(1, |index| index + 1),
            },
            problem,
            hint,
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Plan {
        rows: rows.len(),
        unchanged,
        changes: changes.into_iter().map(|(change, _, _)| change).collect(),
    })
}

struct Placed<'r> {
    unchanged: usize,
    changes: Vec<(Change, &'r Row, Written)>,
}

/// Matches each row to its page (by SKU, else a new page) and writes the page it would become;
/// rows equal to their page are counted, not written.
fn place_rows<'r>(
    heading: &[&'static str],
    rows: &'r [Row],
    loaded: &Loaded,
    problems: &mut Problems,
) -> Placed<'r> {
    let all_columns = columns(PRODUCT.fields);
    let column_of = |name: &str| all_columns.iter().find(|column| column.name == name);
    let index_of = |name: &str| heading.iter().position(|heading| *heading == name);
    let at = |row: &Row, name: &str| Position {
        line: row.line,
        col: index_of(name).map_or(1, |index| index + 1),
    };
    let cell = |row: &'r Row, name: &str| -> Option<&'r str> {
        index_of(name).map(|index| row.cells[index].trim())
    };
    let by_sku: HashMap<&str, &crate::content::product::Product> = loaded
        .products
        .iter()
        .map(|product| (product.sku.as_str(), product))
        .collect();
    let mut sku_rows: HashMap<String, usize> = HashMap::new();
    let mut new_pages: HashMap<PathBuf, usize> = HashMap::new();
    let mut placed = Placed {
        unchanged: 0,
        changes: Vec::new(),
    };
    for row in rows {
        let sku = cell(row, "sku").unwrap_or("");
        if sku.is_empty() {
            problems.push((
                at(row, "sku"),
                Problem::EmptyCell {
                    column: "sku".into(),
                },
                None,
            ));
            continue;
        }
        if let Some(first) = sku_rows.get(sku) {
            problems.push((
                at(row, "sku"),
                Problem::DuplicateSkuRow {
                    sku: sku.to_owned(),
                    row: *first,
                },
                None,
            ));
            continue;
        }
        sku_rows.insert(sku.to_owned(), row.line);
        let given_producer = cell(row, PRODUCER).filter(|cell| !cell.is_empty());
        let given_slug = cell(row, SLUG).filter(|cell| !cell.is_empty());

        // The page as it is, if this SKU has one.
        let existing = by_sku.get(sku).and_then(|product| {
            let text = std::fs::read_to_string(loaded.root.content.join(&product.file)).ok()?;
            let parts = frontmatter::split(&text).ok()?;
            let value: serde_yaml::Value = serde_yaml::from_str(parts.yaml).ok()?;
            Some((
                *product,
                cells_from_yaml(PRODUCT.fields, &value),
                parts.body.to_owned(),
            ))
        });
        let (file, folder, mut cells, body, before) = match existing {
            Some((product, cells, body)) => {
                if let Some(slug) = given_slug.filter(|slug| *slug != product.slug) {
                    problems.push((
                        at(row, SLUG),
                        Problem::SlugChange {
                            slug: slug.to_owned(),
                            file: product.file.clone(),
                        },
                        None,
                    ));
                    continue;
                }
                let folder = proposal::product_place(&product.file)
                    .map(|(folder, _)| folder)
                    .unwrap_or_default();
                let mut before = cells.clone();
                before.insert(PRODUCER.into(), product.producer.clone());
                (product.file.clone(), folder, cells, body, Some(before))
            }
            None => {
                let Some(producer) = given_producer else {
                    problems.push((
                        at(row, PRODUCER),
                        Problem::EmptyCell {
                            column: PRODUCER.into(),
                        },
                        None,
                    ));
                    continue;
                };
                if !is_slug(producer) {
                    let hint =
                        did_you_mean(producer, loaded.producer_slugs.iter().map(String::as_str));
                    problems.push((
                        at(row, PRODUCER),
                        Problem::UnknownProducer {
                            slug: producer.to_owned(),
                        },
                        hint,
                    ));
                    continue;
                }
                let slug = given_slug
                    .map(str::to_owned)
                    .unwrap_or_else(|| slug_from(cell(row, "name").unwrap_or("")));
                if !is_slug(&slug) {
                    problems.push((at(row, SLUG), Problem::BadSlug { slug }, None));
                    continue;
                }
                let file = PathBuf::from("products")
                    .join(producer)
                    .join(format!("{slug}.md"));
                if let Some(first) = new_pages.get(&file) {
                    problems.push((
                        at(row, SLUG),
                        Problem::DuplicateSlugRow {
                            slug: format!("{producer}/{slug}"),
                            row: *first,
                        },
                        None,
                    ));
                    continue;
                }
                new_pages.insert(file.clone(), row.line);
                if loaded.root.content.join(&file).exists() {
                    problems.push((
                        at(row, SLUG),
                        Problem::DuplicateSlug {
                            slug: format!("{producer}/{slug}"),
                            first: file,
                        },
                        None,
                    ));
                    continue;
                }
                (
                    file,
                    producer.to_owned(),
                    Cells::new(),
                    String::from("\n"),
                    None,
                )
            }
        };

        // The sheet's cells over the page's; columns not in the sheet keep the page's values.
        let mut changed: Vec<&'static str> = Vec::new();
        for (index, name) in heading.iter().enumerate() {
            if *name == SLUG {
                continue;
            }
            let Some(column) = column_of(name) else {
                continue;
            };
            let new = normalize(column, &row.cells[index]);
            let old = before
                .as_ref()
                .and_then(|before| before.get(&column.path))
                .map(|old| normalize(column, old))
                .unwrap_or_default();
            if before.is_some() && new != old {
                changed.push(name);
            }
            cells.insert(column.path.clone(), new);
        }
        if before.is_some() && changed.is_empty() {
            placed.unchanged += 1;
            continue;
        }
        // The folder names the producer; the key is written only when they differ.
        if cells
            .get(PRODUCER)
            .is_some_and(|producer| *producer == folder)
        {
            cells.remove(PRODUCER);
        }
        let written = write_front_matter(PRODUCT.fields, &cells, false);
        let page = Proposed {
            text: written.page(&body),
            file,
        };
        let kind = if before.is_some() {
            Kind::Changed(changed)
        } else {
            Kind::New
        };
        placed.changes.push((Change { page, kind }, row, written));
    }
    placed
}

/// The heading of a field path (`permits.pirt` → `pirt`).
fn heading_of(path: &str) -> Option<&'static str> {
    if path == SLUG {
        return Some(SLUG);
    }
    columns(PRODUCT.fields)
        .into_iter()
        .find(|column: &Column| column.path == path)
        .map(|column| column.name)
}

/// `;` when the heading row has more semicolons than commas outside quotes, else `,`.
fn detect_separator(text: &str) -> u8 {
    let mut quoted = false;
    let (mut commas, mut semicolons) = (0, 0);
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' if !quoted => break,
            ',' if !quoted => commas += 1,
            ';' if !quoted => semicolons += 1,
            _ => {}
        }
    }
    if semicolons > commas {
        b';'
    } else {
        b','
    }
}

fn pick(lang: Lang, indonesian: &str, english: &str) -> String {
    match lang {
        Lang::Id => indonesian,
        Lang::En => english,
    }
    .to_owned()
}

#[cfg(test)]
// Tests may panic: a panic is a failed test.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn separator_is_read_from_the_heading_row() {
        assert_eq!(detect_separator("sku;name;price\n1,2,3\n"), b';');
        assert_eq!(detect_separator("sku,name,\"a;b;c\"\n"), b',');
        assert_eq!(detect_separator("sku\n"), b',');
    }

    #[test]
    fn headings_start_with_the_place_and_cover_every_key() {
        let headings = headings();
        assert_eq!(&headings[..3], &["producer", "slug", "name"]);
        assert_eq!(headings.len(), columns(PRODUCT.fields).len() + 1);
    }
}
