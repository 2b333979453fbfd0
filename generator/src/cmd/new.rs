//! `galeri new producer|product`: writes a new page whose keys come from flags (one per field of
//! the schema table) or, in a terminal, from prompts. The page carries each key's help as a
//! comment and the optional keys as commented-out examples, and it is checked with every rule
//! of `galeri check` before it is written: a product never starts from a blank file.

use crate::cli::{Lang, NewOptions, NewProducerArgs, NewProductArgs};
use crate::content::diagnostics::{display_path, Diagnostic, Diagnostics, Problem};
use crate::content::proposal::{self, Proposed};
use crate::content::schema::{Schema, PRODUCER, PRODUCT};
use crate::content::table::{columns, write_front_matter, Cells};
use crate::content::{is_slug, read_all, slug_from, Loaded};
use crate::site::today_wib;
use anyhow::Context;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// The body of a new producer page: an HTML comment, so nothing is published until staff write.
const PRODUCER_BODY: &str =
    "\n<!-- Tulis kisah produsen di sini: siapa mereka, sejak kapan, bagaimana mereka membuat produknya. -->\n";
const PRODUCT_BODY: &str =
    "\n<!-- Tulis deskripsi produk di sini: bahan, cara membuat, rasa atau ukuran, saran pemakaian. -->\n";

pub fn producer(args: NewProducerArgs) -> anyhow::Result<ExitCode> {
    let mut cells = args.fields.cells;
    run(&args.options, &PRODUCER, &mut cells, None)
}

pub fn product(args: NewProductArgs) -> anyhow::Result<ExitCode> {
    let mut cells = args.fields.cells;
    // A new product is new today: it heads the "newest products" list and the feed.
    cells
        .entry("added".to_owned())
        .or_insert_with(|| today_wib().format("%Y-%m-%d").to_string());
    run(&args.options, &PRODUCT, &mut cells, Some("producer"))
}

/// `folder_key`: the field that names the page's folder (a product's producer); it is asked
/// first, is required here, and is not written as a key.
fn run(
    options: &NewOptions,
    schema: &'static Schema,
    cells: &mut Cells,
    folder_key: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let lang = options.lang;
    let loaded = read_all(&options.content, today_wib()).map_err(|_| {
        anyhow::anyhow!(
            "{}",
            pick(
                lang,
                &format!("folder konten {} tidak ada", display_path(&options.content)),
                &format!(
                    "the content folder {} does not exist",
                    display_path(&options.content)
                ),
            )
        )
    })?;
    let mut slug = options.slug.clone();
    let interactive = options.interactive || std::io::stdin().is_terminal();
    if interactive {
        prompt(schema, cells, &mut slug, folder_key, None, lang)?;
    }
    cells.retain(|_, value| !value.trim().is_empty());

    let missing: Vec<String> = columns(schema.fields)
        .into_iter()
        .filter(|column| column.field.required || Some(column.name) == folder_key)
        .filter(|column| !cells.contains_key(&column.path))
        .map(|column| format!("--{}", column.name.replace('_', "-")))
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "{}",
            pick(
                lang,
                &format!(
                    "galeri new: belum diisi: {} (atau jalankan di terminal untuk ditanya satu per satu)",
                    missing.join(", ")
                ),
                &format!(
                    "galeri new: not given: {} (or run it in a terminal to be asked one by one)",
                    missing.join(", ")
                ),
            )
        );
        return Ok(ExitCode::from(2));
    }

    let slug = slug.unwrap_or_else(|| slug_from(cells.get("name").map_or("", String::as_str)));
    loop {
        let mut keys = cells.clone();
        let folder = folder_key.and_then(|key| keys.remove(key));
        let (file, body) = match &folder {
            Some(folder) => (
                PathBuf::from("products")
                    .join(folder)
                    .join(format!("{slug}.md")),
                PRODUCT_BODY,
            ),
            None => (
                PathBuf::from("producers").join(format!("{slug}.md")),
                PRODUCER_BODY,
            ),
        };
        let written = write_front_matter(schema.fields, &keys, true);
        let page = Proposed {
            file: file.clone(),
            text: written.page(body),
        };
        let problems = Diagnostics::new(check(&loaded, &page, folder.as_deref(), &slug));
        if problems.is_empty() {
            let path = options.content.join(&file);
            proposal::write_atomically(&path, page.text.as_bytes())
                .with_context(|| format!("writing {}", path.display()))?;
            println!(
                "{}",
                pick(
                    lang,
                    &format!(
                        "Ditulis: {}\nLengkapi isinya (kunci opsional ada sebagai komentar `#`), taruh foto di sampingnya, lalu jalankan `galeri check`.",
                        display_path(&path)
                    ),
                    &format!(
                        "Written: {}\nFill it in (optional keys are there as `#` comments), put photos beside it, then run `galeri check`.",
                        display_path(&path)
                    ),
                )
            );
            return Ok(ExitCode::SUCCESS);
        }
        let mut retry: Vec<String> = Vec::new();
        for problem in problems.items() {
            let path = proposal::field_of(problem, &written);
            let flag = path
                .as_deref()
                .map(|path| flag_of(schema, path))
                .unwrap_or_default();
            let shown = problem
                .clone()
                .with_hint(proposal::value_hint(problem.hint.as_ref(), path.as_deref()));
            eprintln!("{flag}: {}", shown.message(lang));
            // A value can be asked again if it is a key's (not the file's place).
            let askable = |path: &String| {
                columns(schema.fields)
                    .iter()
                    .any(|column| column.path == *path && Some(column.name) != folder_key)
            };
            retry.extend(path.filter(askable));
        }
        // In a terminal, ask again for the values that were refused; the rest is kept.
        let fixable = interactive && retry.len() == problems.len();
        if fixable {
            for path in &retry {
                cells.remove(path);
            }
            let mut kept = Some(slug.clone());
            prompt(schema, cells, &mut kept, folder_key, Some(&retry), lang)?;
            if retry.iter().all(|path| cells.contains_key(path)) {
                continue;
            }
        }
        eprintln!(
            "{}",
            pick(
                lang,
                &format!(
                    "{} masalah; {} tidak ditulis.",
                    problems.len(),
                    display_path(&options.content.join(&file))
                ),
                &format!(
                    "{} problems; {} not written.",
                    problems.len(),
                    display_path(&options.content.join(&file))
                ),
            )
        );
        return Ok(ExitCode::FAILURE);
    }
}

