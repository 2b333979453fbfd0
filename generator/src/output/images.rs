//! Photos as the site publishes them: each source image is resized at build time into a few
//! widths, each as WebP and as a JPEG fallback, never shipping the original. Variants are kept
//! in a cache keyed by the source's content hash (and the encoding settings), so an unchanged
//! photo is never processed twice; a build only adds links to cached files to its output tree.

use super::atomic::{Contents, Tree};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::io;
use std::path::{Path, PathBuf};

/// Variant widths in pixels: a phone grid card (~180 CSS px at 2-3x), a phone-wide photo, and
/// a desktop photo. Narrower originals are not enlarged: their own width is the last variant.
pub const WIDTHS: [u32; 4] = [320, 640, 960, 1280];
/// The `src` fallback: the variant closest to this width.
pub const FALLBACK_WIDTH: u32 = 640;
/// The variant the search results and Open Graph use.
pub const THUMBNAIL_WIDTH: u32 = 320;
const JPEG_QUALITY: u8 = 78;
const WEBP_QUALITY: f32 = 75.0;
/// Part of the cache key: bump it when the encoding changes, so old variants are not reused.
const SETTINGS: &str = "v1 320/640/960/1280 jpeg78 webp75 catmullrom";

/// One resized size of a photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    pub width: u32,
    pub height: u32,
}

/// A photo to publish: its source, and the folder and file stem it is published under.
#[derive(Debug, Clone)]
pub struct Job {
    pub source: PathBuf,
    /// Output folder (relative to the site root) the variants go in.
    pub folder: PathBuf,
    /// `kopi-lanang` → `kopi-lanang-640.webp`.
    pub stem: String,
}

/// A published photo's variants, narrowest first.
#[derive(Debug, Clone)]
pub struct Published {
    pub variants: Vec<Variant>,
}

impl Published {
    /// `kopi-lanang-640.jpg`.
    pub fn file(stem: &str, width: u32, extension: &str) -> String {
        format!("{stem}-{width}.{extension}")
    }

    /// The variant nearest `width` (the widest not above it, else the narrowest).
    pub fn nearest(&self, width: u32) -> Option<Variant> {
        self.variants
            .iter()
            .rev()
            .find(|variant| variant.width <= width)
            .or_else(|| self.variants.first())
            .copied()
    }
}

/// What the image phase did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Photos published.
    pub photos: usize,
    /// Photos that were resized and encoded (not found in the cache).
    pub processed: usize,
    /// Files added to the output.
    pub files: usize,
}

/// Why a photo could not be published.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{path}: cannot decode the image: {message}")]
    Decode { path: PathBuf, message: String },
    #[error("{path}: cannot encode a variant: {message}")]
    Encode { path: PathBuf, message: String },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> ImageError + '_ {
    move |source| ImageError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The variant sizes of a `width`×`height` original (aspect ratio kept, heights rounded).
pub fn variants(width: u32, height: u32) -> Vec<Variant> {
    let mut widths: Vec<u32> = WIDTHS.into_iter().filter(|w| *w < width).collect();
    if widths.len() < WIDTHS.len() {
        widths.push(width);
    }
    widths
        .into_iter()
        .map(|w| Variant {
            width: w,
            height: ((u64::from(height) * u64::from(w) + u64::from(width) / 2)
                / u64::from(width).max(1))
            .max(1) as u32,
        })
        .collect()
}

/// The image cache: `<folder>/<hash>-<width>.{webp,jpg}`.
pub struct Cache {
    folder: PathBuf,
}

impl Cache {
    pub fn new(folder: impl Into<PathBuf>) -> Cache {
        Cache {
            folder: folder.into(),
        }
    }

    fn path(&self, key: &str, width: u32, extension: &str) -> PathBuf {
        self.folder.join(format!("{key}-{width}.{extension}"))
    }

    fn complete(&self, key: &str, variants: &[Variant]) -> bool {
        variants.iter().all(|variant| {
            ["webp", "jpg"]
                .iter()
                .all(|extension| self.path(key, variant.width, extension).is_file())
        })
    }

