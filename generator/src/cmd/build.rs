//! `galeri build`: check the content, render the site, then write into `--out` only what changed.

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
                    "{} halaman ({} produk, {} produsen, {} foto, {} baru diproses) dibangun ke {} dalam {seconds:.2} dtk: {} berkas ditulis, {} tidak berubah, {} dihapus.",
                    report.pages,
                    report.products,
                    report.producers,
                    report.photos,
                    report.photos_processed,
                    args.out.display(),
                    report.sync.written,
                    report.sync.unchanged,
                    report.sync.removed,
                ),
                Lang::En => format!(
                    "{} pages ({} products, {} producers, {} photos, {} newly processed) built into {} in {seconds:.2} s: {} files written, {} unchanged, {} removed.",
                    report.pages,
                    report.products,
                    report.producers,
                    report.photos,
                    report.photos_processed,
                    args.out.display(),
                    report.sync.written,
                    report.sync.unchanged,
                    report.sync.removed,
                ),
            };
            println!("{text}");
            if !report.editor_bundled && args.source.theme.join("admin").is_dir() {
                let install = format!(
                    "npm ci --prefix {}",
                    args.source.theme.join("admin").display()
                );
                eprintln!(
                    "{}",
                    match args.lang {
                        Lang::Id => format!(
                            "Catatan: editor web /admin/ belum terpasang (paket npm-nya tidak ada). Pasang sekali dengan `{install}`, lalu bangun ulang."
                        ),
                        Lang::En => format!(
                            "Note: the web editor /admin/ is not installed (its npm packages are missing). Install them once with `{install}`, then build again."
                        ),
                    }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(BuildError::Content(diagnostics)) => {
            eprint!("{}", diagnostics.render(args.lang, &args.source.content));
            Ok(ExitCode::FAILURE)
        }
        Err(error) => Err(error.into()),
    }
}
