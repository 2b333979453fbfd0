//! Markdown bodies to HTML: tables, strikethrough, heading anchors. Raw HTML in content is
//! shown as text (never passed through), and links may not use script URLs, so content
//! cannot inject script into the site.

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use std::collections::HashMap;

/// The HTML of every body in the library, by position (products, producers, free pages).
pub struct RenderedBodies {
    pub products: Vec<String>,
    pub producers: Vec<String>,
    pub pages: Vec<String>,
}

impl RenderedBodies {
    /// Renders every body, in parallel.
    pub fn new(library: &crate::content::Library) -> RenderedBodies {
        use rayon::prelude::*;
        RenderedBodies {
            products: library
                .products
                .par_iter()
                .map(|product| render(&product.body))
                .collect(),
            producers: library
                .producers
                .par_iter()
                .map(|producer| render(&producer.body))
                .collect(),
            pages: library
                .pages
                .iter()
                .map(|page| render(&page.body))
                .collect(),
        }
    }
}

/// Renders Markdown to safe HTML.
pub fn render(source: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut events: Vec<Event<'_>> = Parser::new_ext(source, options)
        .map(|event| match event {
            // Raw HTML becomes visible text: escaped by the HTML writer.
            Event::Html(html) | Event::InlineHtml(html) => Event::Text(html),
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => Event::Start(Tag::Link {
                link_type,
                dest_url: safe_url(dest_url),
                title,
                id,
            }),
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => Event::Start(Tag::Image {
                link_type,
                dest_url: safe_url(dest_url),
                title,
                id,
            }),
            other => other,
        })
        .collect();
    add_heading_ids(&mut events);
    let mut html = String::with_capacity(source.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    html
}

/// The first paragraph as plain text, cut at a word boundary near `limit` characters.
pub fn summary(source: &str, limit: usize) -> Option<String> {
    let mut text = String::new();
    let mut in_paragraph = false;
    for event in Parser::new_ext(source, Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Start(Tag::Paragraph) => in_paragraph = true,
            Event::End(TagEnd::Paragraph) if !text.trim().is_empty() => break,
            Event::Text(part) | Event::Code(part) if in_paragraph => text.push_str(&part),
            Event::SoftBreak | Event::HardBreak if in_paragraph => text.push(' '),
            _ => {}
        }
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return None;
    }
    if text.chars().count() <= limit {
        return Some(text);
    }
    let cut: String = text.chars().take(limit).collect();
    let cut = match cut.rfind(' ') {
        Some(index) if index > limit / 2 => &cut[..index],
        _ => cut.as_str(),
    };
    Some(format!("{}…", cut.trim_end_matches([',', '.', ';', ':'])))
}

/// Only web, mail, phone and relative URLs survive; `javascript:`, `data:` and the like become
/// `#`.
fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let lower = url.trim().to_ascii_lowercase();
    let scheme = lower
        .split_once(':')
        .map(|(scheme, _)| scheme)
        .filter(|scheme| !scheme.contains(['/', '?', '#']));
    match scheme {
        None | Some("http" | "https" | "mailto" | "tel") => url,
        Some(_) => CowStr::Borrowed("#"),
    }
}

/// Gives every heading without an explicit id one made from its text, unique on the page.
fn add_heading_ids(events: &mut [Event<'_>]) {
    let mut used: HashMap<String, usize> = HashMap::new();
    let mut index = 0;
    while index < events.len() {
        if let Event::Start(Tag::Heading { id: None, .. }) = &events[index] {
            let mut text = String::new();
            for event in &events[index + 1..] {
                match event {
                    Event::End(TagEnd::Heading(_)) => break,
                    Event::Text(part) | Event::Code(part) => text.push_str(part),
                    _ => {}
                }
            }
            let base = slugify(&text);
            let base = if base.is_empty() {
                "bagian".to_owned()
            } else {
                base
            };
            let count = used.entry(base.clone()).or_insert(0);
            let id = if *count == 0 {
                base
            } else {
                format!("{base}-{count}")
            };
            *count += 1;
            if let Event::Start(Tag::Heading {
                level,
                classes,
                attrs,
                ..
            }) = &events[index]
            {
                let level: HeadingLevel = *level;
                events[index] = Event::Start(Tag::Heading {
                    level,
                    id: Some(CowStr::from(id)),
                    classes: classes.clone(),
                    attrs: attrs.clone(),
                });
            }
        }
        index += 1;
    }
}

/// `Cara Belanja dengan Voucher!` → `cara-belanja-dengan-voucher`.
pub fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    for character in text.chars().flat_map(char::to_lowercase) {
        if character.is_alphanumeric() {
            slug.push(character);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

#[cfg(test)]
// Tests may panic: a panic is a failed test.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn raw_html_is_escaped() {
        let html = render("Halo <script>alert(1)</script>\n\n<div onclick=\"x\">a</div>\n");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<div"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn script_links_are_neutralized() {
        let html = render("[klik](javascript:alert(1)) [ok](https://example.id) [hal](/tentang/)");
        assert!(!html.contains("javascript"), "{html}");
        assert!(html.contains("href=\"https://example.id\""));
        assert!(html.contains("href=\"/tentang/\""));
    }

    #[test]
    fn summary_is_the_first_paragraph() {
        assert_eq!(
            summary("# Judul\n\nKopi *robusta* dari\nDampit.\n\nLain.", 160).as_deref(),
            Some("Kopi robusta dari Dampit.")
        );
        let long = "kata ".repeat(100);
        let cut = summary(&long, 40).unwrap();
        assert!(cut.chars().count() <= 41 && cut.ends_with('…'), "{cut}");
        assert_eq!(summary("", 10), None);
    }

    #[test]
    fn tables_strikethrough_and_anchors() {
        let html = render(
            "# Cara Belanja\n\n## Cara Belanja\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~lama~~\n",
        );
        assert!(html.contains("<h1 id=\"cara-belanja\">"), "{html}");
        assert!(html.contains("<h2 id=\"cara-belanja-1\">"), "{html}");
        assert!(html.contains("<table>"));
        assert!(html.contains("<del>lama</del>"));
    }
}
