//! `galeri check`: validate the content and report every problem; writes nothing.

use crate::cli::{CheckArgs, Lang};
use crate::site::check_site;
use std::process::ExitCode;

pub fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    match check_site(&args.source.content, None) {
        Ok(library) => {
            let text = match args.lang {
                Lang::Id => format!(
                    "Konten baik: {} produsen, {} produk, {} kategori, {} halaman.",
                    library.producers.len(),
                    library.products.len(),
                    library.categories.len(),
                    library.pages.len()
                ),
                Lang::En => format!(
                    "Content is fine: {} producers, {} products, {} categories, {} pages.",
                    library.producers.len(),
                    library.products.len(),
                    library.categories.len(),
                    library.pages.len()
                ),
            };
            println!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        Err(diagnostics) => {
            eprint!("{}", diagnostics.render(args.lang, &args.source.content));
            Ok(ExitCode::FAILURE)
        }
    }
}