    /// Publishes every job into `tree`: processes the photos missing from the cache (showing
    /// progress on a terminal), then adds each cached variant to its folder. Returns the
    /// variants per job, in order.
    pub fn publish(
        &self,
        jobs: &[Job],
        tree: &Tree,
    ) -> Result<(Vec<Published>, Report), ImageError> {
        std::fs::create_dir_all(&self.folder).map_err(io_error(&self.folder))?;
        // Read and hash every source first: the key decides whether there is work at all.
        let keyed: Vec<(Vec<u8>, String)> = jobs
            .par_iter()
            .map(|job| {
                let bytes = std::fs::read(&job.source).map_err(io_error(&job.source))?;
                let key = content_key(&bytes);
                Ok((bytes, key))
            })
            .collect::<Result<_, ImageError>>()?;
        let dimensions: Vec<(u32, u32)> = jobs
            .par_iter()
            .zip(&keyed)
            .map(|(job, (bytes, _))| {
                let size = imagesize::blob_size(bytes).map_err(|error| ImageError::Decode {
                    path: job.source.clone(),
                    message: error.to_string(),
                })?;
                Ok((size.width as u32, size.height as u32))
            })
            .collect::<Result<_, ImageError>>()?;
        let mut missing: Vec<usize> = (0..jobs.len())
            .filter(|at| {
                !self.complete(
                    &keyed[*at].1,
                    &variants(dimensions[*at].0, dimensions[*at].1),
                )
            })
            .collect();
        // The same photo twice in one build is processed once.
        missing.sort_by(|a, b| keyed[*a].1.cmp(&keyed[*b].1));
        missing.dedup_by(|a, b| keyed[*a].1 == keyed[*b].1);
        let progress = progress_bar(missing.len());
        // Decoding holds a whole photo in memory: one at a time per core, not per I/O thread.
        let cores = std::thread::available_parallelism().map_or(2, |count| count.get());
        let process = || {
            missing
                .par_iter()
                .map(|at| {
                    let (bytes, key) = &keyed[*at];
                    let result = self.process(&jobs[*at].source, bytes, key);
                    progress.inc(1);
                    result
                })
                .collect::<Result<Vec<()>, ImageError>>()
        };
        match rayon::ThreadPoolBuilder::new().num_threads(cores).build() {
            Ok(pool) => pool.install(process),
            Err(_) => process(),
        }?;
        progress.finish_and_clear();

        let published: Vec<Published> = jobs
            .par_iter()
            .zip(&keyed)
            .zip(&dimensions)
            .map(|((job, (_, key)), (width, height))| {
                let variants = variants(*width, *height);
                for variant in &variants {
                    for extension in ["webp", "jpg"] {
                        let cached = self.path(key, variant.width, extension);
                        let target =
                            job.folder
                                .join(Published::file(&job.stem, variant.width, extension));
                        tree.add(target, Contents::Link(cached));
                    }
                }
                Published { variants }
            })
            .collect();
        let files = published.iter().map(|photo| photo.variants.len() * 2).sum();
        Ok((
            published,
            Report {
                photos: jobs.len(),
                processed: missing.len(),
                files,
            },
        ))
    }

    /// Decodes, resizes and encodes one photo into the cache.
    fn process(&self, source: &Path, bytes: &[u8], key: &str) -> Result<(), ImageError> {
        let decoded = image::load_from_memory(bytes).map_err(|error| ImageError::Decode {
            path: source.to_path_buf(),
            message: error.to_string(),
        })?;
        // JPEG has no alpha: flatten transparent pixels onto white rather than black.
        let rgb = flatten(&decoded);
        for variant in variants(rgb.width(), rgb.height()) {
            let resized = if variant.width == rgb.width() {
                rgb.clone()
            } else {
                image::imageops::resize(
                    &rgb,
                    variant.width,
                    variant.height,
                    image::imageops::FilterType::CatmullRom,
                )
            };
            let encode_error = |message: String| ImageError::Encode {
                path: source.to_path_buf(),
                message,
            };
            let mut jpeg = Vec::new();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, JPEG_QUALITY)
                .encode_image(&resized)
                .map_err(|error| encode_error(error.to_string()))?;
            let webp = webp::Encoder::from_rgb(resized.as_raw(), resized.width(), resized.height())
                .encode_simple(false, WEBP_QUALITY)
                .map_err(|error| encode_error(format!("WebP: {error:?}")))?;
            write_atomically(&self.path(key, variant.width, "jpg"), &jpeg)?;
            write_atomically(&self.path(key, variant.width, "webp"), &webp)?;
        }
        Ok(())
    }
}