/// Every problem the new page would have, with a refusal to overwrite and to use a folder or
/// file name that is not a slug (it becomes part of a path).
fn check(loaded: &Loaded, page: &Proposed, folder: Option<&str>, slug: &str) -> Vec<Diagnostic> {
    let at_start = |problem| {
        vec![Diagnostic::new(
            &page.file,
            crate::content::diagnostics::Position::START,
            problem,
        )]
    };
    if let Some(folder) = folder {
        if !is_slug(folder) {
            let mut unknown = at_start(Problem::UnknownProducer {
                slug: folder.to_owned(),
            });
            let hint = crate::content::diagnostics::did_you_mean(
                folder,
                loaded.producer_slugs.iter().map(String::as_str),
            );
            unknown[0].hint = hint;
            return unknown;
        }
    }
    if !is_slug(slug) {
        return at_start(Problem::BadSlug {
            slug: slug.to_owned(),
        });
    }
    if loaded.root.content.join(&page.file).exists() {
        return at_start(Problem::FileExists);
    }
    match folder {
        Some(_) => proposal::check_products(loaded, std::slice::from_ref(page)),
        None => proposal::check_producer(loaded, page),
    }
}

fn flag_of(schema: &'static Schema, path: &str) -> String {
    let name = columns(schema.fields)
        .into_iter()
        .find(|column| column.path == path)
        .map_or(path.to_owned(), |column| column.name.to_owned());
    format!("--{}", name.replace('_', "-"))
}

/// Asks for each key not given (or only for the paths in `only`), with its help line; Enter
/// leaves an optional key out.
fn prompt(
    schema: &'static Schema,
    cells: &mut Cells,
    slug: &mut Option<String>,
    folder_key: Option<&str>,
    only: Option<&[String]>,
    lang: Lang,
) -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let mut stderr = std::io::stderr();
    let mut order = columns(schema.fields);
    // The folder first: it decides where the page goes.
    order.sort_by_key(|column| Some(column.name) != folder_key);
    if only.is_none() {
        writeln!(
            stderr,
            "{}",
            pick(
                lang,
                &format!(
                    "Halaman {} baru. Tekan Enter untuk melewati kunci opsional.",
                    schema.label
                ),
                &format!(
                    "New {} page. Press Enter to skip an optional key.",
                    schema.label
                ),
            )
        )?;
    }
    for column in order {
        let wanted = only.is_none_or(|only| only.contains(&column.path));
        if cells.contains_key(&column.path) || !wanted {
            continue;
        }
        let required = column.field.required || Some(column.name) == folder_key;
        let example = column.field.example.trim_matches('"');
        let help = if Some(column.name) == folder_key {
            pick(
                lang,
                "Slug produsen: nama berkasnya di producers/ tanpa .md.",
                "Producer slug: its file name in producers/ without .md.",
            )
        } else {
            column.field.help.to_owned()
        };
        loop {
            writeln!(stderr, "  {help}")?;
            let marker = if required {
                pick(lang, "wajib", "required")
            } else {
                pick(lang, "opsional", "optional")
            };
            if example.is_empty() {
                write!(stderr, "{} ({marker}): ", column.name)?;
            } else {
                write!(stderr, "{} ({marker}, mis. {example}): ", column.name)?;
            }
            stderr.flush()?;
            let Some(line) = lines.next() else {
                // End of input: leave the rest to the missing-key report.
                return Ok(());
            };
            let answer = line.context("reading the answer")?.trim().to_owned();
            if !answer.is_empty() {
                cells.insert(column.path.clone(), answer);
                break;
            }
            if !required {
                break;
            }
        }
        if column.name == "name" && slug.is_none() {
            let suggested = slug_from(cells.get("name").map_or("", String::as_str));
            write!(
                stderr,
                "{}",
                pick(
                    lang,
                    &format!("  Nama berkas (slug) [{suggested}]: "),
                    &format!("  File name (slug) [{suggested}]: "),
                )
            )?;
            stderr.flush()?;
            let answer = match lines.next() {
                Some(line) => line.context("reading the answer")?.trim().to_owned(),
                None => String::new(),
            };
            *slug = Some(if answer.is_empty() { suggested } else { answer });
        }
    }
    Ok(())
}

fn pick(lang: Lang, indonesian: &str, english: &str) -> String {
    match lang {
        Lang::Id => indonesian,
        Lang::En => english,
    }
    .to_owned()
}
