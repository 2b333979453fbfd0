//! The render layer: the theme's tera templates (parsed once per build, with Galeri's
//! filters), its strings file, the URL scheme, and one renderer per page kind.

pub mod admin;
pub mod filters;
pub mod index;
pub mod pages;
pub mod strings;
pub mod urls;
pub mod views;

use std::path::Path;
use tera::Tera;

/// Parses every template under `<theme>/templates/` and registers the filters.
pub fn load(theme: &Path) -> Result<Tera, String> {
    let folder = theme.join("templates");
    if !folder.is_dir() {
        return Err(format!("{}: no templates folder", folder.display()));
    }
    let pattern = format!("{}/**/*.html", folder.display());
    let mut tera = Tera::new(&pattern).map_err(|error| error_chain(&error))?;
    tera.autoescape_on(vec![".html", ".xml"]);
    tera.set_escape_fn(escape_html);
    filters::register(&mut tera);
    Ok(tera)
}

/// Escapes what HTML needs escaped (`& < > " '`). tera's default also escapes `/`, which
/// bloats every URL into `&#x2F;` for no safety gain inside quoted attributes.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// A tera error with its causes ("failed to render X: variable y not found").
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
