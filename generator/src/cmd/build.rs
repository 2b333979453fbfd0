//! `galeri build`: check the content, then build the site into `--out` atomically.

use crate::cli::{BuildArgs, Lang};
use crate::site::{build_site, BuildError, BuildOptions};
use std::process::ExitCode;
use std::time::Instant;

pub fn run(args: BuildArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let mut options = BuildOptions::new(&args.source.content, &args.source.theme, &args.out);
    options.base_url = args.base_url.clone();
    match build_site(&options) {
        Ok(report) => {
            let seconds = started.elapsed().as_secs_f64();
            let text = match args.lang {
                Lang::Id => format!(
                    "{} halaman ({} produk, {} produsen) ditulis ke {} dalam {seconds:.2} dtk.",
                    report.pages,
                    report.products,
                    report.producers,
                    args.out.display()
                ),
                Lang::En => format!(
                    "{} pages ({} products, {} producers) written to {} in {seconds:.2} s.",
                    report.pages,
                    report.products,
                    report.producers,
                    args.out.display()
                ),
            };
            println!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        Err(BuildError::Content(diagnostics)) => {
            eprint!("{}", diagnostics.render(args.lang, &args.source.content));
            Ok(ExitCode::FAILURE)
        }
        Err(error) => Err(error.into()),
    }
}
