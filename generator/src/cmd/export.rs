//! `galeri export products.csv`: every product as one spreadsheet row, the columns those of
//! `galeri import` (producer, slug, then the product schema's keys), each value as written in
//! the page, so importing the file back changes nothing. UTF-8 with a byte-order mark, which
//! spreadsheet programs need to read the file as UTF-8.

use crate::cli::{ExportArgs, Lang, Separator};
use crate::cmd::import::{headings, PRODUCER, SLUG};
use crate::content::diagnostics::display_path;
use crate::content::schema::PRODUCT;
use crate::content::table::{cells_from_yaml, columns};
use crate::content::{frontmatter, load, proposal};
use crate::site::today_wib;
use anyhow::Context;
use std::process::ExitCode;

pub fn run(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let lang = args.lang;
    // Only a catalog that passes `galeri check` is exported: a sheet made from a broken page
    // would carry its mistake into every later import.
    let library = match load(&args.content, today_wib()) {
        Ok(library) => library,
        Err(diagnostics) => {
            eprint!("{}", diagnostics.render(lang, &args.content));
            eprintln!(
                "{}",
                match lang {
                    Lang::Id => "Perbaiki konten dulu; tidak ada yang diekspor.",
                    Lang::En => "Fix the content first; nothing was exported.",
                }
            );
            return Ok(ExitCode::FAILURE);
        }
    };
    let headings = headings();
    let all_columns = columns(PRODUCT.fields);
    let mut writer = csv::WriterBuilder::new()
        .delimiter(match args.separator {
            Separator::Comma => b',',
            Separator::Semicolon => b';',
        })
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    writer.write_record(&headings)?;
    for product in &library.products {
        let path = args.content.join(&product.file);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let parts = frontmatter::split(&text)
            .map_err(|_| anyhow::anyhow!("{} has no front matter", path.display()))?;
        let value: serde_yaml::Value = serde_yaml::from_str(parts.yaml)
            .with_context(|| format!("reading {}", path.display()))?;
        let cells = cells_from_yaml(PRODUCT.fields, &value);
        let record: Vec<String> = headings
            .iter()
            .map(|heading| match *heading {
                SLUG => product.slug.clone(),
                PRODUCER => product.producer.clone(),
                name => all_columns
                    .iter()
                    .find(|column| column.name == name)
                    .and_then(|column| cells.get(&column.path))
                    .cloned()
                    .unwrap_or_default(),
            })
            .collect();
        writer.write_record(&record)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|error| anyhow::anyhow!("writing the CSV: {error}"))?;
    proposal::write_atomically(&args.file, &bytes)
        .with_context(|| format!("writing {}", args.file.display()))?;
    let file = display_path(&args.file);
    let count = library.products.len();
    println!(
        "{}",
        match lang {
            Lang::Id => format!("{count} produk ditulis ke {file}."),
            Lang::En => format!("{count} products written to {file}."),
        }
    );
    Ok(ExitCode::SUCCESS)
}
