//! Publishing content images beside the pages that show them. For now a plain copy; resizing
//! into responsive variants (cached by content hash) plugs in here in a later issue.

use crate::content::Image;
use std::io;
use std::path::Path;

/// Copies `image` into `folder` under its published name.
pub fn publish(image: &Image, folder: &Path) -> io::Result<()> {
    std::fs::copy(&image.source, folder.join(&image.name)).map(|_| ())
}