/// The cache key of a source photo: its bytes and the encoding settings.
fn content_key(bytes: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(SETTINGS.as_bytes());
    hasher.update(bytes);
    let digest = hasher.finalize();
    digest
        .iter()
        .take(16)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn flatten(image: &image::DynamicImage) -> image::RgbImage {
    if !image.color().has_alpha() {
        return image.to_rgb8();
    }
    let rgba = image.to_rgba8();
    image::RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let over = |channel: u8| {
            ((u16::from(channel) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8
        };
        image::Rgb([over(r), over(g), over(b)])
    })
}

/// Another build may read the cache at the same time: never show it a half-written file.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ImageError> {
    let folder = path.parent().unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(folder).map_err(io_error(folder))?;
    io::Write::write_all(&mut file, bytes).map_err(io_error(path))?;
    file.persist(path)
        .map_err(|error| error.error)
        .map_err(io_error(path))?;
    Ok(())
}

/// A progress bar on a terminal; hidden otherwise (indicatif draws nothing when stderr is not
/// a terminal) and when there is nothing to do.
fn progress_bar(length: usize) -> indicatif::ProgressBar {
    if length == 0 {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(length as u64);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("Foto {bar:30} {pos}/{len} diproses ({eta} lagi)")
    {
        bar.set_style(style);
    }
    bar
}

#[cfg(test)]
// Tests may panic: a panic is a failed test.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn variant_sizes_keep_the_ratio_and_never_enlarge() {
        let sizes = variants(4000, 3000);
        assert_eq!(
            sizes
                .iter()
                .map(|v| (v.width, v.height))
                .collect::<Vec<_>>(),
            vec![(320, 240), (640, 480), (960, 720), (1280, 960)]
        );
        let small = variants(720, 540);
        assert_eq!(
            small.iter().map(|v| v.width).collect::<Vec<_>>(),
            vec![320, 640, 720]
        );
        assert_eq!(
            variants(200, 100),
            vec![Variant {
                width: 200,
                height: 100
            }]
        );
        let published = Published { variants: small };
        assert_eq!(published.nearest(640).map(|v| v.width), Some(640));
        assert_eq!(published.nearest(100).map(|v| v.width), Some(320));
    }

    #[test]
    fn an_unchanged_photo_is_processed_once() {
        let folder = tempfile::tempdir().unwrap();
        let source = folder.path().join("foto.png");
        image::RgbaImage::from_pixel(700, 500, image::Rgba([200, 100, 50, 128]))
            .save(&source)
            .unwrap();
        let cache = Cache::new(folder.path().join("cache"));
        let job = Job {
            source,
            folder: PathBuf::from("produk/a/b"),
            stem: "foto".into(),
        };
        let root = folder.path().join("site");
        let tree = Tree::new();
        let (published, first) = cache.publish(std::slice::from_ref(&job), &tree).unwrap();
        assert_eq!(first.processed, 1);
        assert_eq!(published[0].variants.len(), 3);
        crate::output::atomic::sync(tree, &root).unwrap();
        assert!(root.join("produk/a/b/foto-640.webp").is_file());
        assert!(root.join("produk/a/b/foto-700.jpg").is_file());
        assert!(!root.join("produk/a/b/foto.png").exists());
        let root = folder.path().join("site2");
        let tree = Tree::new();
        let (_, second) = cache.publish(&[job], &tree).unwrap();
        assert_eq!(second.processed, 0);
        crate::output::atomic::sync(tree, &root).unwrap();
        assert!(root.join("produk/a/b/foto-320.jpg").is_file());
    }
}
