//! `atom.xml`: the newest products.

use super::escape_xml;
use crate::content::product::Product;
use crate::content::Library;
use crate::render::urls;
use chrono::NaiveDate;

/// How many products the feed carries.
pub const FEED_SIZE: usize = 20;

/// An Atom feed of `newest` (already sorted newest first). Undated products carry `today`.
pub fn atom(
    library: &Library,
    base_url: &str,
    subtitle: &str,
    newest: &[&Product],
    today: NaiveDate,
) -> String {
    let stamp = |date: Option<NaiveDate>| {
        format!(
            "{}T00:00:00+07:00",
            date.unwrap_or(today).format("%Y-%m-%d")
        )
    };
    let updated = newest.iter().filter_map(|product| product.added).max();
    let site = &library.site;
    let mut xml = String::new();
    xml.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    xml.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"id\">\n");
    xml.push_str(&format!("  <title>{}</title>\n", escape_xml(&site.title)));
    xml.push_str(&format!(
        "  <subtitle>{}</subtitle>\n",
        escape_xml(subtitle)
    ));
    xml.push_str(&format!(
        "  <link href=\"{base_url}{}\" rel=\"self\" type=\"application/atom+xml\"/>\n",
        urls::FEED
    ));
    xml.push_str(&format!("  <link href=\"{base_url}/\"/>\n"));
    xml.push_str(&format!("  <id>{base_url}/</id>\n"));
    xml.push_str(&format!("  <updated>{}</updated>\n", stamp(updated)));
    for product in newest.iter().take(FEED_SIZE) {
        let url = format!(
            "{base_url}{}",
            urls::product(&product.producer, &product.slug)
        );
        let producer = library
            .producers
            .binary_search_by(|producer| producer.slug.as_str().cmp(&product.producer))
            .ok()
            .and_then(|index| library.producers.get(index))
            .map(|producer| producer.name.as_str())
            .unwrap_or(product.producer.as_str());
        xml.push_str("  <entry>\n");
        xml.push_str(&format!(
            "    <title>{}</title>\n",
            escape_xml(&product.name)
        ));
        xml.push_str(&format!("    <link href=\"{}\"/>\n", escape_xml(&url)));
        xml.push_str(&format!("    <id>{}</id>\n", escape_xml(&url)));
        xml.push_str(&format!(
            "    <updated>{}</updated>\n",
            stamp(product.added)
        ));
        xml.push_str(&format!(
            "    <summary>{}</summary>\n",
            escape_xml(&format!(
                "{} / {} — {}",
                product.price.format(),
                product.unit,
                producer
            ))
        ));
        xml.push_str("  </entry>\n");
    }
    xml.push_str("</feed>\n");
    xml
}
