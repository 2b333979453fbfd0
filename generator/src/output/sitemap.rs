//! `sitemap.xml` and `robots.txt`.

use super::escape_xml;

/// A sitemap of absolute URLs.
pub fn sitemap(base_url: &str, paths: &[String]) -> String {
    let mut xml = String::with_capacity(paths.len() * 80 + 128);
    xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.push_str("<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    for path in paths {
        xml.push_str("  <url><loc>");
        xml.push_str(&escape_xml(&format!("{base_url}{path}")));
        xml.push_str("</loc></url>\n");
    }
    xml.push_str("</urlset>\n");
    xml
}

/// Everything may be crawled; the sitemap says where the pages are.
pub fn robots(base_url: &str) -> String {
    format!("User-agent: *\nAllow: /\n\nSitemap: {base_url}/sitemap.xml\n")
}
